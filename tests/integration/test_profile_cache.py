"""The Redis profile cache: hits while nothing changes, fresh right after an event applies."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from smartpractice.adapters.redis_cache import ProfileCache
from smartpractice.api.app import create_app
from smartpractice.settings import Settings
from smartpractice.worker.embedded import drain_pending
from tests.services import REDIS_URL, require

pytestmark = pytest.mark.integration

CACHE_DB = 12


def test_profile_cache_reads_own_writes(settings: Settings) -> None:
    require("Redis", REDIS_URL)
    cache_url = REDIS_URL.rsplit("/", 1)[0] + f"/{CACHE_DB}"
    server = redis.Redis.from_url(cache_url)
    server.flushdb()
    cached = settings.model_copy(update={"cache_url": cache_url})
    with TestClient(create_app(cached, auth=False, notify_worker=lambda *_: None)) as client:
        db = client.app.state.db  # type: ignore[attr-defined]
        item = client.get("/v1/items", params={"limit": 1}).json()["data"][0]["item_id"]

        def answer(n: int) -> None:
            body: dict[str, Any] = {
                "event_id": f"c{n}",
                "student_id": "s",
                "item_id": item,
                "score": 1.0,
            }
            assert client.post("/v1/attempts", json=body).status_code == 202
            drain_pending(db, cached)

        answer(1)
        first = client.get("/v1/students/s/profile").json()
        prefix = ProfileCache.prefix("default", "s")
        keys = server.keys(f"{prefix}*")
        assert keys == [f"{prefix}1".encode()]
        assert b":s:" not in keys[0]  # no student id in key names
        assert 0 < server.ttl(keys[0]) <= 300
        assert client.get("/v1/students/s/profile").json() == first  # served from the cache
        answer(2)
        assert client.get("/v1/attempts/c2").json()["status"] == "applied"
        second = client.get("/v1/students/s/profile").json()
        topics = [
            t
            for ch in second["knowledge_profile"].values()
            for c in ch.values()
            for t in c.values()
        ]
        assert topics[0]["interaction_metrics"]["total_questions_answered"] == 2


def test_profile_works_when_the_cache_is_unreachable(settings: Settings) -> None:
    broken = settings.model_copy(update={"cache_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken, auth=False, notify_worker=lambda *_: None)) as client:
        db = client.app.state.db  # type: ignore[attr-defined]
        item = client.get("/v1/items", params={"limit": 1}).json()["data"][0]["item_id"]
        client.post(
            "/v1/attempts", json={"event_id": "x", "student_id": "s", "item_id": item, "score": 1.0}
        )
        drain_pending(db, broken)
        assert client.get("/v1/students/s/profile").status_code == 200
