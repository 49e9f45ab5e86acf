"""A Celery task takes its share of the partitions a message names and passes the rest
on, one message per share, so that every worker gets work (the task run in-process, its
outgoing messages recorded); the API sends one message per share too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from smartpractice.services.events import accept_attempts, partition_of
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.worker.celery_app import APPLY_TASK, make_celery, send_partitions

pytestmark = pytest.mark.integration

_ITEM = "vq-math-linear-equations-01"
# Whether each recorded message may itself retry busy partitions (its third argument).
retries: list[bool] = []


def _task_and_sent(
    settings: Settings, db: Database
) -> tuple[Any, list[tuple[list[int], float | None]]]:
    app = make_celery(settings, database=db)
    sent: list[tuple[list[int], float | None]] = []
    retries.clear()

    def record(name: str, args: list[Any], countdown: float | None = None, **_: Any) -> None:
        assert name == APPLY_TASK
        sent.append((list(args[0]), countdown))
        retries.append(args[2] if len(args) > 2 else True)

    app.send_task = record  # type: ignore[method-assign]
    return app.tasks[APPLY_TASK], sent


def _pending_by_partition(db: Database) -> dict[int, int]:
    with db.transaction() as session:
        rows = session.execute(
            select(Event.partition, func.count())
            .where(Event.status == "pending")
            .group_by(Event.partition)
        )
        return {int(p): int(n) for p, n in rows}


def test_a_task_takes_its_share_and_sends_the_rest_on(postgres_url: str) -> None:
    settings = Settings(
        database_url=postgres_url, queue="celery", worker_partitions_per_task=4, partitions=16
    )
    db = Database(postgres_url)
    students = [f"share-{n}" for n in range(200)]
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [
                AttemptIn(event_id=f"ev-{s}", student_id=s, item_id=_ITEM, score=1.0)
                for s in students
            ],
            now=datetime(2026, 5, 1, tzinfo=UTC),
            partitions=16,
        )
    everything = sorted({partition_of(s, 16) for s in students})
    task, sent = _task_and_sent(settings, db)
    applied = task.run(everything)
    left = _pending_by_partition(db)
    # The others' shares, sent at once, one message per share.
    assert all(countdown is None and len(share) <= 4 for share, countdown in sent)
    passed_on = {p for share, _ in sent for p in share}
    assert sum(len(share) for share, _ in sent) == len(passed_on)
    done = set(everything) - passed_on
    assert len(done) == 4  # its own share, and only that
    assert set(left) == passed_on  # what it passed on is exactly what is still pending
    assert applied == sum(1 for s in students if partition_of(s, 16) in done)
    db.dispose()


def test_a_task_returns_its_partitions_to_the_queue_after_its_turns(postgres_url: str) -> None:
    settings = Settings(
        database_url=postgres_url,
        queue="celery",
        worker_batch_size=10,
        worker_batches_per_task=2,
    )
    db = Database(postgres_url)
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [
                AttemptIn(event_id=f"ev-{n}", student_id="one-student", item_id=_ITEM, score=1.0)
                for n in range(50)
            ],
            now=datetime(2026, 5, 1, tzinfo=UTC),
        )
    partition = partition_of("one-student", settings.partitions)
    task, sent = _task_and_sent(settings, db)
    assert task.run([partition]) == 20  # two turns of ten
    assert sent == [([partition], None)]  # then back in the queue, work still left
    assert _pending_by_partition(db) == {partition: 30}
    db.dispose()


def test_the_api_sends_one_message_per_share() -> None:
    sent: list[list[int]] = []

    class _App:
        def send_task(self, name: str, args: list[Any], **_: Any) -> None:
            sent.append(list(args[0]))

    assert send_partitions(_App(), range(10), per_message=4)  # type: ignore[arg-type]
    assert sent == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_busy_partitions_are_retried_once_not_forever(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, queue="celery")
    db = Database(postgres_url)
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [AttemptIn(event_id="ev-busy", student_id="busy-student", item_id=_ITEM, score=1.0)],
            now=datetime(2026, 5, 1, tzinfo=UTC),
        )
    partition = partition_of("busy-student", settings.partitions)
    holder = db.engine.connect()
    transaction = holder.begin()
    try:
        holder.execute(select(func.pg_advisory_xact_lock(0x5350, partition)))
        task, sent = _task_and_sent(settings, db)
        assert task.run([partition]) == 0
        assert sent == [([partition], 0.05)] and retries == [False]  # one retry, shortly
        sent.clear()
        assert task.run([partition], "default", False) == 0  # that retry finds it held too
        assert sent == []  # and lets it go: the holder, or the sweep, sees the event
    finally:
        transaction.rollback()
        holder.close()
    assert _pending_by_partition(db) == {partition: 1}
    db.dispose()
