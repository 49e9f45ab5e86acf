"""Rebuild every rating from the event log, in the order events were applied.

Elo is order-dependent, so replay follows `applied_seq`, the order the workers committed.
Each attempt is replayed with the struggle of every tutor chat analysed by then, so a chat
that arrived after its attempt was applied counts from the next replay on.
The same `apply_attempt` runs on a `MemoryRatingStore`; with unchanged constants the result
equals the live state to the last bit, and after a change of constants it is the state
those constants would have produced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState
from smartpractice.services.data_protection import ERASED_KIND
from smartpractice.services.ports import (
    AppliedEvent,
    AttemptRejected,
    EventStore,
    ItemContext,
    LoggedEvent,
    ReplayRatings,
)
from smartpractice.services.rating import apply_attempt
from smartpractice.services.schemas import StoredAttempt
from smartpractice.services.tutoring import struggles_for_attempts

__all__ = ["ReplayResult", "compare_with_live", "rebuild_ratings", "replay_event_log"]

_CHUNK = 2000
"""Applied events read (and their chats' struggles looked up) at a time."""


@dataclass
class ReplayResult:
    """The rebuilt state and what happened on the way: the attempts replayed, the event
    ids skipped (they can no longer apply), and each replayed attempt's outcome, in
    apply order."""

    store: ReplayRatings
    events: int = 0
    skipped: list[str] = field(default_factory=list)
    outcomes: list[AppliedEvent] = field(default_factory=list)


def _applied_events(store: EventStore) -> Iterator[tuple[LoggedEvent, Mapping[str, float] | None]]:
    """Applied events in apply order, each with the struggle of its analysed tutor chats."""
    for chunk in store.applied_events(chunk=_CHUNK):
        struggles = struggles_for_attempts(
            store.chats, [(e.event_id, e.payload.get("tutor_session_id")) for e in chunk]
        )
        for event in chunk:
            yield event, struggles.get(event.event_id)


def replay_event_log(store: EventStore, *, config: ModelConfig) -> ReplayResult:
    """Recompute all ratings in memory from the applied events (the database is unchanged)."""
    result = ReplayResult(
        store=store.initial_ratings(initial_ability=config.elo.initial_student_rating)
    )
    for event, struggles in _applied_events(store):
        if event.kind == ERASED_KIND:
            _apply_erased(result.store, event)
            continue
        try:
            outcome = apply_attempt(
                result.store,
                StoredAttempt.model_validate(event.payload),
                occurred_at=event.occurred_at,
                config=config,
                struggles=struggles,
            )
        except AttemptRejected:
            result.skipped.append(event.event_id)
            continue
        result.events += 1
        result.outcomes.append(
            AppliedEvent(
                event.seq,
                outcome.predicted,
                outcome.performance,
                outcome.summary(config=config, now=event.occurred_at),
            )
        )
    return result


def _apply_erased(store: ReplayRatings, event: LoggedEvent) -> None:
    """What an erased student's attempt did to its item, as recorded at erasure."""
    context = store.items.get(event.item_id)
    if context is None:
        return
    at = event.occurred_at
    difficulties = dict(context.ratings.difficulties)
    for skill, effect in event.payload["skills"].items():
        before = difficulties.get(skill)
        if before is None:
            continue
        last_at = before.last_at if before.last_at is not None and before.last_at >= at else at
        difficulties[skill] = RatingState(
            effect["difficulty"],
            before.attempts + 1,
            before.correct + (1 if effect["success"] else 0),
            last_at,
        )
    store.items[event.item_id] = ItemContext(
        event.item_id, context.expected_time_seconds, ItemRatings(difficulties)
    )
    attempts, correct = store.item_attempts.get(event.item_id, (0, 0))
    success = bool(event.payload["item_success"])
    store.item_attempts[event.item_id] = (attempts + 1, correct + (1 if success else 0))


def compare_with_live(store: EventStore, result: ReplayResult) -> list[str]:
    """Differences between a replay and the stored ratings (empty when identical)."""
    differences: list[str] = []
    live_students = store.live_students()
    for student_id in sorted(live_students.keys() | result.store.students.keys()):
        live = live_students.get(student_id)
        rebuilt = result.store.students.get(student_id)
        if live is None or rebuilt is None:
            differences.append(f"student {student_id}: present on one side only")
        elif live.ability != rebuilt.ability or dict(live.offsets) != dict(rebuilt.offsets):
            differences.append(f"student {student_id}: ratings differ")
    for item_id, skill_id, difficulty, attempts in store.live_item_skills():
        state = result.store.items[item_id].ratings.difficulties[skill_id]
        if (state.value, state.attempts) != (difficulty, attempts):
            differences.append(f"item {item_id} skill {skill_id}: {difficulty} vs {state.value}")
    return differences


def rebuild_ratings(store: EventStore, *, config: ModelConfig) -> ReplayResult:
    """Replay the log and replace every stored rating with the result (one transaction)."""
    result = replay_event_log(store, config=config)
    store.replace_ratings(result.store, result.outcomes)
    return result
