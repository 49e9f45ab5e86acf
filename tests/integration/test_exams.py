"""Exam blueprints, readiness, exam mode and mock tests through the API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

JEE = "sample-jee-main-2027"
CBSE = "sample-cbse-12-board-2027"


def _sample_exams() -> list[dict[str, Any]]:
    text = (resources.files("smartpractice") / "data" / "sample_exams.json").read_text("utf-8")
    exams: list[dict[str, Any]] = json.loads(text)["exams"]
    return exams


def _future(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


@pytest.fixture
def exams(client: TestClient) -> list[dict[str, Any]]:
    found = _sample_exams()
    for exam in found:
        exam["exam_date"] = _future(60)
    response = client.post("/v1/exams", json=found)
    assert response.status_code == 200, response.text
    assert response.json() == {"upserted": 2}
    return found


def test_blueprints_are_listed_and_read_back(client: TestClient, exams: Any) -> None:
    listed = client.get("/v1/exams").json()["data"]
    assert {e["exam_id"] for e in listed} == {JEE, CBSE}
    one = client.get(f"/v1/exams/{JEE}").json()
    assert one["total_marks"] == 300
    assert "Invented numbers" in one["note"]
    assert client.get("/v1/exams/nope").status_code == 404
    # A previous-year question carries its exam.
    assert client.get("/v1/items/pyq-jee-2019-p1-80").json()["exam"] == "jee"


def test_a_bad_blueprint_names_every_problem_and_stores_nothing(client: TestClient) -> None:
    bad = _sample_exams()[0]
    bad["exam_id"] = "bad"
    bad["exam_date"] = "2020-01-01"
    bad["total_marks"] = 99
    bad["sections"][0]["weights"][0]["place"] = "Organic Chemistry"
    response = client.post("/v1/exams", json={"exams": [bad]})
    assert response.status_code == 422
    problems = {(tuple(p["loc"]), p["msg"]) for p in response.json()["detail"]}
    fields = {loc[3] for loc, _ in problems}
    assert "exam_date" in fields
    assert "total_marks" in fields
    assert any("Organic Chemistry" in msg for _, msg in problems)
    assert any("the weights add up to 76 marks, the paper has 99" in m for _, m in problems)
    assert client.get("/v1/exams/bad").status_code == 404


def test_readiness_of_a_new_student_is_wide_and_names_the_chapters(
    client: TestClient, exams: Any
) -> None:
    response = client.get("/v1/students/new-one/readiness", params={"exam": JEE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["low"] <= body["expected"] <= body["high"] <= body["max_marks"] == 300
    assert body["break_even"]["Physics A: multiple choice"] == pytest.approx(0.2)
    assert body["break_even"]["Physics B: numerical"] == 0
    at_stake = [c["at_stake"] for c in body["chapters"]]
    assert at_stake == sorted(at_stake, reverse=True)
    assert len(body["chapters"]) == 12
    assert body["estimated_marks"] == pytest.approx(300)
    assert "simulated" in body["method"]
    missing = client.get("/v1/students/new-one/readiness", params={"exam": "nope"})
    assert missing.status_code == 404
    assert "exam" in missing.json()["detail"]


def test_exam_mode_explains_the_marks_per_hour_and_logs_the_mode(
    client: TestClient, exams: Any
) -> None:
    response = client.get(
        "/v1/students/s-exam/next-question", params={"mode": "exam", "exam": JEE, "seed": 3}
    )
    assert response.status_code == 200, response.text
    explanation = response.json()["explanation"]
    assert explanation["mode"] == "exam"
    assert "expected marks per hour" in explanation["reasons"][0]
    assert "% of the paper, proficiency " in explanation["reasons"][0]
    assert explanation["exam"]["exam_id"] == JEE
    needs_exam = client.get("/v1/students/s-exam/next-question", params={"mode": "exam"})
    assert needs_exam.status_code == 422


def test_a_mock_test_is_reproducible_and_scored_on_its_last_answer(
    client: TestClient, exams: Any
) -> None:
    first = client.post("/v1/students/s-mock/mock-tests", params={"exam": CBSE, "seed": 7})
    assert first.status_code == 201, first.text
    paper = first.json()
    again = client.post("/v1/students/s-mock/mock-tests", params={"exam": CBSE, "seed": 7})
    assert [q["item_id"] for q in again.json()["questions"]] == [
        q["item_id"] for q in paper["questions"]
    ]
    assert len(paper["questions"]) == 32
    assert paper["max_marks"] == 76
    items = [q["item_id"] for q in paper["questions"]]
    attempts = [
        {
            "event_id": f"mock-{n}",
            "student_id": "s-mock",
            "item_id": item_id,
            "score": 1.0 if n % 2 else 0.0,
            "mode": "mock_test",
            "paper_id": paper["paper_id"],
        }
        for n, item_id in enumerate(items)
    ]
    partial = client.post("/v1/attempts", json={"attempts": attempts[:-1]})
    assert partial.status_code == 202, partial.text
    assert "mock_test_reports" not in partial.json()
    last = client.post("/v1/attempts", json=attempts[-1])
    assert last.status_code == 202, last.text
    (report,) = last.json()["mock_test_reports"]
    assert report["complete"] is True
    right = sum(q["right"] for n, q in enumerate(paper["questions"]) if n % 2)
    assert report["marks"] == pytest.approx(right)
    assert report["forecast_expected"] == pytest.approx(paper["forecast_expected"])
    assert {c["place"] for c in report["chapters"]} == {
        "Continuity and Differentiability",
        "Integrals",
        "Solutions",
        "Current Electricity",
    }
    assert client.get(f"/v1/mock-tests/{paper['paper_id']}").json() == report


def test_an_answer_to_another_paper_or_without_the_mode_is_refused(
    client: TestClient, exams: Any
) -> None:
    paper = client.post("/v1/students/s-a/mock-tests", params={"exam": CBSE, "seed": 1}).json()
    item = paper["questions"][0]["item_id"]
    wrong_mode = {"event_id": "x-1", "student_id": "s-a", "item_id": item, "score": 1.0}
    response = client.post("/v1/attempts", json={**wrong_mode, "paper_id": paper["paper_id"]})
    assert response.status_code == 422
    assert "mock_test" in response.text
    other = {**wrong_mode, "student_id": "s-b", "mode": "mock_test", "paper_id": paper["paper_id"]}
    assert client.post("/v1/attempts", json=other).status_code == 422
    assert client.get("/v1/attempts/x-1").status_code == 404


def test_a_mock_test_the_bank_cannot_fill_says_what_is_missing_and_stores_nothing(
    client: TestClient, exams: Any
) -> None:
    greedy = _sample_exams()[0]
    greedy.update(exam_id="greedy", exam_date=_future(30), total_questions=61, total_marks=105)
    greedy["sections"][0]["weights"][1] = {"place": "Integrals", "questions": 33, "marks": 33}
    assert client.post("/v1/exams", json=[greedy]).status_code == 200
    response = client.post("/v1/students/s-g/mock-tests", params={"exam": "greedy"})
    assert response.status_code == 422
    assert "Integrals: needs 38 questions, 24 available" in response.text


def test_deleting_a_student_deletes_their_mock_tests(client: TestClient, exams: Any) -> None:
    paper = client.post("/v1/students/s-gone/mock-tests", params={"exam": CBSE}).json()
    deleted = client.delete("/v1/students/s-gone")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["rows"]["mock_tests"] == 1
    assert client.get(f"/v1/mock-tests/{paper['paper_id']}").status_code == 404
