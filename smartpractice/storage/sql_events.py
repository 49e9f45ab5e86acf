"""`EventStore` over the database: the event log, the partition and item locks of the apply
step, and the ratings replay rewrites.

The apply step's batch reads and writes go through `SqlBatchRatingStore`
(`storage.sql_ratings`) and `BatchWriter` (`storage.bulk`): one set-based statement per
table, all sent in one round trip. Locks are PostgreSQL's; SQLite serialises its writers,
so there every lock is granted at once.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Text, delete, func, insert, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from smartpractice.core.types import ItemRatings, RatingState, StudentRatings
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.ports import (
    AppliedEvent,
    EventStatus,
    ItemContext,
    LoggedEvent,
    NewEvent,
    PendingRow,
    RejectedEvent,
    ReplayRatings,
)
from smartpractice.storage.bulk import BatchWriter, is_one_of
from smartpractice.storage.db import DEFAULT_TENANT, is_transient_conflict
from smartpractice.storage.models import (
    Event,
    Item,
    ItemSkill,
    Student,
    StudentSkill,
    TutorSession,
)
from smartpractice.storage.sql_ratings import (
    SqlBatchRatingStore,
    item_skill_rows,
    offset_rows,
    student_rows,
)
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = ["SqlEventStore"]

log = logging.getLogger(__name__)

_EVENTS = cast(Table, Event.__table__)

# Namespace of the default tenant's advisory locks, so they cannot collide with another
# application's; other tenants take theirs from a hash of the tenant id.
_LOCK_NAMESPACE = 0x5350  # "SP"


def _rejections(rejected: Sequence[RejectedEvent], now: datetime) -> list[dict[str, Any]]:
    """The `events` row updates that mark events rejected, with why."""
    return [
        {"seq": r.seq, "status": "rejected", "reason": r.reason, "applied_at": now}
        for r in rejected
    ]


class SqlEventStore:
    """The event log in the session's database, inside the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name
        self._ratings: SqlBatchRatingStore | None = None
        self._item_locks: SessionTransaction | None = None

    @property
    def chats(self) -> SqlTutoringStore:
        return SqlTutoringStore(self.session)

    def skills_of_items(self, item_ids: Collection[str]) -> dict[str, set[str]]:
        rows = self.session.execute(
            select(ItemSkill.item_id, ItemSkill.skill_id).where(
                is_one_of(ItemSkill.item_id, item_ids, dialect=self._dialect)
            )
        ).all()
        skills_of: dict[str, set[str]] = {}
        for item_id, skill_id in rows:
            skills_of.setdefault(item_id, set()).add(skill_id)
        return skills_of

    def content_hashes(self, event_ids: Collection[str]) -> dict[str, str]:
        return {
            event_id: digest
            for event_id, digest in self.session.execute(
                select(Event.event_id, Event.content_hash).where(
                    is_one_of(Event.event_id, list(event_ids), dialect=self._dialect)
                )
            )
        }

    def insert_new(self, events: Sequence[NewEvent], *, received_at: datetime) -> set[str]:
        rows = [
            {
                "event_id": e.event_id,
                "kind": "attempt",
                "student_id": e.student_id,
                "partition": e.partition,
                "item_id": e.item_id,
                "payload": e.payload,
                "content_hash": e.content_hash,
                "status": "pending",
                "received_at": received_at,
                "occurred_at": e.occurred_at,
            }
            for e in events
        ]
        # One set-based INSERT in acceptance order: seq follows the batch order (the rows
        # are inserted as numbered, ORDER BY row_number).
        return BatchWriter(self.session.connection()).insert_new(_EVENTS, rows, unique="event_id")

    def status(self, event_id: str) -> EventStatus | None:
        event = self.session.scalars(select(Event).where(Event.event_id == event_id)).one_or_none()
        if event is None:
            return None
        return EventStatus(
            event_id=event.event_id,
            status=event.status,
            reason=event.reason,
            received_at=event.received_at,
            applied_at=event.applied_at,
        )

    def read_pending(
        self,
        *,
        limit: int,
        partitions: Sequence[int] | None,
        after_seq: int | None = None,
        skip_students: Collection[str] = (),
    ) -> list[PendingRow]:
        query = select(
            Event.seq,
            Event.event_id,
            Event.student_id,
            Event.item_id,
            # As text: one pass of pydantic's JSON parser instead of json.loads and a dict
            # walk.
            cast_(Event.payload, Text),
            Event.received_at,
            Event.occurred_at,
        ).where(Event.status == "pending")
        if partitions is not None:
            query = query.where(Event.partition.in_(list(partitions)))
        if after_seq is not None:
            query = query.where(Event.seq > after_seq)
        if skip_students:
            query = query.where(~is_one_of(Event.student_id, skip_students, dialect=self._dialect))
        return [
            PendingRow(*row) for row in self.session.execute(query.order_by(Event.seq).limit(limit))
        ]

    def analyzed_chats(self, session_ids: Collection[str]) -> set[str]:
        return set(
            self.session.scalars(
                select(TutorSession.session_id).where(
                    TutorSession.session_id.in_(list(session_ids)),
                    TutorSession.status != "pending",
                )
            )
        )

    def batch_ratings(
        self, answers: Collection[tuple[str, str]], *, initial_ability: float
    ) -> SqlBatchRatingStore:
        self._ratings = SqlBatchRatingStore(initial_ability=initial_ability, session=self.session)
        self._ratings.preload(answers)
        return self._ratings

    def _batch(self) -> SqlBatchRatingStore:
        assert self._ratings is not None, "batch_ratings first"
        return self._ratings

    def try_lock_items(self, item_ids: Collection[str]) -> set[str]:
        self._item_locks = self.session.begin_nested()
        return self._batch().lock_items(item_ids, skip_locked=True)

    def keep_item_locks(self, keep: bool) -> None:
        assert self._item_locks is not None, "try_lock_items first"
        if keep:
            self._item_locks.commit()
        else:
            self._item_locks.rollback()
        self._item_locks = None

    def wait_for_items(self, item_ids: Collection[str]) -> bool:
        waiting = self.session.begin_nested()
        try:
            self._batch().lock_items(item_ids, skip_locked=False)
        except DBAPIError as error:
            # Held past the lock timeout (a stalled worker): the server ends a holder idle
            # too long, so a later batch gets them.
            waiting.rollback()
            if not is_transient_conflict(error):
                raise
            return False
        waiting.commit()
        return True

    def load_items(self, item_ids: Collection[str]) -> None:
        self._batch().load_items(item_ids)

    def record_outcomes(
        self, applied: Sequence[AppliedEvent], rejected: Sequence[RejectedEvent], *, now: datetime
    ) -> None:
        writer = BatchWriter(self.session.connection())
        self._batch().flush(writer)
        # Positions in the global apply order are taken now, after the rows are locked, so
        # an event that had to wait for another worker's rows always comes after that
        # worker's.
        writer.update(
            _EVENTS,
            [
                {
                    "seq": a.seq,
                    "status": "applied",
                    "applied_at": now,
                    "predicted": a.predicted,
                    "performance": a.performance,
                    "outcome": a.outcome,
                }
                for a in applied
            ],
            keys=["seq"],
            numbered="applied_seq",
        )
        writer.update(_EVENTS, _rejections(rejected, now), keys=["seq"])
        writer.send()

    def reject(self, rejected: Sequence[RejectedEvent], *, now: datetime) -> None:
        writer = BatchWriter(self.session.connection())
        writer.update(_EVENTS, _rejections(rejected, now), keys=["seq"])
        writer.send()

    def _lock_namespace(self) -> int:
        tenant_id = self.session.info.get("tenant_id", DEFAULT_TENANT)
        if tenant_id == DEFAULT_TENANT:
            return _LOCK_NAMESPACE
        # A signed 32-bit key; two tenants sharing one would only wait for each other.
        return zlib.crc32(f"smartpractice:{tenant_id}".encode()) - 2**31

    def lock_partitions(self, partitions: Sequence[int], *, wait: bool) -> list[int]:
        """PostgreSQL advisory locks of the session's tenant (trying never waits, so it
        cannot deadlock); on SQLite, whose writers are serialised, every partition."""
        wanted = sorted(set(partitions))
        if self._dialect != "postgresql" or not wanted:
            return wanted
        namespace = self._lock_namespace()
        if wait:
            for p in wanted:
                self.session.execute(select(func.pg_advisory_xact_lock(namespace, p)))
            return wanted
        taken = self.session.execute(
            select(*(func.pg_try_advisory_xact_lock(namespace, p).label(f"p{p}") for p in wanted))
        ).one()
        return [p for p, ok in zip(wanted, taken, strict=True) if ok]

    def pending_partitions(self, *, older_than: datetime | None) -> list[int]:
        events = select(Event.partition).distinct().where(Event.status == "pending")
        chats = select(TutorSession.partition).distinct().where(TutorSession.status == "pending")
        if older_than is not None:
            events = events.where(Event.received_at < older_than)
            chats = chats.where(TutorSession.received_at < older_than)
        return sorted(set(self.session.scalars(events)) | set(self.session.scalars(chats)))

    def pending_count(self) -> int:
        return int(
            self.session.execute(
                select(func.count()).select_from(Event).where(Event.status == "pending")
            ).scalar_one()
        )

    def initial_ratings(self, *, initial_ability: float) -> MemoryRatingStore:
        store = MemoryRatingStore(initial_ability=initial_ability)
        expected = {
            item_id: seconds
            for item_id, seconds in self.session.execute(
                select(Item.item_id, Item.expected_time_seconds)
            )
        }
        difficulties: dict[str, dict[str, RatingState]] = {}
        for item_id, skill_id, initial in self.session.execute(
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

    def applied_events(self, *, chunk: int) -> Iterator[list[LoggedEvent]]:
        query = (
            select(Event)
            .where(Event.status == "applied")
            .order_by(Event.applied_seq)
            .execution_options(yield_per=chunk)
        )
        for events in self.session.scalars(query).partitions(chunk):
            yield [
                LoggedEvent(e.seq, e.event_id, e.kind, e.item_id, e.payload, e.occurred_at)
                for e in events
            ]

    def live_students(self) -> dict[str, StudentRatings]:
        offsets: dict[str, dict[str, RatingState]] = {}
        for row in self.session.scalars(select(StudentSkill)):
            offsets.setdefault(row.student_id, {})[row.skill_id] = RatingState(
                value=row.offset, attempts=row.attempts, correct=row.correct, last_at=row.last_at
            )
        return {
            s.student_id: StudentRatings(
                ability=RatingState(
                    value=s.ability, attempts=s.attempts, correct=s.correct, last_at=s.last_at
                ),
                offsets=offsets.get(s.student_id, {}),
            )
            for s in self.session.scalars(select(Student))
        }

    def live_item_skills(self) -> list[tuple[str, str, float, int]]:
        query = select(
            ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty, ItemSkill.attempts
        )
        return [(i, s, d, a) for i, s, d, a in self.session.execute(query)]

    def replace_ratings(self, ratings: ReplayRatings, outcomes: Sequence[AppliedEvent]) -> None:
        session = self.session
        session.execute(delete(StudentSkill))
        session.execute(delete(Student))
        students = student_rows(ratings, ratings.students)
        if students:
            session.execute(insert(Student), students)
        offsets = offset_rows(
            ratings, [(sid, skill) for sid, r in ratings.students.items() for skill in r.offsets]
        )
        if offsets:
            session.execute(insert(StudentSkill), offsets)
        item_rows = item_skill_rows(ratings, ratings.items)
        if item_rows:
            session.execute(update(ItemSkill), item_rows)
        counts = [
            {"item_id": item_id, "attempts": a, "correct": c}
            for item_id, (a, c) in ratings.item_attempts.items()
        ]
        session.execute(update(Item).values(attempts=0, correct=0))
        if counts:
            session.execute(update(Item), counts)
        rows = [
            {
                "seq": o.seq,
                "predicted": o.predicted,
                "performance": o.performance,
                "outcome": o.outcome,
            }
            for o in outcomes
        ]
        if rows:
            session.execute(update(Event), rows)
