"""Scale-out on PostgreSQL with real Celery worker processes on Redis or RabbitMQ.

The invariant under test: however many workers apply events at once, the final ratings
equal a one-at-a-time replay of the log in its recorded apply order, every accepted event
is applied exactly once, and each student's events are applied in acceptance order.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, make_url, select

from smartpractice.api.app import create_app
from smartpractice.services.replay import compare_with_live, replay_event_log
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Student
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.worker.celery_app import delete_queue
from tests.integration.scale_helpers import (
    ThrowawayPostgres,
    ThrowawayRedis,
    Worker,
    status_counts,
    wait_for,
)
from tests.services import RABBITMQ_URL, REDIS_URL, require

pytestmark = pytest.mark.integration

TEST_REDIS_DB = 11


@pytest.fixture
def broker_url(postgres_url: str) -> Iterator[str]:
    require("Redis", REDIS_URL)
    url = REDIS_URL.rsplit("/", 1)[0] + f"/{TEST_REDIS_DB}"
    yield url
    delete_queue(Settings(broker_url=url, celery_queue=_queue(postgres_url)))


def _queue(database_url: str) -> str:
    # Each test's own queue (its database is its own too), so that test runs sharing the
    # broker never take each other's messages.
    return f"test-{make_url(database_url).database}"


def _env(database_url: str, broker: str) -> dict[str, str]:
    return {
        "SMARTPRACTICE_DATABASE_URL": database_url,
        "SMARTPRACTICE_QUEUE": "celery",
        "SMARTPRACTICE_BROKER_URL": broker,
        "SMARTPRACTICE_CELERY_QUEUE": _queue(database_url),
        "SMARTPRACTICE_SWEEP_SECONDS": "1",
        "SMARTPRACTICE_SWEEP_MIN_AGE_SECONDS": "0.5",
        "SMARTPRACTICE_WORKER_BATCH_SIZE": "100",
    }


def _client(database_url: str, broker: str) -> TestClient:
    settings = Settings(
        database_url=database_url,
        queue="celery",
        broker_url=broker,
        celery_queue=_queue(database_url),
    )
    return TestClient(create_app(settings, auth=False))


def _items(client: TestClient, count: int) -> list[str]:
    data = client.get("/v1/items", params={"limit": count}).json()["data"]
    return [i["item_id"] for i in data]


def _bursty_events(
    items: list[str], *, count: int, students: int, seed: int
) -> list[dict[str, Any]]:
    """Students answering in bursts of 1-8 consecutive attempts on a few hot items."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    while len(events) < count:
        student = f"stu-{rng.randrange(students)}"
        for _ in range(rng.randint(1, 8)):
            n = len(events)
            events.append(
                {
                    "event_id": f"ev-{seed}-{n}",
                    "student_id": student,
                    "item_id": rng.choice(items),
                    "score": rng.choice([0.0, 0.5, 1.0, 1.0]),
                    "occurred_at": f"2026-11-{1 + n * 28 // count:02d}T10:00:00Z",
                    "hints_used": rng.randrange(2),
                }
            )
    return events[:count]


def _post(client: TestClient, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 1000):
        response = client.post("/v1/attempts", json={"attempts": events[start : start + 1000]})
        assert response.status_code == 202, response.text


def _assert_replay_equals_live(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        store = SqlEventStore(session)
        assert compare_with_live(store, replay_event_log(store, config=settings.model)) == []


def _assert_each_student_in_acceptance_order(db: Database) -> None:
    with db.transaction() as session:
        rows = session.execute(
            select(Event.student_id, Event.seq, Event.applied_seq).where(Event.status == "applied")
        ).all()
    by_student: dict[str, list[tuple[int, int]]] = {}
    for student, seq, applied in rows:
        by_student.setdefault(student, []).append((seq, applied))
    for student, pairs in by_student.items():
        by_seq = [applied for _, applied in sorted(pairs)]
        assert by_seq == sorted(by_seq), f"{student}'s events applied out of order"


def _assert_applied_exactly_once(db: Database, events: list[dict[str, Any]]) -> None:
    expected: dict[str, int] = {}
    for event in events:
        expected[event["student_id"]] = expected.get(event["student_id"], 0) + 1
    with db.transaction() as session:
        stored = dict(session.execute(select(Student.student_id, Student.attempts)).tuples().all())
        applied = session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "applied")
        )
    assert applied == len(events)
    assert stored == expected


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_celery_workers_apply_attempts(
    postgres_url: str,
    broker_url: str,
    workers: list[Worker],
    broker: str,
    request: pytest.FixtureRequest,
) -> None:
    if broker == "rabbitmq":
        require("RabbitMQ", RABBITMQ_URL)
        broker_url = RABBITMQ_URL

        def _delete_queue() -> None:
            for worker in workers:  # stopped first: a consuming worker declares it again
                worker.stop()
            delete_queue(Settings(broker_url=RABBITMQ_URL, celery_queue=_queue(postgres_url)))

        request.addfinalizer(_delete_queue)
    workers.append(Worker(_env(postgres_url, broker_url)))
    db = Database(postgres_url)
    with _client(postgres_url, broker_url) as client:
        events = _bursty_events(_items(client, 20), count=300, students=30, seed=1)
        _post(client, events)
        wait_for(lambda: status_counts(db) == {"applied": 300}, timeout=120, what="300 applied")
        profile = client.get("/v1/students/stu-1/profile")
        assert profile.status_code == 200
    _assert_applied_exactly_once(db, events)
    _assert_replay_equals_live(db, Settings())
    db.dispose()


def test_four_workers_on_hot_items_equal_one_at_a_time_replay(
    postgres_url: str, broker_url: str, workers: list[Worker]
) -> None:
    env = _env(postgres_url, broker_url)
    workers.extend(Worker(env) for _ in range(4))
    db = Database(postgres_url)
    with _client(postgres_url, broker_url) as client:
        events = _bursty_events(_items(client, 6), count=10_000, students=300, seed=2)
        _post(client, events)
        wait_for(
            lambda: status_counts(db) == {"applied": 10_000}, timeout=600, what="10,000 applied"
        )
    _assert_applied_exactly_once(db, events)
    _assert_each_student_in_acceptance_order(db)
    _assert_replay_equals_live(db, Settings())
    db.dispose()


def test_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    postgres_url: str, broker_url: str, workers: list[Worker]
) -> None:
    env = {**_env(postgres_url, broker_url), "SMARTPRACTICE_WORKER_BATCH_SIZE": "50"}
    first = Worker(env)
    db = Database(postgres_url)
    with _client(postgres_url, broker_url) as client:
        events = _bursty_events(_items(client, 10), count=4000, students=100, seed=3)
        _post(client, events)
        wait_for(lambda: status_counts(db).get("applied", 0) > 0, timeout=120, what="first batch")
        first.kill()
        assert status_counts(db).get("pending", 0) > 0, "the kill came too late to test"
        workers.append(Worker(env, beat=True))
        wait_for(lambda: status_counts(db) == {"applied": 4000}, timeout=300, what="all applied")
    _assert_applied_exactly_once(db, events)
    _assert_each_student_in_acceptance_order(db)
    _assert_replay_equals_live(db, Settings())
    db.dispose()


def test_redis_down_still_accepts_and_applies_after_it_returns(
    postgres_url: str, workers: list[Worker], tmp_path: Path
) -> None:
    require("Redis", REDIS_URL)
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        workers.append(Worker(_env(postgres_url, server.url), beat=True))
        db = Database(postgres_url)
        with _client(postgres_url, server.url) as client:
            events = _bursty_events(_items(client, 10), count=400, students=40, seed=4)
            _post(client, events[:200])
            wait_for(lambda: status_counts(db) == {"applied": 200}, timeout=120, what="first half")
            server.stop()
            started = time.monotonic()
            _post(client, events[200:])  # the API still answers 202: events are in PostgreSQL
            assert time.monotonic() - started < 30
            assert status_counts(db) == {"applied": 200, "pending": 200}
            server.start()
            wait_for(lambda: status_counts(db) == {"applied": 400}, timeout=180, what="recovery")
        _assert_applied_exactly_once(db, events)
        db.dispose()
    finally:
        server.stop()


def test_postgres_down_is_503_with_retry_after_and_recovers() -> None:
    require("PostgreSQL", "postgresql://127.0.0.1:5432")
    server = ThrowawayPostgres()
    server.init()
    server.start()
    try:
        settings = Settings(database_url=server.url, queue="embedded")
        with TestClient(create_app(settings, demo=True, notify_worker=lambda *_: None)) as client:
            assert client.get("/healthz").status_code == 200
            server.stop()
            for response in (
                client.get("/healthz"),
                client.get("/v1/items"),
                client.post(
                    "/v1/attempts",
                    json={"event_id": "e", "student_id": "s", "item_id": "i", "score": 1.0},
                ),
            ):
                assert response.status_code == 503
                assert response.headers["retry-after"]
                assert "Traceback" not in response.text
            server.start()
            wait_for(lambda: client.get("/healthz").status_code == 200, timeout=30, what="recovery")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        server.remove()
