"""AI-tutor chats end to end: ingestion, validation, privacy, the customer's chain-rule
example, order independence, and misconceptions in the profile."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import TutorSession

pytestmark = pytest.mark.integration

ITEM = "vq-math-chain-rule-01"  # tests chain_rule and basic_rules
CHAIN = "math:calculus:derivatives:chain_rule"
BASIC = "math:calculus:derivatives:basic_rules"

STUCK_ON_CHAIN_RULE = [
    {
        "role": "student",
        "content": (
            "I need to differentiate sin(x^2 + 5). The derivative of sin is cos, "
            "so I get cos(x^2 + 5)."
        ),
    },
    {
        "role": "tutor",
        "content": (
            "Good start. But the inside is x^2 + 5. What happens to the inner function "
            "when you use the chain rule?"
        ),
    },
    {
        "role": "student",
        "content": (
            "I'm confused. I don't understand the chain rule part, do I multiply by something?"
        ),
    },
    {"role": "tutor", "content": "Yes: multiply by the derivative of the inner function, 2x."},
    {"role": "student", "content": "So is it cos(x^2 + 5) + 2x?"},
    {
        "role": "tutor",
        "content": "Not quite, you multiply, not add. The answer is 2x cos(x^2 + 5).",
    },
    {
        "role": "student",
        "content": "Can you give me a hint for the next one? I'm still stuck on the chain rule.",
    },
]


def _chat(session_id: str, **change: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "student_id": "stu",
        "item_id": ITEM,
        "messages": STUCK_ON_CHAIN_RULE,
        **change,
    }


def _sessions(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(TutorSession)) or 0)


def _rating(client: TestClient, student: str, skill: str) -> float:
    for entry in client.get(f"/v1/students/{student}/skills").json()["skills"]:
        if entry["skill_id"] == skill:
            return float(entry["rating"])
    raise AssertionError(f"{skill} not practised")


def test_chat_is_accepted_idempotently_and_analysed(client: TestClient, drain: Any) -> None:
    assert client.post("/v1/tutor-sessions", json=_chat("t1")).json() == {
        "session_id": "t1",
        "duplicate": False,
    }
    assert client.post("/v1/tutor-sessions", json=_chat("t1")).json()["duplicate"] is True
    assert client.post("/v1/tutor-sessions", json=_chat("t1", item_id=None)).status_code == 409
    assert client.get("/v1/tutor-sessions/t1").json()["status"] == "pending"
    drain()
    found = client.get("/v1/tutor-sessions/t1").json()
    assert found["status"] == "analyzed"
    struggle = found["analysis"]["struggle_by_skill"]
    assert struggle[CHAIN] > struggle[BASIC]
    assert found["analysis"]["summary"]
    assert client.get("/v1/tutor-sessions/nope").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"messages": []}, "messages"),  # empty
        ({"messages": [{"role": "teacher", "content": "hi"}]}, "role"),  # unknown role
        ({"messages": [{"role": "student", "content": "x" * 20001}]}, "content"),  # too long
        ({"messages": [{"role": "student", "content": "x"}] * 501}, "messages"),  # too many
        ({"item_id": "no-such-item"}, "item_id"),  # unknown item
        ({"mood": "sad"}, "mood"),  # extra field
        (  # before year 1 once in UTC
            {
                "messages": [
                    {"role": "student", "content": "x", "sent_at": "0001-01-01T00:00+00:03"}
                ]
            },
            "sent_at",
        ),
    ],
)
def test_bad_chat_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, db: Database, change: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/tutor-sessions", json=_chat("bad", **change))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert _sessions(db) == 0


def test_personal_data_is_redacted_before_storage(client: TestClient, db: Database) -> None:
    messages = [
        {"role": "student", "content": "mail me at asha.k@example.com or call +91 98765 43210"}
    ]
    client.post("/v1/tutor-sessions", json=_chat("p1", messages=messages))
    with db.transaction() as session:
        stored = session.scalars(select(TutorSession.messages)).one()
    assert stored is not None
    text = stored[0]["content"]
    assert "asha.k@example.com" not in text
    assert "98765" not in text


def test_customer_example_lowers_only_the_struggled_skill(client: TestClient, drain: Any) -> None:
    # A fresh student scores 0.9 overall, but the chat shows them stuck on the chain rule.
    attempt = {
        "event_id": "a1",
        "student_id": "stu",
        "item_id": ITEM,
        "score": 0.9,
        "tutor_session_id": "c1",
    }
    before = client.get(f"/v1/items/{ITEM}").json()["skills"]
    client.post("/v1/tutor-sessions", json=_chat("c1", attempt_event_id="a1"))
    client.post("/v1/attempts", json=attempt)
    drain()
    assert _rating(client, "stu", CHAIN) < 1200.0  # chain rule lowered
    assert _rating(client, "stu", BASIC) > 1200.0  # the other skill still credited
    after = client.get(f"/v1/items/{ITEM}").json()["skills"]
    assert after[CHAIN]["difficulty"] > before[CHAIN]["difficulty"]
    assert after[BASIC]["difficulty"] < before[BASIC]["difficulty"]


def test_order_of_arrival_does_not_matter(sample_bank_db: Path, tmp_path: Path) -> None:
    """The same attempt and chat, arriving in either order on two identical databases,
    leave identical ratings."""
    from smartpractice.api.app import create_app
    from smartpractice.worker.embedded import drain_pending

    attempt = {
        "event_id": "a1",
        "student_id": "stu",
        "item_id": ITEM,
        "score": 0.9,
        "tutor_session_id": "c1",
    }
    chat = _chat("c1", attempt_event_id="a1")

    def run(name: str, *, chat_first: bool) -> list[tuple[str, float]]:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sample_bank_db, path)
        settings = Settings(database_url=f"sqlite:///{path}")
        with TestClient(create_app(settings, auth=False, notify_worker=lambda *_: None)) as client:
            db: Database = client.app.state.db  # type: ignore[attr-defined]
            first, second = ("/v1/tutor-sessions", chat), ("/v1/attempts", attempt)
            if not chat_first:
                first, second = second, first
            client.post(first[0], json=first[1])
            drain_pending(db, settings)
            if not chat_first:  # the attempt waits for the chat it names
                assert client.get("/v1/attempts/a1").json()["status"] == "pending"
            client.post(second[0], json=second[1])
            drain_pending(db, settings)
            assert client.get("/v1/attempts/a1").json()["status"] == "applied"
            skills = client.get("/v1/students/stu/skills").json()["skills"]
            return [(s["skill_id"], s["rating"]) for s in skills]

    assert run("chat-first", chat_first=True) == run("attempt-first", chat_first=False)


def test_recognised_misconceptions_reach_the_profile(client: TestClient, drain: Any) -> None:
    catalogue = [
        {
            "misconception_id": "chain_rule.adds_inner_derivative",
            "skill_id": CHAIN,
            "description": (
                "Adds the derivative of the inner function instead of multiplying by it."
            ),
            "example_wrong_answers": ["cos(x^2 + 5) + 2x", "f'(g(x)) + g'(x)"],
        }
    ]
    assert client.post("/v1/misconceptions", json=catalogue).json() == {"upserted": 1}
    bad = client.post("/v1/misconceptions", json=[{**catalogue[0], "skill_id": "x:nope"}])
    assert bad.status_code == 422
    client.post("/v1/tutor-sessions", json=_chat("m1", attempt_event_id="m-a1"))
    client.post(
        "/v1/attempts",
        json={"event_id": "m-a1", "student_id": "stu", "item_id": ITEM, "score": 0.9},
    )
    drain()
    found = client.get("/v1/tutor-sessions/m1").json()["analysis"]["misconceptions"]
    assert [m["misconception_id"] for m in found] == ["chain_rule.adds_inner_derivative"]
    profile = client.get("/v1/students/stu/profile").json()["knowledge_profile"]
    topics = [
        t for chapters in profile.values() for topics in chapters.values() for t in topics.values()
    ]
    listed = [m for t in topics for m in t["identified_misconceptions"]]
    assert listed[0]["misconception_id"] == "chain_rule.adds_inner_derivative"
    assert listed[0]["count"] == 1
    assert listed[0]["last_seen"]


def test_raw_text_is_not_kept_when_configured(settings: Settings) -> None:
    from smartpractice.api.app import create_app
    from smartpractice.worker.embedded import drain_pending

    private = settings.model_copy(update={"keep_transcripts": False})
    with TestClient(create_app(private, auth=False, notify_worker=lambda *_: None)) as client:
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        client.post("/v1/tutor-sessions", json=_chat("k1"))
        drain_pending(db, private)
        with db.transaction() as session:
            row = session.scalars(select(TutorSession)).one()
            assert row.status == "analyzed"
            assert row.messages is None
            assert row.analysis is not None
