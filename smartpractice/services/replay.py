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
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.data_protection import ERASED_KIND
from smartpractice.services.ports import AttemptRejected, ItemContext
from smartpractice.services.rating import apply_attempt
from smartpractice.services.schemas import AttemptRecord
from smartpractice.services.students import load_student_ratings
from smartpractice.services.tutoring import struggles_for_attempts
from smartpractice.storage.models import Event, Item, ItemSkill, Student, StudentSkill
from smartpractice.storage.sql_ratings import item_skill_rows, offset_rows, student_rows
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = ["ReplayResult", "compare_with_live", "rebuild_ratings", "replay_event_log"]


@dataclass
class ReplayResult:
    """The rebuilt state and what happened on the way."""

    store: MemoryRatingStore
    events: int = 0
    skipped: list[str] = field(default_factory=list)
    outcomes: dict[int, tuple[float, float, dict[str, Any]]] = field(default_factory=dict)


def _initial_store(session: Session, config: ModelConfig) -> MemoryRatingStore:
    store = MemoryRatingStore(initial_ability=config.elo.initial_student_rating)
    expected = {
        item_id: seconds
        for item_id, seconds in session.execute(select(Item.item_id, Item.expected_time_seconds))
    }
    difficulties: dict[str, dict[str, RatingState]] = {}
    for item_id, skill_id, initial in session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.initial_difficulty)
    ):
        difficulties.setdefault(item_id, {})[skill_id] = RatingState(value=initial)
    for item_id, skills in difficulties.items():
        store.items[item_id] = ItemContext(
            item_id=item_id,
            expected_time_seconds=expected.get(item_id),
            ratings=ItemRatings(difficulties=skills),
        )
    return store


def _applied_events(session: Session) -> Iterator[tuple[Event, Mapping[str, float] | None]]:
    """Applied events in apply order, each with the struggle of its analysed tutor chats."""
    query = (
        select(Event)
        .where(Event.status == "applied")
        .order_by(Event.applied_seq)
        .execution_options(yield_per=2000)
    )
    for chunk in session.scalars(query).partitions(2000):
        struggles = struggles_for_attempts(
            SqlTutoringStore(session),
            [(e.event_id, e.payload.get("tutor_session_id")) for e in chunk],
        )
        for event in chunk:
            yield event, struggles.get(event.event_id)


def replay_event_log(session: Session, *, config: ModelConfig) -> ReplayResult:
    """Recompute all ratings in memory from the applied events (the database is unchanged)."""
    result = ReplayResult(store=_initial_store(session, config))
    for event, struggles in _applied_events(session):
        if event.kind == ERASED_KIND:
            _apply_erased(result.store, event)
            continue
        try:
            outcome = apply_attempt(
                result.store,
                AttemptRecord.model_validate(event.payload),
                occurred_at=event.occurred_at,
                config=config,
                struggles=struggles,
            )
        except AttemptRejected:
            result.skipped.append(event.event_id)
            continue
        result.events += 1
        result.outcomes[event.seq] = (
            outcome.predicted,
            outcome.performance,
            outcome.summary(config=config, now=event.occurred_at),
        )
    return result


def _apply_erased(store: MemoryRatingStore, event: Event) -> None:
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


def compare_with_live(session: Session, result: ReplayResult) -> list[str]:
    """Differences between a replay and the stored ratings (empty when identical)."""
    differences: list[str] = []
    live_students = set(session.scalars(select(Student.student_id)))
    for student_id in sorted(live_students | set(result.store.students)):
        live = load_student_ratings(session, student_id)
        rebuilt = result.store.students.get(student_id)
        if live is None or rebuilt is None:
            differences.append(f"student {student_id}: present on one side only")
        elif live.ability != rebuilt.ability or dict(live.offsets) != dict(rebuilt.offsets):
            differences.append(f"student {student_id}: ratings differ")
    for item_id, skill_id, difficulty, attempts in session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty, ItemSkill.attempts)
    ):
        state = result.store.items[item_id].ratings.difficulties[skill_id]
        if (state.value, state.attempts) != (difficulty, attempts):
            differences.append(f"item {item_id} skill {skill_id}: {difficulty} vs {state.value}")
    return differences


def rebuild_ratings(session: Session, *, config: ModelConfig) -> ReplayResult:
    """Replay the log and replace every stored rating with the result (one transaction)."""
    result = replay_event_log(session, config=config)
    store = result.store
    session.execute(delete(StudentSkill))
    session.execute(delete(Student))
    students = student_rows(store, store.students)
    if students:
        session.execute(insert(Student), students)
    offsets = offset_rows(
        store, [(sid, skill) for sid, r in store.students.items() for skill in r.offsets]
    )
    if offsets:
        session.execute(insert(StudentSkill), offsets)
    item_rows = item_skill_rows(store, store.items)
    if item_rows:
        session.execute(update(ItemSkill), item_rows)
    counts = [
        {"item_id": item_id, "attempts": a, "correct": c}
        for item_id, (a, c) in store.item_attempts.items()
    ]
    session.execute(update(Item).values(attempts=0, correct=0))
    if counts:
        session.execute(update(Item), counts)
    outcomes = [
        {"seq": seq, "predicted": p, "performance": perf, "outcome": summary}
        for seq, (p, perf, summary) in result.outcomes.items()
    ]
    if outcomes:
        session.execute(update(Event), outcomes)
    return result
