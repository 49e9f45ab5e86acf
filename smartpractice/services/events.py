"""Attempt ingestion (durable, idempotent) and the apply step the workers run."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.schemas import AttemptIn, attempt_content_hash
from smartpractice.services.errors import Conflict, InvalidInput
from smartpractice.services.rating import AttemptRejected, apply_attempt
from smartpractice.storage.models import Event, Item, ItemSkill
from smartpractice.storage.rating_store import SqlBatchRatingStore

__all__ = [
    "AcceptedAttempts",
    "EventStatus",
    "accept_attempts",
    "apply_events",
    "apply_pending_events",
    "event_status",
    "lock_partitions",
    "next_applied_seqs",
    "partition_of",
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


def partition_of(student_id: str, partitions: int) -> int:
    """The student's partition (0 to partitions-1): a stable hash, the same in every process."""
    return zlib.crc32(student_id.encode()) % partitions


@dataclass(frozen=True, slots=True)
class EventStatus:
    event_id: str
    status: str
    reason: str | None
    received_at: datetime
    applied_at: datetime | None


def _validate_against_catalog(session: Session, attempts: Sequence[AttemptIn]) -> None:
    item_ids = {a.item_id for a in attempts}
    rows = session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id).where(ItemSkill.item_id.in_(item_ids))
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
    if errors:
        raise InvalidInput(errors)


def accept_attempts(
    session: Session, attempts: Sequence[AttemptIn], *, now: datetime, partitions: int = 64
) -> AcceptedAttempts:
    """Store the attempts as pending events in one transaction, or none of them.

    Raises:
        InvalidInput: an attempt names an unknown item or a skill its item does not test.
        Conflict: an event id is already stored (or repeated in the batch) with other content.
    """
    _validate_against_catalog(session, attempts)
    hashes = {a.event_id: attempt_content_hash(a) for a in attempts}
    conflicts: set[str] = set()
    seen: dict[str, str] = {}
    for attempt in attempts:
        content = attempt_content_hash(attempt)
        if seen.setdefault(attempt.event_id, content) != content:
            conflicts.add(attempt.event_id)
    stored: dict[str, str] = {
        event_id: digest
        for event_id, digest in session.execute(
            select(Event.event_id, Event.content_hash).where(Event.event_id.in_(list(hashes)))
        )
    }
    conflicts |= {eid for eid, digest in stored.items() if digest != hashes[eid]}
    if conflicts:
        raise Conflict(sorted(conflicts))
    accepted: list[str] = []
    duplicates: list[str] = []
    rows: list[dict[str, Any]] = []
    for attempt in attempts:
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
                "payload": attempt.model_dump(mode="json"),
                "content_hash": hashes[attempt.event_id],
                "status": "pending",
                "received_at": now,
                "occurred_at": attempt.occurred_at or now,
            }
        )
        accepted.append(attempt.event_id)
    if rows:
        # One executemany INSERT, in acceptance order (seq follows the batch order).
        session.execute(insert(Event), rows)
    touched = {row["partition"] for row in rows}
    return AcceptedAttempts(accepted=accepted, duplicates=duplicates, partitions=touched)


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


def next_applied_seqs(session: Session, count: int) -> list[int]:
    """Positions for the next `count` applied events in the global apply order.

    Called after the batch's rows are locked, so an event that had to wait for another
    worker's rows always gets a later position than that worker's events.
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                select(func.nextval("applied_seq")).select_from(func.generate_series(1, count))
            )
        )
    # SQLite transactions begin IMMEDIATE, so no other writer can take the same numbers.
    current = int(session.execute(select(func.max(Event.applied_seq))).scalar_one() or 0)
    return list(range(current + 1, current + 1 + count))


def apply_events(
    session: Session, events: Sequence[Event], *, config: ModelConfig, now: datetime
) -> None:
    """Apply the events, in the given order, inside the caller's transaction.

    An event that can never apply (its item is gone, its skill scores name other skills) is
    marked rejected with the reason; the others are marked applied with their position in
    the global apply order.
    """
    store = SqlBatchRatingStore(initial_ability=config.elo.initial_student_rating, session=session)
    store.preload({(e.student_id, e.item_id) for e in events})
    for event in events:
        attempt = AttemptIn.model_validate(event.payload)
        try:
            outcome = apply_attempt(store, attempt, occurred_at=event.occurred_at, config=config)
        except AttemptRejected as rejection:
            event.status = "rejected"
            event.reason = str(rejection)
            event.applied_at = now
            log.info("event rejected", extra={"action": "reject", "event_id": event.event_id})
            continue
        event.status = "applied"
        event.applied_at = now
        event.predicted = outcome.predicted
        event.performance = outcome.performance
        event.outcome = outcome.summary(config=config, now=event.occurred_at)
    store.flush()
    applied = [e for e in events if e.status == "applied"]
    for event, position in zip(applied, next_applied_seqs(session, len(applied)), strict=True):
        event.applied_seq = position


def apply_pending_events(
    session: Session,
    *,
    config: ModelConfig,
    now: datetime,
    limit: int,
    partitions: Sequence[int] | None = None,
) -> int:
    """Apply up to `limit` pending events in acceptance order, in the caller's transaction.

    With `partitions`, only those partitions' events; the caller must hold them (see
    `lock_partitions`) so that one student's events are applied one batch at a time, in
    order. Returns the number of events applied or rejected.
    """
    query = select(Event).where(Event.status == "pending")
    if partitions is not None:
        if not partitions:
            return 0
        query = query.where(Event.partition.in_(list(partitions)))
    events = session.scalars(query.order_by(Event.seq).limit(limit)).all()
    if events:
        apply_events(session, events, config=config, now=now)
    return len(events)


# Namespace of the advisory locks, so they cannot collide with another application's.
_LOCK_NAMESPACE = 0x5350  # "SP"


def lock_partitions(session: Session, partitions: Sequence[int]) -> list[int]:
    """Take, for the rest of the transaction, those of `partitions` no other worker holds
    (PostgreSQL advisory locks; trying never waits, so it cannot deadlock). On SQLite,
    whose writers are serialised, every partition is taken."""
    wanted = sorted(set(partitions))
    if session.get_bind().dialect.name != "postgresql" or not wanted:
        return wanted
    taken = session.execute(
        select(*(func.pg_try_advisory_xact_lock(_LOCK_NAMESPACE, p).label(f"p{p}") for p in wanted))
    ).one()
    return [p for p, ok in zip(wanted, taken, strict=True) if ok]


def pending_partitions(session: Session, *, older_than: datetime | None = None) -> list[int]:
    """Partitions with pending events (received before `older_than`, if given)."""
    query = select(Event.partition).distinct().where(Event.status == "pending")
    if older_than is not None:
        query = query.where(Event.received_at < older_than)
    return sorted(session.scalars(query))


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        ).scalar_one()
    )


def known_item_ids(session: Session, item_ids: Sequence[str]) -> set[str]:
    return set(session.scalars(select(Item.item_id).where(Item.item_id.in_(item_ids))).all())
