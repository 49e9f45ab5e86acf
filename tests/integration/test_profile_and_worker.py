"""The knowledge profile over HTTP, and the real embedded worker thread."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartpractice.api.app import create_app
from smartpractice.settings import Settings

pytestmark = pytest.mark.integration

TOPIC_KEYS = {
    "overall_proficiency",
    "last_assessed",
    "confidence_trend",
    "skills",
    "interaction_metrics",
    "identified_misconceptions",
}


def test_profile_has_the_mission_shape(client: TestClient, drain: Any) -> None:
    item = client.get("/v1/items", params={"subject": "Chemistry", "limit": 1}).json()["data"][0]
    client.post(
        "/v1/attempts",
        json={
            "attempts": [
                {
                    "event_id": f"p{n}",
                    "student_id": "stu",
                    "item_id": item["item_id"],
                    "score": 1.0,
                    "time_spent_seconds": 100 + 20 * n,
                    "attempts": 1 + n % 2,
                    "hints_used": 1,
                    "solution_viewed": n == 0,
                }
                for n in range(4)
            ]
        },
    )
    drain()
    body = client.get("/v1/students/stu/profile").json()
    topic = body["knowledge_profile"][item["subject"]][item["chapter"]][item["topic"]]
    assert set(topic) == TOPIC_KEYS
    assert 0.0 <= topic["overall_proficiency"] <= 1.0
    assert topic["confidence_trend"] in {"improving", "declining", "stable"}
    for skill_id in item["skills"]:
        entry = topic["skills"][skill_id]
        assert entry["skill_id"] == skill_id
        assert entry["questions_attempted"] == 4
        assert entry["correct"] <= 4
        assert 0.0 <= entry["proficiency"] <= 1.0
    metrics = topic["interaction_metrics"]
    assert metrics == {
        "total_questions_answered": 4,
        "average_time_spent_seconds": 130.0,
        "average_attempts_per_question": 1.5,
        "hints_used_count": 4,
        "solutions_viewed_count": 1,
    }


def test_embedded_worker_applies_posted_attempts(settings: Settings) -> None:
    app = create_app(settings, demo=True)
    with TestClient(app) as client:
        item = client.get("/v1/items", params={"limit": 1}).json()["data"][0]["item_id"]
        batch = [
            {"event_id": f"w{n}", "student_id": f"s{n % 3}", "item_id": item, "score": 1.0}
            for n in range(30)
        ]
        assert client.post("/v1/attempts", json={"attempts": batch}).status_code == 202
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            statuses = {client.get(f"/v1/attempts/w{n}").json()["status"] for n in range(30)}
            if statuses == {"applied"}:
                break
            time.sleep(0.05)
        assert statuses == {"applied"}
        assert client.get(f"/v1/items/{item}").json()["attempts"] == 30
