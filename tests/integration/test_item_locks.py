"""Workers pass over items another transaction holds (PostgreSQL row locks, SKIP LOCKED)
instead of queueing on them, and still keep each student's order."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import IDLE_IN_TRANSACTION_MS, LOCK_TIMEOUT_MS, Database
from smartpractice.storage.models import Event, Item
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

_HELD, _FREE = "ncert-eg-8-2-1", "vq-math-linear-equations-01"
_NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _accept(db: Database, answers: list[tuple[str, str, str]]) -> None:
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [
                AttemptIn(event_id=eid, student_id=sid, item_id=item, score=1.0)
                for eid, sid, item in answers
            ],
            now=_NOW,
        )


def _status(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return dict(session.execute(select(Event.event_id, Event.status)).tuples().all())


def _apply(db: Database) -> int:
    with db.transaction() as session:
        return apply_pending_events(
            SqlEventStore(session), config=Settings().model, now=_NOW, limit=100
        )


class _Holder:
    """Holds the `items` row of one item in an open transaction, as a worker would."""

    def __init__(self, db: Database, item_id: str) -> None:
        self._connection = db.engine.connect()
        self._transaction = self._connection.begin()
        self._connection.execute(
            select(Item.item_id).where(Item.item_id == item_id).with_for_update()
        )

    def release(self) -> None:
        self._transaction.commit()
        self._connection.close()


def test_events_of_a_held_item_wait_with_their_students_later_events(postgres_url: str) -> None:
    db = Database(postgres_url)
    _accept(db, [("a1", "s-a", _HELD), ("a2", "s-a", _FREE), ("b1", "s-b", _FREE)])
    holder = _Holder(db, _HELD)
    try:
        assert _apply(db) == 1
        assert _status(db) == {"a1": "pending", "a2": "pending", "b1": "applied"}
    finally:
        holder.release()
    assert _apply(db) == 2
    assert set(_status(db).values()) == {"applied"}
    with db.transaction() as session:
        order = session.execute(select(Event.event_id).order_by(Event.applied_seq)).scalars()
        assert list(order) == ["b1", "a1", "a2"]
    db.dispose()


def test_a_batch_whose_every_item_is_held_waits_for_them(postgres_url: str) -> None:
    db = Database(postgres_url)
    _accept(db, [("a1", "s-a", _HELD), ("b1", "s-b", _HELD)])
    holder = _Holder(db, _HELD)
    timer = threading.Timer(0.5, holder.release)
    timer.start()
    started = time.monotonic()
    try:
        assert _apply(db) == 2
    finally:
        timer.join()
    assert time.monotonic() - started >= 0.4  # it waited for the holder, then applied all
    assert set(_status(db).values()) == {"applied"}
    db.dispose()


def test_a_stalled_holder_does_not_hold_the_worker(postgres_url: str) -> None:
    # The holder never commits (a frozen worker): the batch gives up after the lock
    # timeout, leaving its events pending, instead of waiting for as long as it stalls.
    db = Database(postgres_url)
    _accept(db, [("a1", "s-a", _HELD), ("b1", "s-b", _HELD)])
    holder = _Holder(db, _HELD)
    answers: list[int] = []
    try:
        thread = threading.Thread(target=lambda: answers.append(_apply(db)), daemon=True)
        thread.start()
        thread.join(LOCK_TIMEOUT_MS / 1000 + 10)
        assert answers == [0]
        assert set(_status(db).values()) == {"pending"}
    finally:
        holder.release()
    assert _apply(db) == 2
    db.dispose()


def test_the_server_ends_a_session_idle_in_a_transaction(postgres_url: str) -> None:
    # What frees the locks of a worker frozen or cut off between two statements.
    db = Database(postgres_url)
    with db.transaction() as session:
        idle = session.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one()
        lock = session.execute(text("SHOW lock_timeout")).scalar_one()
    assert (idle, lock) == (f"{IDLE_IN_TRANSACTION_MS // 1000}s", f"{LOCK_TIMEOUT_MS // 1000}s")
    db.dispose()
