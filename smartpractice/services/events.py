"""Attempt ingestion (durable, idempotent) and the apply step the workers run."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, Text, func, select
from sqlalchemy import cast as cast_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.services.partitions import partition_of
from smartpractice.services.ports import AttemptRejected, Conflict, InvalidInput
from smartpractice.services.rating import apply_attempt
from smartpractice.services.schemas import AttemptIn, AttemptRecord, dumped_content_hash
from smartpractice.services.tutoring import (
    Analyzer,
    analyze_pending_sessions,
    struggles_for_attempts,
)
from smartpractice.storage.bulk import BatchWriter, is_one_of
from smartpractice.storage.db import DEFAULT_TENANT, is_transient_conflict
from smartpractice.storage.models import Event, Item, ItemSkill, TutorSession
from smartpractice.storage.sql_ratings import SqlBatchRatingStore
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = [
    "AcceptedAttempts",
    "EventStatus",
    "PendingEvent",
    "TranscriptHandling",
    "accept_attempts",
    "apply_events",
    "apply_pending_events",
    "event_status",
    "events_before_blocked",
    "lock_partitions",
    "partition_of",
    "pending_partitions",
]

log = logging.getLogger(__name__)

_EVENTS = cast(Table, Event.__table__)


def _rejection(seq: int, reason: str, *, now: datetime) -> dict[str, Any]:
    """The `events` row update that marks an event rejected, with why."""
    return {"seq": seq, "status": "rejected", "reason": reason, "applied_at": now}


@dataclass(frozen=True, slots=True)
class AcceptedAttempts:
    """Event ids newly stored, those already known with identical content, and the
    partitions that now have work."""

    accepted: list[str]
    duplicates: list[str]
    partitions: set[int]


@dataclass(frozen=True, slots=True)
class EventStatus:
    event_id: str
    status: str
    reason: str | None
    received_at: datetime
    applied_at: datetime | None


def _validate_against_catalog(session: Session, attempts: Sequence[AttemptIn]) -> None:
    errors = catalog_problems(session, attempts)
    if errors:
        raise InvalidInput(errors)


def catalog_problems(session: Session, attempts: Sequence[AttemptIn]) -> list[dict[str, Any]]:
    """Attempts naming an unknown item, or a skill their item does not test: ``loc`` is
    the attempt's index, then the field."""
    dialect = session.get_bind().dialect.name
    item_ids = {a.item_id for a in attempts}
    rows = session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id).where(
            is_one_of(ItemSkill.item_id, item_ids, dialect=dialect)
        )
    ).all()
    skills_of: dict[str, set[str]] = {}
    for item_id, skill_id in rows:
        skills_of.setdefault(item_id, set()).add(skill_id)
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
    session: Session,
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
    _validate_against_catalog(session, attempts)
    dumps = [a.model_dump(mode="json") for a in attempts]
    hashes: dict[str, str] = {}
    conflicts: set[str] = set()
    for attempt, dumped in zip(attempts, dumps, strict=True):
        content = dumped_content_hash(dumped)
        if hashes.setdefault(attempt.event_id, content) != content:
            conflicts.add(attempt.event_id)
    dialect = session.get_bind().dialect.name
    stored: dict[str, str] = {
        event_id: digest
        for event_id, digest in session.execute(
            select(Event.event_id, Event.content_hash).where(
                is_one_of(Event.event_id, list(hashes), dialect=dialect)
            )
        )
    }
    conflicts |= {eid for eid, digest in stored.items() if digest != hashes[eid]}
    if conflicts:
        raise Conflict(sorted(conflicts))
    accepted: list[str] = []
    duplicates: list[str] = []
    rows: list[dict[str, Any]] = []
    for attempt, dumped in zip(attempts, dumps, strict=True):
        if attempt.event_id in stored:
            duplicates.append(attempt.event_id)
            continue
        stored[attempt.event_id] = hashes[attempt.event_id]
        rows.append(
            {
                "event_id": attempt.event_id,
                "kind": "attempt",
                "student_id": attempt.student_id,
                "partition": partition_of(attempt.student_id, partitions),
                "item_id": attempt.item_id,
                "payload": dumped,
                "content_hash": hashes[attempt.event_id],
                "status": "pending",
                "received_at": now,
                "occurred_at": attempt.occurred_at or now,
            }
        )
        accepted.append(attempt.event_id)
    if rows:
        # One set-based INSERT in acceptance order: seq follows the batch order (the rows
        # are inserted as numbered, ORDER BY row_number). Rows another request stored
        # after the look-up above are left out, then judged like any stored event.
        inserted = BatchWriter(session.connection()).insert_new(_EVENTS, rows, unique="event_id")
        late = [row for row in rows if row["event_id"] not in inserted]
        if late:
            _judge_stored_meanwhile(session, late)
            rows = [row for row in rows if row["event_id"] in inserted]
            accepted = [eid for eid in accepted if eid in inserted]
            duplicates += [row["event_id"] for row in late]
    touched = {row["partition"] for row in rows}
    return AcceptedAttempts(accepted=accepted, duplicates=duplicates, partitions=touched)


def _judge_stored_meanwhile(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Raise Conflict if any of these rows, which another transaction stored meanwhile,
    was stored with other content (else they are duplicates)."""
    dialect = session.get_bind().dialect.name
    ids = [row["event_id"] for row in rows]
    stored: dict[str, str] = {
        event_id: digest
        for event_id, digest in session.execute(
            select(Event.event_id, Event.content_hash).where(
                is_one_of(Event.event_id, ids, dialect=dialect)
            )
        )
    }
    conflicts = sorted(
        row["event_id"] for row in rows if stored.get(row["event_id"]) != row["content_hash"]
    )
    if conflicts:
        raise Conflict(conflicts)


def event_status(session: Session, event_id: str) -> EventStatus | None:
    event = session.scalars(select(Event).where(Event.event_id == event_id)).one_or_none()
    if event is None:
        return None
    return EventStatus(
        event_id=event.event_id,
        status=event.status,
        reason=event.reason,
        received_at=event.received_at,
        applied_at=event.applied_at,
    )


@dataclass(frozen=True, slots=True)
class TranscriptHandling:
    """How the apply step uses AI-tutor chats.

    Attributes:
        analyzer: Analyses a chat (see `services.tutor.Analyzer`).
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
    attempt: AttemptRecord
    received_at: datetime
    occurred_at: datetime


def _held_back(
    session: Session, events: Sequence[PendingEvent], *, now: datetime, wait_seconds: float
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
    analyzed = set(
        session.scalars(
            select(TutorSession.session_id).where(
                TutorSession.session_id.in_(list(waiting.values())),
                TutorSession.status != "pending",
            )
        )
    )
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
    session: Session,
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
    store = SqlBatchRatingStore(initial_ability=config.elo.initial_student_rating, session=session)
    store.preload({(e.student_id, e.item_id) for e in events})
    items = {e.item_id for e in events}
    attempt = session.begin_nested()
    ready = events_before_blocked(events, store.lock_items(items, skip_locked=True))
    if ready:
        attempt.commit()
    else:
        attempt.rollback()
        waiting = session.begin_nested()
        try:
            store.lock_items(items, skip_locked=False)
        except DBAPIError as error:
            # Held past the lock timeout (a stalled worker): leave them pending for a
            # later batch rather than fail it; the server ends a holder idle too long.
            waiting.rollback()
            if not is_transient_conflict(error):
                raise
            log.warning("items held elsewhere", extra={"action": "items_busy"})
            return 0
        waiting.commit()
        ready = list(events)
    store.load_items({e.item_id for e in ready})
    _apply_in_order(
        session,
        store,
        ready,
        config=config,
        now=now,
        struggles=struggles or {},
    )
    return len(ready)


def _apply_in_order(
    session: Session,
    store: SqlBatchRatingStore,
    events: Sequence[PendingEvent],
    *,
    config: ModelConfig,
    now: datetime,
    struggles: Mapping[str, Mapping[str, float]],
) -> None:
    applied: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for event in events:
        try:
            outcome = apply_attempt(
                store,
                event.attempt,
                occurred_at=event.occurred_at,
                config=config,
                struggles=struggles.get(event.event_id),
            )
        except AttemptRejected as rejection:
            rejected.append(_rejection(event.seq, str(rejection), now=now))
            log.info("event rejected", extra={"action": "reject", "event_id": event.event_id})
            continue
        applied.append(
            {
                "seq": event.seq,
                "status": "applied",
                "applied_at": now,
                "predicted": outcome.predicted,
                "performance": outcome.performance,
                "outcome": outcome.summary(config=config, now=event.occurred_at),
            }
        )
    writer = BatchWriter(session.connection())
    store.flush(writer)
    # Positions in the global apply order are taken now, after the rows are locked, so an
    # event that had to wait for another worker's rows always comes after that worker's.
    writer.update(_EVENTS, applied, keys=["seq"], numbered="applied_seq")
    writer.update(_EVENTS, rejected, keys=["seq"])
    writer.send()


def _read_pending(
    session: Session,
    *,
    limit: int,
    partitions: Sequence[int] | None,
    now: datetime,
    after_seq: int | None = None,
    skip_students: Collection[str] = (),
) -> list[PendingEvent]:
    query = select(
        Event.seq,
        Event.event_id,
        Event.student_id,
        Event.item_id,
        # As text: one pass of pydantic's JSON parser instead of json.loads and a dict walk.
        cast_(Event.payload, Text),
        Event.received_at,
        Event.occurred_at,
    ).where(Event.status == "pending")
    if partitions is not None:
        query = query.where(Event.partition.in_(list(partitions)))
    if after_seq is not None:
        query = query.where(Event.seq > after_seq)
    if skip_students:
        dialect = session.get_bind().dialect.name
        query = query.where(~is_one_of(Event.student_id, skip_students, dialect=dialect))
    events: list[PendingEvent] = []
    unreadable: list[dict[str, Any]] = []
    for seq, event_id, student_id, item_id, payload, *at in session.execute(
        query.order_by(Event.seq).limit(limit)
    ):
        try:
            attempt = AttemptRecord.model_validate_json(payload)
        except ValidationError as error:
            # Stored under rules that no longer accept it (a schema change): rejected with
            # the reason, rather than failing every batch of its partition forever.
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "payload"
            reason = f"stored payload no longer valid: {where}: {problem['msg']}"
            unreadable.append(_rejection(seq, reason, now=now))
            log.warning("event rejected", extra={"action": "reject", "event_id": event_id})
            continue
        events.append(PendingEvent(seq, event_id, student_id, item_id, attempt, *at))
    if unreadable:
        writer = BatchWriter(session.connection())
        writer.update(_EVENTS, unreadable, keys=["seq"])
        writer.send()
    return events


_LOOK_AHEAD_PAGES = 100
"""Most pages of pending events one batch reads past students waiting for a chat."""


def _ready_past_waiting(
    session: Session,
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
            session,
            limit=limit,
            partitions=partitions,
            now=now,
            after_seq=after,
            skip_students=waiting_students,
        )
        held = _held_back(session, page, now=now, wait_seconds=wait)
        waiting_students |= {e.student_id for e in page if e.seq in held}
        ready += [e for e in page if e.seq not in held]
        if len(ready) >= limit or len(page) < limit:
            break
        after = page[-1].seq
    return ready[:limit]


def apply_pending_events(
    session: Session,
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
            SqlTutoringStore(session),
            analyzer=transcripts.analyzer,
            now=now,
            keep_raw_text=transcripts.keep_raw_text,
            partitions=partitions,
        )
    if transcripts is None:
        ready = _read_pending(session, limit=limit, partitions=partitions, now=now)
    else:
        ready = _ready_past_waiting(
            session, limit=limit, partitions=partitions, now=now, wait=transcripts.wait_seconds
        )
    if not ready:
        return 0
    struggles = struggles_for_attempts(
        SqlTutoringStore(session), [(e.event_id, e.attempt.tutor_session_id) for e in ready]
    )
    return apply_events(session, ready, config=config, now=now, struggles=struggles)


# Namespace of the default tenant's advisory locks, so they cannot collide with another
# application's; other tenants take theirs from a hash of the tenant id.
_LOCK_NAMESPACE = 0x5350  # "SP"


def _lock_namespace(session: Session) -> int:
    tenant_id = session.info.get("tenant_id", DEFAULT_TENANT)
    if tenant_id == DEFAULT_TENANT:
        return _LOCK_NAMESPACE
    # A signed 32-bit key; two tenants sharing one would only wait for each other.
    return zlib.crc32(f"smartpractice:{tenant_id}".encode()) - 2**31


def lock_partitions(
    session: Session, partitions: Sequence[int], *, wait: bool = False
) -> list[int]:
    """Take, for the rest of the transaction, those of `partitions` no other worker holds
    (PostgreSQL advisory locks of the session's tenant; trying never waits, so it cannot
    deadlock). With `wait`, block until every one is free (callers that need a single
    partition, such as deleting a student). On SQLite, whose writers are serialised, every
    partition is taken."""
    wanted = sorted(set(partitions))
    if session.get_bind().dialect.name != "postgresql" or not wanted:
        return wanted
    namespace = _lock_namespace(session)
    if wait:
        for p in wanted:
            session.execute(select(func.pg_advisory_xact_lock(namespace, p)))
        return wanted
    taken = session.execute(
        select(*(func.pg_try_advisory_xact_lock(namespace, p).label(f"p{p}") for p in wanted))
    ).one()
    return [p for p, ok in zip(wanted, taken, strict=True) if ok]


def pending_partitions(session: Session, *, older_than: datetime | None = None) -> list[int]:
    """Partitions with pending events or tutor chats (received before `older_than`)."""
    events = select(Event.partition).distinct().where(Event.status == "pending")
    chats = select(TutorSession.partition).distinct().where(TutorSession.status == "pending")
    if older_than is not None:
        events = events.where(Event.received_at < older_than)
        chats = chats.where(TutorSession.received_at < older_than)
    return sorted(set(session.scalars(events)) | set(session.scalars(chats)))


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        ).scalar_one()
    )


def known_item_ids(session: Session, item_ids: Sequence[str]) -> set[str]:
    return set(session.scalars(select(Item.item_id).where(Item.item_id.in_(item_ids))).all())
