"""Hostile or careless JSON bodies get a 422 naming the problem, never a 500; stricter
input rules leave events stored under the old ones readable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from smartpractice.storage.db import Database
from smartpractice.storage.models import Event

pytestmark = pytest.mark.integration

_ITEM = "ncert-eg-8-2-1"
_ATTEMPT = {"event_id": "e-1", "student_id": "stu-1", "item_id": _ITEM, "score": 0.5}

# Every route with a body, with a body in which a number is NaN (text to substitute).
_ROUTES = [
    ("/v1/attempts", '{"event_id": "e-1", "student_id": "s", "item_id": "i", "score": %s}'),
    (
        "/v1/attempts",
        '{"attempts": [{"event_id": "e", "student_id": "s", "item_id": "i",'
        ' "score": 1, "hints_used": %s}]}',
    ),
    ("/v1/tutor-sessions", '{"session_id": "c", "student_id": "s", "messages": %s}'),
    ("/v1/skills", '[{"skill_id": "a:b", "name": %s}]'),
    (
        "/v1/items",
        '[{"item_id": "q", "source": "pyq", "subject": "m", "chapter": "c",'
        ' "topic": "t", "skills": {"a:b": %s}}]',
    ),
    ("/v1/misconceptions", '[{"misconception_id": "m", "skill_id": "a:b", "description": %s}]'),
]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
@pytest.mark.parametrize(("path", "template"), _ROUTES)
def test_non_finite_numbers_are_a_422(
    client: TestClient, path: str, template: str, number: str
) -> None:
    body = template % number
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score", True),
        ("score", "0.5"),
        ("attempts", True),
        ("hints_used", "1"),
        ("confidence", "4"),
        ("time_spent_seconds", "30"),
        ("solution_viewed", "false"),
        ("skill_scores", {"math:x": "1"}),
    ],
)
def test_numbers_are_not_coerced(client: TestClient, field: str, value: Any) -> None:
    response = client.post("/v1/attempts", json={**_ATTEMPT, field: value})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


@pytest.mark.parametrize("student_id", [".", ".."])
def test_path_step_student_ids_are_refused(client: TestClient, student_id: str) -> None:
    response = client.post("/v1/attempts", json={**_ATTEMPT, "student_id": student_id})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "student_id"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_body_not_in_plain_utf8_is_refused(client: TestClient, encoding: str) -> None:
    body = json.dumps(_ATTEMPT).encode(encoding)
    response = client.post(
        "/v1/attempts", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"][0]["msg"]
    assert client.get("/v1/attempts/e-1").status_code == 404


def test_events_stored_under_the_old_rules_still_apply(
    client: TestClient, db: Database, drain: Any
) -> None:
    assert client.post("/v1/attempts", json=_ATTEMPT).status_code == 202
    with db.transaction() as session:
        stored = session.scalars(select(Event.payload).where(Event.event_id == "e-1")).one()
        # What the old rules let through and today's refuse: a path-step student id, an
        # integral number where a float is meant, a far-future time.
        old = {**stored, "student_id": "..", "score": 1, "occurred_at": "9999-12-31T00:00:00Z"}
        session.execute(
            update(Event).where(Event.event_id == "e-1").values(payload=old, student_id="..")
        )
    assert drain() == 1
    assert client.get("/v1/attempts/e-1").json()["status"] == "applied"


@pytest.mark.parametrize(
    "occurred_at", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]
)
def test_times_far_from_the_service_clock_are_refused(client: TestClient, occurred_at: str) -> None:
    response = client.post("/v1/attempts", json={**_ATTEMPT, "occurred_at": occurred_at})
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body", "occurred_at"]
    assert "service's clock" in problem["msg"]
    assert client.get("/v1/attempts/e-1").status_code == 404


def test_times_within_the_skew_are_accepted(client: TestClient) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    last_year = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    batch = [
        {**_ATTEMPT, "event_id": "soon", "occurred_at": soon},
        {**_ATTEMPT, "event_id": "old", "occurred_at": last_year},
    ]
    assert client.post("/v1/attempts", json={"attempts": batch}).status_code == 202
