"""Skills and items: bulk upsert with validation, filters, pagination, item statistics."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def _item(item_id: str, **change: Any) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "source": "ncert_exercise",
        "subject": "Mathematics",
        "chapter": "Test chapter",
        "topic": "Test topic",
        "grade": 9,
        "difficulty_label": "Hard",
        "skills": {"t:a": None},
        **change,
    }


@pytest.fixture
def two_skills(client: TestClient) -> None:
    skills = [
        {"skill_id": "t:a", "name": "A"},
        {"skill_id": "t:b", "name": "B", "prerequisites": ["t:a"]},
    ]
    assert client.post("/v1/skills", json=skills).json() == {"upserted": 2}


def test_skills_round_trip_with_prerequisites(client: TestClient, two_skills: None) -> None:
    page = client.get("/v1/skills", params={"limit": 1000}).json()
    found = {s["skill_id"]: s for s in page["data"]}
    assert found["t:b"]["prerequisites"] == ["t:a"]
    assert page["total"] >= 42


@pytest.mark.parametrize(
    ("skills", "problem"),
    [
        ([{"skill_id": "t:a", "name": "A", "prerequisites": ["t:b"]}], "cycle"),  # a->b->a
        ([{"skill_id": "t:c", "name": "C", "prerequisites": ["t:zzz"]}], "unknown skill"),
        ([{"skill_id": "t:c", "name": "C", "prerequisites": ["t:c"]}], "itself"),
        ([{"skill_id": "Bad Id", "name": "C"}], "lowercase"),
        ([{"skill_id": "t:c"}], "Field required"),
    ],
)
def test_bad_skills_are_422_and_store_nothing(
    client: TestClient, two_skills: None, skills: list[dict[str, Any]], problem: str
) -> None:
    before = client.get("/v1/skills", params={"limit": 1000}).json()
    response = client.post("/v1/skills", json={"skills": skills})
    assert response.status_code == 422
    assert problem in str(response.json()["detail"])
    assert client.get("/v1/skills", params={"limit": 1000}).json() == before


def test_item_difficulty_from_label_or_explicit(client: TestClient, two_skills: None) -> None:
    items = [_item("t-1"), _item("t-2", skills={"t:a": 1333.0, "t:b": None})]
    assert client.post("/v1/items", json={"items": items}).json() == {"upserted": 2}
    one = client.get("/v1/items/t-1").json()
    assert one["skills"]["t:a"]["difficulty"] == 1400.0  # Hard
    two = client.get("/v1/items/t-2").json()
    assert two["skills"]["t:a"]["difficulty"] == 1333.0
    assert two["skills"]["t:b"]["difficulty"] == 1400.0
    assert two["attempts"] == 0
    assert two["success_rate"] is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"skills": {}}, "at least one skill"),  # an item without skills
        ({"skills": {"t:nope": None}}, "unknown skill"),
        ({"difficulty_label": "Tricky"}, "difficulty_label"),
        ({"expected_time_seconds": -5}, "expected_time_seconds"),
        ({"grade": 13}, "grade"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_items_are_422_and_store_nothing(
    client: TestClient, two_skills: None, change: dict[str, Any], problem: str
) -> None:
    response = client.post("/v1/items", json=[_item("t-ok"), _item("t-bad", **change)])
    assert response.status_code == 422
    assert problem in str(response.json()["detail"])
    assert client.get("/v1/items/t-ok").status_code == 404


def test_item_filters_and_pagination(client: TestClient) -> None:
    everything = client.get("/v1/items", params={"limit": 1000}).json()
    assert everything["total"] >= 300
    physics = client.get("/v1/items", params={"subject": "Physics", "limit": 5}).json()
    assert physics["total"] < everything["total"]
    assert len(physics["data"]) == 5
    assert all(i["subject"] == "Physics" for i in physics["data"])
    second = client.get("/v1/items", params={"subject": "Physics", "limit": 5, "offset": 5}).json()
    assert {i["item_id"] for i in second["data"]}.isdisjoint(i["item_id"] for i in physics["data"])
    skill = physics["data"][0]["skills"]
    some_skill = next(iter(skill))
    by_skill = client.get("/v1/items", params={"skill": some_skill, "limit": 1000}).json()
    assert all(some_skill in i["skills"] for i in by_skill["data"])
    topic = physics["data"][0]["topic"]
    by_topic = client.get("/v1/items", params={"topic": topic, "limit": 1000}).json()
    assert all(i["topic"] == topic for i in by_topic["data"])
    assert client.get("/v1/items", params={"limit": 0}).status_code == 422


def test_item_statistics_follow_attempts(client: TestClient, drain: Any) -> None:
    item = client.get("/v1/items", params={"limit": 1}).json()["data"][0]
    skill = next(iter(item["skills"]))
    for n, score in enumerate([1.0, 0.0, 1.0, 1.0]):
        client.post(
            "/v1/attempts",
            json={
                "event_id": f"e{n}",
                "student_id": f"s{n}",
                "item_id": item["item_id"],
                "score": score,
            },
        )
    drain()
    stats = client.get(f"/v1/items/{item['item_id']}").json()
    assert stats["attempts"] == 4
    assert stats["success_rate"] == 0.75
    assert stats["skills"][skill]["attempts"] == 4
    assert stats["skills"][skill]["difficulty"] != item["skills"][skill]["difficulty"]


def test_unknown_student_profile_is_404_and_health_is_ok(client: TestClient) -> None:
    assert client.get("/v1/students/nobody/profile").status_code == 404
    assert client.get("/v1/students/nobody/skills").status_code == 404
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "database": "ok"}
    assert client.get("/docs").status_code == 200
    assert "/v1/attempts" in client.get("/openapi.json").json()["paths"]


def test_next_question_for_unknown_scope_is_404_or_422(client: TestClient) -> None:
    assert client.get("/v1/students/s/next-question", params={"topic": "Nope"}).status_code == 404
    bad = client.get("/v1/students/s/next-question", params={"skills": "x:unknown"})
    assert bad.status_code == 422
    assert "unknown skills" in str(bad.json()["detail"])
