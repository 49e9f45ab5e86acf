"""`GET /v1/students/{id}/learning-path` and the path step in next-question explanations,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartpractice.core.practice.path import STATUSES

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOPIC = "Solving linear equations"
BASE = "math:algebra:linear_equations:transpose_terms"
NEXT = "math:algebra:linear_equations:variables_both_sides"


def _answer(client: TestClient, student: str, item_ids: list[str], score: float) -> None:
    attempts = [
        {
            "event_id": f"{student}-{n}",
            "student_id": student,
            "item_id": item_id,
            "score": score,
            "occurred_at": (T0 + timedelta(minutes=3 * n)).isoformat(),
        }
        for n, item_id in enumerate(item_ids)
    ]
    assert client.post("/v1/attempts", json={"attempts": attempts}).status_code == 202


def _items_of(client: TestClient, skill_id: str) -> list[str]:
    response = client.get("/v1/items", params={"skill": skill_id, "limit": 100})
    assert response.status_code == 200
    body = response.json()
    rows = body["data"]
    return [row["item_id"] for row in rows if list(row["skills"]) == [skill_id]]


def test_a_new_student_gets_a_path_of_estimated_skills(client: TestClient) -> None:
    response = client.get("/v1/students/never-seen/learning-path", params={"topic": TOPIC})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["student_id"] == "never-seen"
    skills = {s["skill_id"]: s for s in body["skills"]}
    assert BASE in skills and NEXT in skills
    assert all(s["evidence"] == "estimated" for s in skills.values())
    assert all(s["status"] in STATUSES for s in skills.values())
    # Prerequisites come first: the chain starts at its first skill.
    assert body["focus"] == BASE
    assert body["expected_questions"] > 0


def test_mastering_a_skill_moves_the_path_on(client: TestClient, drain: Any) -> None:
    items = _items_of(client, BASE)
    assert len(items) >= 3
    _answer(client, "stu-path", (items * 5)[:15], 1.0)
    assert drain() == 15
    body = client.get("/v1/students/stu-path/learning-path", params={"topic": TOPIC}).json()
    skills = {s["skill_id"]: s for s in body["skills"]}
    assert skills[BASE]["status"] == "mastered"
    assert skills[BASE]["evidence"] == "assessed"
    assert body["focus"] != BASE
    # The next question names the step of the path it serves.
    served = client.get(
        "/v1/students/stu-path/next-question", params={"topic": TOPIC, "seed": 3}
    ).json()
    path = served["explanation"]["path"]
    assert path["skill_id"] == body["focus"]
    assert BASE in path["mastered"]
    assert served["explanation"]["reasons"][0] == f"{path['skill_id']}: {path['reason']}"
    assert path["reason"].startswith(("frontier", "diagnostic", "review", "remediation"))
    assert BASE not in served["item"]["skills"] or len(served["item"]["skills"]) > 1


def test_failing_a_skill_locks_what_builds_on_it(client: TestClient, drain: Any) -> None:
    items = _items_of(client, BASE)
    _answer(client, "stu-stuck", (items * 4)[:12], 0.0)
    assert drain() == 12
    body = client.get("/v1/students/stu-stuck/learning-path", params={"topic": TOPIC}).json()
    skills = {s["skill_id"]: s for s in body["skills"]}
    assert skills[NEXT]["status"] == "locked"
    assert BASE in skills[NEXT]["reason"]
    assert body["focus"] == BASE


def test_the_profile_says_which_skills_are_assessed(client: TestClient, drain: Any) -> None:
    items = _items_of(client, BASE)
    _answer(client, "stu-profile", (items * 2)[:5], 1.0)
    assert drain() == 5
    profile = client.get("/v1/students/stu-profile/profile").json()["knowledge_profile"]
    skills = profile["Mathematics"]["Linear Equations in One Variable"][TOPIC]["skills"]
    assert skills[BASE]["status"] == "assessed"
    assert skills[NEXT]["status"] == "estimated"
    # The estimate follows the student's evidence on the same topic, not the bare ability.
    assert skills[NEXT]["proficiency"] > 0.0


@pytest.mark.parametrize(
    ("params", "named"),
    [({"topic": "No such topic"}, "topic 'No such topic'"), ({"chapter": "Nope"}, "chapter")],
)
def test_an_unknown_scope_is_a_404_naming_the_parameter(
    client: TestClient, params: dict[str, str], named: str
) -> None:
    response = client.get("/v1/students/anyone/learning-path", params=params)
    assert response.status_code == 404
    assert named in response.text


def test_an_unknown_skill_in_the_scope_is_a_422(client: TestClient) -> None:
    response = client.get("/v1/students/anyone/learning-path", params={"skills": "no:such:skill"})
    assert response.status_code == 422
    assert "no:such:skill" in response.text
