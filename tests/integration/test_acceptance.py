"""The foundation's acceptance criteria, end to end through the HTTP API."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartpractice.services.replay import compare_with_live, rebuild_ratings, replay_event_log
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import ItemSkill, Student, StudentSkill
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration


def _catalog(client: TestClient) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    items = client.get("/v1/items", params={"limit": 1000}).json()["data"]
    skills = client.get("/v1/skills", params={"limit": 1000}).json()["data"]
    return items, {s["skill_id"]: s["prerequisites"] for s in skills}


def _unrelated(
    skill: str, other: str, items: list[dict[str, Any]], prereqs: dict[str, list[str]]
) -> bool:
    def closure(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for p in prereqs.get(stack.pop(), []):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    shared = any(skill in i["skills"] and other in i["skills"] for i in items)
    return not shared and other not in closure(skill) and skill not in closure(other)


def _skill(client: TestClient, student: str, skill: str) -> dict[str, Any]:
    for entry in client.get(f"/v1/students/{student}/skills").json()["skills"]:
        if entry["skill_id"] == skill:
            return entry
    raise AssertionError(f"{skill} not practised")


def test_fifteen_failures_make_a_skill_weak_and_practice_easier(
    client: TestClient, drain: Any
) -> None:
    items, prereqs = _catalog(client)
    single = {}
    for item in items:
        if len(item["skills"]) == 1:
            single.setdefault(next(iter(item["skills"])), []).append(item["item_id"])
    weak = max(single, key=lambda s: len(single[s]))
    unrelated = next(s for s in single if s != weak and _unrelated(weak, s, items, prereqs))
    # A baseline on the unrelated skill so its rating exists before the failures.
    client.post(
        "/v1/attempts",
        json={
            "event_id": "base",
            "student_id": "stu",
            "item_id": single[unrelated][0],
            "score": 1.0,
        },
    )
    drain()
    before_unrelated = _skill(client, "stu", unrelated)["rating"]
    fresh_pick = client.get(
        "/v1/students/fresh/next-question", params={"skills": weak, "seed": 3}
    ).json()
    failures = [
        {
            "event_id": f"f-{n}",
            "student_id": "stu",
            "item_id": single[weak][n % len(single[weak])],
            "score": 0.0,
        }
        for n in range(15)
    ]
    assert client.post("/v1/attempts", json={"attempts": failures}).status_code == 202
    drain()
    weak_state = _skill(client, "stu", weak)
    assert weak_state["proficiency"] < 0.4
    drop = 1200.0 - weak_state["rating"]
    moved = abs(_skill(client, "stu", unrelated)["rating"] - before_unrelated)
    assert drop > 0
    assert moved <= drop / 5

    pick = client.get("/v1/students/stu/next-question", params={"skills": weak, "seed": 3}).json()
    explanation = pick["explanation"]
    reasons = " ".join(explanation["reasons"])
    if explanation["remediation_for"]:
        assert "prerequisite" in reasons
    else:
        assert (
            pick["item"]["skills"][weak]["difficulty"]
            < fresh_pick["item"]["skills"][weak]["difficulty"]
        )
        assert "easier" in reasons, explanation["reasons"]
    assert set(explanation["components"]) == {"elo_match", "thompson", "weak_skill", "recency"}
    assert explanation["runner_up"]["item_id"] != explanation["item_id"]


def _snapshot(db: Database) -> tuple[list[Any], list[Any], list[Any]]:
    with db.transaction() as session:
        students = session.execute(
            select(Student.student_id, Student.ability, Student.attempts).order_by(
                Student.student_id
            )
        ).all()
        offsets = session.execute(
            select(
                StudentSkill.student_id,
                StudentSkill.skill_id,
                StudentSkill.offset,
                StudentSkill.attempts,
            ).order_by(StudentSkill.student_id, StudentSkill.skill_id)
        ).all()
        items = session.execute(
            select(
                ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty, ItemSkill.attempts
            ).order_by(ItemSkill.item_id, ItemSkill.skill_id)
        ).all()
    return list(students), list(offsets), list(items)


def _thousand_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = random.Random(42)
    events = []
    for n in range(1000):
        item = rng.choice(items[:80])
        events.append(
            {
                "event_id": f"ev-{n}",
                "student_id": f"stu-{rng.randrange(25)}",
                "item_id": item["item_id"],
                "score": rng.choice([0.0, 0.5, 1.0]),
                "occurred_at": f"2026-11-{1 + n // 50:02d}T{n % 24:02d}:00:00Z",
                "hints_used": rng.randrange(3),
                "time_spent_seconds": rng.randrange(20, 900),
                "confidence": rng.randrange(1, 6),
            }
        )
    return events


def test_posting_events_twice_equals_once_and_replay_reproduces_live_state(
    client: TestClient, db: Database, drain: Any, settings: Settings
) -> None:
    items, _ = _catalog(client)
    events = _thousand_events(items)
    assert client.post("/v1/attempts", json={"attempts": events}).json()["accepted"] == 1000
    assert drain() == 1000
    once = _snapshot(db)
    again = client.post("/v1/attempts", json={"attempts": events}).json()
    assert again == {
        "accepted": 0,
        "duplicates": 1000,
        "event_ids": [e["event_id"] for e in events],
    }
    assert drain() == 0
    assert _snapshot(db) == once

    with db.transaction() as session:
        store = SqlEventStore(session)
        assert compare_with_live(store, replay_event_log(store, config=settings.model)) == []
    with db.transaction() as session:
        rebuilt = rebuild_ratings(SqlEventStore(session), config=settings.model)
    assert rebuilt.events == 1000
    assert _snapshot(db) == once


def test_same_seed_same_pick(client: TestClient) -> None:
    params = {"subject": "Physics", "seed": 11}
    first = client.get("/v1/students/stu/next-question", params=params).json()
    second = client.get("/v1/students/stu/next-question", params=params).json()
    assert first["item"]["item_id"] == second["item"]["item_id"]
    assert first["explanation"] == second["explanation"]
