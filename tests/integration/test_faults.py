"""Faults of the servers around the API: a dead or hung rate-limit store or broker never
makes the API answer 500 or wait on it. Each test runs servers of its own (throwaway
Redis), which it stops or freezes; shared servers are never touched."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartpractice.api.app import create_app
from smartpractice.services.access import Scope, create_key
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.worker.celery_app import make_celery
from smartpractice_lab.throwaway import Server, throwaway_redis
from tests.services import require_binary

pytestmark = pytest.mark.integration

_ATTEMPT = {"event_id": "e-1", "student_id": "s-1", "item_id": "ncert-eg-8-2-1", "score": 1.0}


@pytest.fixture
def sqlite_settings(tmp_path: Path, sample_bank_db: Path) -> Settings:
    path = tmp_path / "smartpractice.db"
    shutil.copyfile(sample_bank_db, path)
    return Settings(database_url=f"sqlite:///{path}")


@pytest.fixture
def redis_server() -> Iterator[Server]:
    require_binary("redis-server")
    with throwaway_redis() as server:
        yield server


def _key(app: Any, scope: Scope) -> dict[str, str]:
    root: Database = app.state.db
    with root.transaction() as session:
        token = create_key(
            SqlAccessStore(session), tenant_id="default", scope=scope, name=scope.value
        ).token
    return {"Authorization": f"Bearer {token}"}


def _in_thread(call: Any, *, seconds: float) -> Any:
    """`call()`'s result, or AssertionError if it has not returned after `seconds` (it is
    left running: the tests then unfreeze what it waits on)."""
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert answers, f"still waiting after {seconds} s"
    return answers[0]


@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_a_dead_rate_limit_store_never_gives_500(
    sqlite_settings: Settings, redis_server: Server, fault: str
) -> None:
    settings = sqlite_settings.model_copy(
        update={"rate_limit_url": redis_server.url, "rate_limit": "5/minute"}
    )
    app = create_app(settings, notify_worker=lambda *_: None)
    with TestClient(app) as client:
        headers = _key(app, Scope.read)
        assert client.get("/v1/skills", headers=headers).status_code == 200
        redis_server.kill() if fault == "killed" else redis_server.freeze()
        # Counted in the process meanwhile: the limit still holds.
        statuses = [
            _in_thread(lambda: client.get("/v1/skills", headers=headers), seconds=10).status_code
            for _ in range(8)
        ]
        assert statuses == [200] * 5 + [429] * 3


def test_a_hung_broker_does_not_hold_the_202(
    sqlite_settings: Settings, redis_server: Server
) -> None:
    settings = sqlite_settings.model_copy(
        update={"queue": "celery", "broker_url": redis_server.url, "celery_queue": "sp-hung"}
    )
    app = create_app(settings, demo=True)
    with TestClient(app) as client:
        assert client.post("/v1/attempts", json=_ATTEMPT).status_code == 202
        redis_server.freeze()
        try:
            for n in range(5):
                body = {**_ATTEMPT, "event_id": f"e-frozen-{n}"}
                posted = _in_thread(lambda b=body: client.post("/v1/attempts", json=b), seconds=10)
                assert posted.status_code == 202
            assert _in_thread(lambda: client.get("/healthz"), seconds=10).status_code == 200
        finally:
            redis_server.thaw()


def test_the_beat_schedule_needs_no_file(sqlite_settings: Settings) -> None:
    # The worker's embedded beat (``worker --beat``) uses the configured scheduler class.
    from celery.beat import PersistentScheduler
    from kombu.utils.imports import symbol_by_name

    app = make_celery(sqlite_settings, with_tasks=False)
    assert not issubclass(symbol_by_name(app.conf.beat_scheduler), PersistentScheduler)


def test_tenants_messages_are_spread_over_queues_every_worker_reads(
    sqlite_settings: Settings,
) -> None:
    from smartpractice.worker.celery_app import tenant_queue, worker_queues

    queues = {t: tenant_queue(sqlite_settings, t) for t in ("default", "alpha", "beta")}
    assert queues["default"] == sqlite_settings.celery_queue
    assert len(set(queues.values())) == 3  # a flood of one waits in a queue of its own
    assert set(queues.values()) <= set(worker_queues(sqlite_settings))
