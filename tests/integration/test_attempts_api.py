"""POST /v1/attempts: durable, idempotent, validated; GET /v1/attempts/{id}: status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Item, ItemSkill

pytestmark = pytest.mark.integration


def _items(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/items", params={"limit": 1000, **filters})
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def _events(db: Database) -> int:
    with db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(Event)).scalar_one())


def test_single_attempt_is_accepted_then_applied(client: TestClient, drain: Any) -> None:
    item = _items(client)[0]["item_id"]
    body = {"event_id": "e-1", "student_id": "stu-1", "item_id": item, "score": 1.0}
    response = client.post("/v1/attempts", json=body)
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "event_ids": ["e-1"]}
    assert client.get("/v1/attempts/e-1").json()["status"] == "pending"
    assert drain() == 1
    status = client.get("/v1/attempts/e-1").json()
    assert status["status"] == "applied"
    assert status["applied_at"] is not None


def test_single_attempt_with_every_field(client: TestClient, drain: Any) -> None:
    item = _items(client)[0]["item_id"]
    body = {
        "event_id": "full-1",
        "student_id": "stu-42",
        "item_id": item,
        "occurred_at": "2026-11-25T10:00:00Z",
        "score": 0.7,
        "skill_scores": {},
        "attempts": 2,
        "time_spent_seconds": 240,
        "hints_used": 1,
        "solution_viewed": False,
        "confidence": 4,
        "mode": "smart_practice",
    }
    assert client.post("/v1/attempts", json=body).status_code == 202
    assert drain() == 1
    assert client.get("/v1/attempts/full-1").json()["status"] == "applied"


def test_same_event_twice_is_a_duplicate_and_applied_once(client: TestClient, drain: Any) -> None:
    item = _items(client)[0]["item_id"]
    body = {"event_id": "e-1", "student_id": "stu-1", "item_id": item, "score": 0.0}
    assert client.post("/v1/attempts", json=body).json()["accepted"] == 1
    drain()
    again = client.post("/v1/attempts", json=body)
    assert again.status_code == 202
    assert again.json()["duplicates"] == 1
    assert drain() == 0
    skills = client.get("/v1/students/stu-1/skills").json()["skills"]
    assert all(s["questions_attempted"] == 1 for s in skills)


def test_same_event_id_with_other_content_is_409_and_stores_nothing(
    client: TestClient, db: Database
) -> None:
    item = _items(client)[0]["item_id"]
    body = {"event_id": "e-1", "student_id": "stu-1", "item_id": item, "score": 0.0}
    client.post("/v1/attempts", json=body)
    batch = {
        "attempts": [
            {**body, "event_id": "e-2"},
            {**body, "score": 1.0},
        ]
    }
    response = client.post("/v1/attempts", json=batch)
    assert response.status_code == 409
    assert response.json()["detail"][0]["input"] == "e-1"
    assert _events(db) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score": 1.5}, "score"),  # score outside [0, 1]
        ({"score": -0.1}, "score"),
        ({"confidence": 6}, "confidence"),  # confidence outside 1-5
        ({"confidence": 0}, "confidence"),
        ({"time_spent_seconds": -3}, "time_spent_seconds"),  # negative time
        ({"attempts": 0}, "attempts"),
        ({"hints_used": -1}, "hints_used"),
        ({"surprise": True}, "surprise"),  # extra field
        ({"event_id": None}, "event_id"),  # missing required field
        ({"occurred_at": "2026-11-25T10:00:00"}, "occurred_at"),  # no timezone
        ({"occurred_at": "0001-01-01T00:00:00+00:03"}, "occurred_at"),  # before year 1 in UTC
        ({"item_id": "no-such-item"}, "item_id"),  # unknown item
        ({"skill_scores": {"math:not:a:skill_of_it": 0.5}}, "skill_scores"),  # foreign skill
    ],
)
def test_bad_attempt_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, db: Database, change: dict[str, Any], field: str
) -> None:
    item = _items(client)[0]["item_id"]
    good = {"event_id": "ok-1", "student_id": "stu-1", "item_id": item, "score": 0.5}
    bad = {"event_id": "bad-1", "student_id": "stu-1", "item_id": item, "score": 0.5, **change}
    bad = {k: v for k, v in bad.items() if v is not None}
    response = client.post("/v1/attempts", json={"attempts": [good, bad]})
    assert response.status_code == 422
    locations = [e["loc"] for e in response.json()["detail"]]
    assert any(field in map(str, loc) for loc in locations), locations
    assert any(1 in loc for loc in locations), "the error names the row of the batch"
    assert _events(db) == 0


def test_batch_over_the_limit_is_422(client: TestClient, db: Database) -> None:
    item = _items(client)[0]["item_id"]
    batch = [
        {"event_id": f"e-{i}", "student_id": "stu-1", "item_id": item, "score": 1.0}
        for i in range(1001)
    ]
    response = client.post("/v1/attempts", json={"attempts": batch})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "attempts"]
    assert _events(db) == 0


def test_unknown_event_is_404(client: TestClient) -> None:
    assert client.get("/v1/attempts/never-sent").status_code == 404


def test_event_whose_item_vanished_is_rejected_with_reason(
    client: TestClient, db: Database, drain: Any
) -> None:
    item = _items(client)[0]["item_id"]
    body = {"event_id": "e-1", "student_id": "stu-1", "item_id": item, "score": 1.0}
    client.post("/v1/attempts", json=body)
    with db.transaction() as session:
        session.execute(delete(ItemSkill).where(ItemSkill.item_id == item))
        session.execute(delete(Item).where(Item.item_id == item))
    drain()
    status = client.get("/v1/attempts/e-1").json()
    assert status["status"] == "rejected"
    assert item in status["reason"]


def test_events_of_a_student_apply_in_acceptance_order(
    client: TestClient, db: Database, drain: Any
) -> None:
    items = [i["item_id"] for i in _items(client)[:5]]
    for n, item in enumerate(items):
        client.post(
            "/v1/attempts",
            json={"event_id": f"e-{n}", "student_id": "stu-1", "item_id": item, "score": 1.0},
        )
    drain()
    with db.transaction() as session:
        order = session.scalars(select(Event.event_id).order_by(Event.applied_seq)).all()
    assert order == [f"e-{n}" for n in range(5)]
