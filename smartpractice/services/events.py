"""Attempt ingestion (durable, idempotent) and the apply step the workers run."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from smartpractice.core.config import ModelConfig
from smartpractice.services.partitions import partition_of
from smartpractice.services.ports import (
    AppliedEvent,
    AttemptRejected,
    Conflict,
    EventStatus,
    EventStore,
    InvalidInput,
    NewEvent,
    RatingStore,
    RejectedEvent,
)
from smartpractice.services.rating import apply_attempt
from smartpractice.services.schemas import (
    AttemptIn,
    StoredAttempt,
    dumped_content_hash,
    stored_attempt_json,
)
from smartpractice.services.tutoring import (
    Analyzer,
    analyze_pending_sessions,
    struggles_for_attempts,
)

__all__ = [
    "AcceptedAttempts",
    "EventStatus",
    "PendingEvent",
    "TranscriptHandling",
    "accept_attempts",
    "apply_events",
    "apply_pending_events",
    "catalog_problems",
    "event_status",
    "events_before_blocked",
    "lock_partitions",
    "partition_of",
    "pending_count",
    "pending_partitions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AcceptedAttempts:
    """Event ids newly stored, those already known with identical content, and the
    partitions that now have work."""

    accepted: list[str]
    duplicates: list[str]
    partitions: set[int]


def _validate_against_catalog(store: EventStore, attempts: Sequence[AttemptIn]) -> None:
    errors = catalog_problems(store, attempts)
    if errors:
        raise InvalidInput(errors)


def catalog_problems(store: EventStore, attempts: Sequence[AttemptIn]) -> list[dict[str, Any]]:
    """Attempts naming an unknown item, or a skill their item does not test: ``loc`` is
    the attempt's index, then the field."""
    skills_of = store.skills_of_items({a.item_id for a in attempts})
    errors: list[dict[str, Any]] = []
    for index, attempt in enumerate(attempts):
        known = skills_of.get(attempt.item_id)
        if known is None:
            errors.append({"loc": [index, "item_id"], "msg": f"unknown item {attempt.item_id!r}"})
            continue
        for skill in sorted(set(attempt.skill_scores) - known):
            errors.append(
                {
                    "loc": [index, "skill_scores", skill],
                    "msg": f"{skill!r} is not a skill of item {attempt.item_id!r}",
                }
            )
    return errors


def _check_times(
    attempts: Sequence[AttemptIn],
    *,
    now: datetime,
    max_future: timedelta | None,
    max_age: timedelta | None,
) -> None:
    errors: list[dict[str, Any]] = []
    for index, attempt in enumerate(attempts):
        at = attempt.occurred_at
        if at is None:
            continue
        if max_future is not None and at > now + max_future:
            limit = f"{max_future.total_seconds():g} s"
            msg = f"is more than {limit} ahead of the service's clock ({now.isoformat()})"
            errors.append({"loc": [index, "occurred_at"], "msg": msg})
        elif max_age is not None and at < now - max_age:
            msg = f"is more than {max_age.days} days before the service's clock"
            errors.append({"loc": [index, "occurred_at"], "msg": msg})
    if errors:
        raise InvalidInput(errors)


def accept_attempts(
    store: EventStore,
    attempts: Sequence[AttemptIn],
    *,
    now: datetime,
    partitions: int = 64,
    max_future: timedelta | None = None,
    max_age: timedelta | None = None,
) -> AcceptedAttempts:
    """Store the attempts as pending events in one transaction, or none of them.

    An `occurred_at` later than `now + max_future` or earlier than `now - max_age` (when
    given) is refused: event times set the time effects of shared rows (an item's
    last practice), so one far-future time would freeze them for every student.

    Raises:
        InvalidInput: an attempt names an unknown item or a skill its item does not test,
            or happened outside the accepted time window.
        Conflict: an event id is already stored (or repeated in the batch) with other content.
    """
    _check_times(attempts, now=now, max_future=max_future, max_age=max_age)
    _validate_against_catalog(store, attempts)
    dumps = [a.model_dump(mode="json") for a in attempts]
    hashes: dict[str, str] = {}
    conflicts: set[str] = set()
    for attempt, dumped in zip(attempts, dumps, strict=True):
        content = dumped_content_hash(dumped)
        if hashes.setdefault(attempt.event_id, content) != content:
            conflicts.add(attempt.event_id)
    stored = store.content_hashes(hashes)
    conflicts |= {eid for eid, digest in stored.items() if digest != hashes[eid]}
    if conflicts:
        raise Conflict(sorted(conflicts))
    accepted: list[str] = []
    duplicates: list[str] = []
    new: list[NewEvent] = []
    for attempt, dumped in zip(attempts, dumps, strict=True):
        if attempt.event_id in stored:
            duplicates.append(attempt.event_id)
            continue
        stored[attempt.event_id] = hashes[attempt.event_id]
        new.append(
            NewEvent(
                event_id=attempt.event_id,
                student_id=attempt.student_id,
                partition=partition_of(attempt.student_id, partitions),
                item_id=attempt.item_id,
                payload=stored_attempt_json(dumped),
                content_hash=hashes[attempt.event_id],
                occurred_at=attempt.occurred_at or now,
            )
        )
        accepted.append(attempt.event_id)
    if new:
        # Events another request stored after the look-up above are left out, then
        # judged like any stored event.
        inserted = store.insert_new(new, received_at=now)
        late = [event for event in new if event.event_id not in inserted]
        if late:
            _judge_stored_meanwhile(store, late)
            new = [event for event in new if event.event_id in inserted]
            accepted = [eid for eid in accepted if eid in inserted]
            duplicates += [event.event_id for event in late]
    touched = {event.partition for event in new}
    return AcceptedAttempts(accepted=accepted, duplicates=duplicates, partitions=touched)


def _judge_stored_meanwhile(store: EventStore, events: Sequence[NewEvent]) -> None:
    """Raise Conflict if any of these events, which another transaction stored meanwhile,
    was stored with other content (else they are duplicates)."""
    stored = store.content_hashes([event.event_id for event in events])
    conflicts = sorted(e.event_id for e in events if stored.get(e.event_id) != e.content_hash)
    if conflicts:
        raise Conflict(conflicts)


def event_status(store: EventStore, event_id: str) -> EventStatus | None:
    """Where the event is (pending, applied or rejected), or None for an unknown id."""
    return store.status(event_id)


@dataclass(frozen=True, slots=True)
class TranscriptHandling:
    """How the apply step uses AI-tutor chats.

    Attributes:
        analyzer: Analyses a chat (see `services.tutoring.Analyzer`).
        keep_raw_text: Keep the (redacted) messages after analysis.
        wait_seconds: How long an attempt that names a `tutor_session_id` waits for that
            chat's analysis before it is applied without it.
    """

    analyzer: Analyzer
    keep_raw_text: bool = True
    wait_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A pending event as the apply step reads it (a plain row, not an ORM object), its
    attempt validated straight from the stored JSON text."""

    seq: int
    event_id: str
    student_id: str
    item_id: str
    attempt: StoredAttempt
    received_at: datetime
    occurred_at: datetime


def _held_back(
    store: EventStore, events: Sequence[PendingEvent], *, now: datetime, wait_seconds: float
) -> set[int]:
    """Events (by seq) to keep pending: those waiting for a chat still to be analysed, and
    every later event of the same student, so each student's order is kept."""
    waiting = {
        e.seq: e.attempt.tutor_session_id
        for e in events
        if e.attempt.tutor_session_id and (now - e.received_at).total_seconds() < wait_seconds
    }
    if not waiting:
        return set()
    analyzed = store.analyzed_chats(set(waiting.values()))
    blocked_from: dict[str, int] = {}
    for e in events:
        if e.seq in waiting and waiting[e.seq] not in analyzed:
            blocked_from.setdefault(e.student_id, e.seq)
    return {
        e.seq
        for e in events
        if e.student_id in blocked_from and e.seq >= blocked_from[e.student_id]
    }


def events_before_blocked(
    events: Sequence[PendingEvent], free_items: Collection[str]
) -> list[PendingEvent]:
    """The events that can be applied now, in order: each student's events up to (not
    including) their first one whose item is not in `free_items`, so that no student's
    events are applied out of the order they were accepted in."""
    blocked: set[str] = set()
    ready: list[PendingEvent] = []
    for event in events:
        if event.student_id in blocked:
            continue
        if event.item_id not in free_items:
            blocked.add(event.student_id)
            continue
        ready.append(event)
    return ready


def apply_events(
    store: EventStore,
    events: Sequence[PendingEvent],
    *,
    config: ModelConfig,
    now: datetime,
    struggles: Mapping[str, Mapping[str, float]] | None = None,
) -> int:
    """Apply the events, in the given order, inside the caller's transaction; returns how
    many were applied or rejected (the others stay pending, for the next batch).

    The items' rows are locked without waiting: events whose item another transaction
    holds are left pending, with every later event of the same student (see
    `events_before_blocked`), so concurrent workers apply disjoint items side by side
    instead of queueing on each other. Only when none of the events could be applied does
    the batch wait for its items (after releasing what it took, so two waiting workers
    cannot hold what the other needs; waiters lock in id order and never deadlock).

    An event that can never apply (its item is gone, its skill scores name other skills) is
    marked rejected with the reason; the others are marked applied with their position in
    the global apply order. `struggles` gives, per event id, the per-skill struggle (0-1)
    found in its tutor chats. The ratings and the events are written with one statement
    per table, whatever the number of events.
    """
    ratings = store.batch_ratings(
        {(e.student_id, e.item_id) for e in events},
        initial_ability=config.elo.initial_student_rating,
    )
    items = {e.item_id for e in events}
    ready = events_before_blocked(events, store.try_lock_items(items))
    store.keep_item_locks(bool(ready))
    if not ready:
        if not store.wait_for_items(items):
            # Held past the lock timeout (a stalled worker): left pending for a later
            # batch rather than failing this one.
            log.warning("items held elsewhere", extra={"action": "items_busy"})
            return 0
        ready = list(events)
    store.load_items({e.item_id for e in ready})
    _apply_in_order(
        store,
        ratings,
        ready,
        config=config,
        now=now,
        struggles=struggles or {},
    )
    return len(ready)


def _apply_in_order(
    store: EventStore,
    ratings: RatingStore,
    events: Sequence[PendingEvent],
    *,
    config: ModelConfig,
    now: datetime,
    struggles: Mapping[str, Mapping[str, float]],
) -> None:
    applied: list[AppliedEvent] = []
    rejected: list[RejectedEvent] = []
    for event in events:
        try:
            outcome = apply_attempt(
                ratings,
                event.attempt,
                occurred_at=event.occurred_at,
                config=config,
                struggles=struggles.get(event.event_id),
            )
        except AttemptRejected as rejection:
            rejected.append(RejectedEvent(event.seq, str(rejection)))
            log.info("event rejected", extra={"action": "reject", "event_id": event.event_id})
            continue
        applied.append(
            AppliedEvent(
                event.seq,
                outcome.predicted,
                outcome.performance,
                outcome.summary(config=config, now=event.occurred_at),
            )
        )
    store.record_outcomes(applied, rejected, now=now)


def _read_pending(
    store: EventStore,
    *,
    limit: int,
    partitions: Sequence[int] | None,
    now: datetime,
    after_seq: int | None = None,
    skip_students: Collection[str] = (),
) -> list[PendingEvent]:
    events: list[PendingEvent] = []
    unreadable: list[RejectedEvent] = []
    for row in store.read_pending(
        limit=limit, partitions=partitions, after_seq=after_seq, skip_students=skip_students
    ):
        try:
            attempt = StoredAttempt.model_validate_json(row.payload)
        except ValidationError as error:
            # Stored under rules that no longer accept it (a schema change): rejected with
            # the reason, rather than failing every batch of its partition forever.
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "payload"
            reason = f"stored payload no longer valid: {where}: {problem['msg']}"
            unreadable.append(RejectedEvent(row.seq, reason))
            log.warning("event rejected", extra={"action": "reject", "event_id": row.event_id})
            continue
        events.append(
            PendingEvent(
                row.seq,
                row.event_id,
                row.student_id,
                row.item_id,
                attempt,
                row.received_at,
                row.occurred_at,
            )
        )
    if unreadable:
        store.reject(unreadable, now=now)
    return events


_LOOK_AHEAD_PAGES = 100
"""Most pages of pending events one batch reads past students waiting for a chat."""


def _ready_past_waiting(
    store: EventStore,
    *,
    limit: int,
    partitions: Sequence[int] | None,
    now: datetime,
    wait: float,
) -> list[PendingEvent]:
    """The first `limit` pending events that wait for no tutor chat, in acceptance order.
    A student whose attempt waits for its chat's analysis is skipped from that attempt on
    (their later events wait too, to keep their order); everyone else's events are read
    past them, a page at a time, the skipped students left out of each next page."""
    ready: list[PendingEvent] = []
    waiting_students: set[str] = set()
    after: int | None = None
    for _ in range(_LOOK_AHEAD_PAGES):
        page = _read_pending(
            store,
            limit=limit,
            partitions=partitions,
            now=now,
            after_seq=after,
            skip_students=waiting_students,
        )
        held = _held_back(store, page, now=now, wait_seconds=wait)
        waiting_students |= {e.student_id for e in page if e.seq in held}
        ready += [e for e in page if e.seq not in held]
        if len(ready) >= limit or len(page) < limit:
            break
        after = page[-1].seq
    return ready[:limit]


def apply_pending_events(
    store: EventStore,
    *,
    config: ModelConfig,
    now: datetime,
    limit: int,
    partitions: Sequence[int] | None = None,
    transcripts: TranscriptHandling | None = None,
) -> int:
    """Apply up to `limit` pending events in acceptance order, in the caller's transaction.

    With `partitions`, only those partitions' events; the caller must hold them (see
    `lock_partitions`) so that one student's events are applied one batch at a time, in
    order. With `transcripts`, pending tutor chats of those partitions are analysed first
    and attempts get the per-skill struggle of their chats. Returns the number of events
    applied or rejected.
    """
    if partitions is not None and not partitions:
        return 0
    if transcripts is not None:
        analyze_pending_sessions(
            store.chats,
            analyzer=transcripts.analyzer,
            now=now,
            keep_raw_text=transcripts.keep_raw_text,
            partitions=partitions,
        )
    if transcripts is None:
        ready = _read_pending(store, limit=limit, partitions=partitions, now=now)
    else:
        ready = _ready_past_waiting(
            store, limit=limit, partitions=partitions, now=now, wait=transcripts.wait_seconds
        )
    if not ready:
        return 0
    struggles = struggles_for_attempts(
        store.chats, [(e.event_id, e.attempt.tutor_session_id) for e in ready]
    )
    return apply_events(store, ready, config=config, now=now, struggles=struggles)


def lock_partitions(
    store: EventStore, partitions: Sequence[int], *, wait: bool = False
) -> list[int]:
    """Take, for the rest of the transaction, those of `partitions` no other worker holds
    (PostgreSQL advisory locks of the session's tenant; trying never waits, so it cannot
    deadlock). With `wait`, block until every one is free (callers that need a single
    partition, such as deleting a student). On SQLite, whose writers are serialised, every
    partition is taken."""
    return store.lock_partitions(partitions, wait=wait)


def pending_partitions(store: EventStore, *, older_than: datetime | None = None) -> list[int]:
    """Partitions with pending events or tutor chats (received before `older_than`)."""
    return store.pending_partitions(older_than=older_than)


def pending_count(store: EventStore) -> int:
    """Events accepted and not yet applied or rejected."""
    return store.pending_count()
