"""The next-question read path: what `SqlCatalogView` reads in a few combined statements
(and `ScopeSkillsCache` for the whole catalogue) equals what the plain per-question queries
read, and `next_question` returns and logs what it did before."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from smartpractice.services.catalog import get_item
from smartpractice.services.ports import NearestRequest, Scope
from smartpractice.services.practice import next_question
from smartpractice.services.sample_bank import read_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage import sql_catalog
from smartpractice.storage.catalog_queries import typical_difficulties
from smartpractice.storage.db import Database
from smartpractice.storage.models import SelectionLog
from smartpractice.storage.sql_catalog import ScopeSkillsCache, SqlCatalogStore, SqlCatalogView
from smartpractice.storage.sql_practice import SqlPickLog
from smartpractice.storage.sql_students import load_student_ratings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)
STUDENTS = ["stu-0", "stu-1", "stu-2", "never-seen"]


def _answer(client: TestClient, drain: Any) -> None:
    """Three students answer items of a few topics, some items twice."""
    _, items = read_sample_bank()
    pool = [i.item_id for i in items if i.subject == "Mathematics"]
    rng = random.Random(3)
    attempts = [
        {
            "event_id": f"reads-{n}",
            "student_id": f"stu-{n % 3}",
            "item_id": rng.choice(pool[:40]),
            "score": rng.choice([0.0, 0.5, 1.0]),
            "occurred_at": (T0 + timedelta(minutes=9 * n)).isoformat(),
        }
        for n in range(120)
    ]
    assert client.post("/v1/attempts", json={"attempts": attempts}).status_code == 202
    assert drain() == 120


def _requests() -> list[NearestRequest]:
    """Requests of every kind: scoped or not, with a window or not, several skills."""
    _, items = read_sample_bank()
    math_items = [i for i in items if i.subject == "Mathematics"]
    skills = sorted({s for i in math_items for s in i.skills})[:12]
    topic = math_items[0].topic
    found = []
    for n, skill in enumerate(skills):
        scope = [Scope(), Scope(subject="Mathematics"), Scope(topic=topic)][n % 3]
        window = None if n % 2 else 250.0
        found.append(NearestRequest(scope, skill, 900.0 + 40 * n, window, 5 + n % 4))
    return found


def test_combined_reads_equal_the_plain_queries(
    client: TestClient, db: Database, drain: Any, settings: Settings
) -> None:
    _answer(client, drain)
    window = settings.model.selection.recent_window
    with db.transaction() as session:
        plain = SqlCatalogView(session)
        requests = _requests()
        expected_near = plain.nearest_items(requests)
        assert any(expected_near)
        found = sorted({i for ids in expected_near for i in ids})
        answered = 0
        for student in STUDENTS:
            view = SqlCatalogView(session, student_id=student, recent_window=window)
            assert view.student_ratings(student) == load_student_ratings(session, student)
            assert view.prerequisites() == plain.prerequisites()
            assert view.recent_difficulties(student, window=window) == (
                plain.recent_difficulties(student, window=window)
            )
            # Another window or another student than the one read ahead: read on demand.
            assert view.recent_difficulties(student, window=3) == (
                plain.recent_difficulties(student, window=3)
            )
            assert view.nearest_items(requests) == expected_near
            assert view.item_skills([*found, "no-such-item"]) == plain.item_skills(found)
            history = view.history(student, found, now=NOW)
            assert history == plain.history(student, found, now=NOW)
            answered += len(history[0])
            other = "stu-1" if student != "stu-1" else "stu-2"
            assert view.history(other, found, now=NOW) == plain.history(other, found, now=NOW)
        assert answered  # the students did answer some of the items found


def test_requests_split_over_several_statements_give_the_same_items(
    client: TestClient, db: Database, drain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answer(client, drain)
    with db.transaction() as session:
        requests = _requests()
        whole = SqlCatalogView(session, student_id="stu-0", recent_window=20)
        expected = whole.nearest_items(requests)
        monkeypatch.setattr(sql_catalog, "REQUESTS_PER_STATEMENT", 5)
        split = SqlCatalogView(session, student_id="stu-0", recent_window=20)
        assert split.nearest_items(requests) == expected
        found = sorted({i for ids in expected for i in ids})
        assert split.item_skills(found) == whole.item_skills(found)
        assert split.history("stu-0", found, now=NOW) == whole.history("stu-0", found, now=NOW)


def test_the_catalogue_cache_answers_as_the_database_does(client: TestClient, db: Database) -> None:
    _, items = read_sample_bank()
    first = items[0]
    scopes = [
        Scope(),
        Scope(subject=first.subject),
        Scope(chapter=first.chapter),
        Scope(topic=first.topic),
        Scope(subject=first.subject, topic=first.topic),
        Scope(subject="Physics", topic=first.topic),  # no item is in both
        Scope(subject="", chapter=first.chapter, topic=""),  # empty means any
        Scope(topic="No such topic"),
    ]
    cache = ScopeSkillsCache(60.0)
    with db.transaction() as session:
        plain = SqlCatalogView(session)
        cached = SqlCatalogView(session, cache)
        for scope in scopes:
            assert cached.scope_skills(scope) == plain.scope_skills(scope), scope
            assert cached.scope_skills(scope) == plain.scope_skills(scope), scope
            assert cached.taught_skills(scope) == plain.taught_skills(scope), scope
        # A topic teaches the skills some item tests alone, not those only tested beside
        # another (here, prerequisites from other chapters).
        topic = Scope(topic="Derivatives of composite functions")
        taught = plain.taught_skills(topic)
        assert set(taught) < set(plain.scope_skills(topic))
        assert "math:calculus:derivatives:chain_rule" in taught
        assert "math:trigonometry:identities:multiple_angles" not in taught
        skills = {s for i in items for s in i.skills} | {"no:such:skill"}
        expected = typical_difficulties(session, skills)
        found = cached.typical_difficulties(skills)
        assert set(found) == set(expected)
        for skill, value in expected.items():
            assert math.isclose(found[skill], value, rel_tol=1e-12), skill
    cache.clear()
    assert cache._entries == {} and cache._places is None


def test_next_question_returns_the_item_and_logs_the_pick(
    client: TestClient, db: Database, drain: Any, settings: Settings
) -> None:
    _answer(client, drain)
    _, items = read_sample_bank()
    cache = ScopeSkillsCache(60.0)
    for n, student in enumerate(STUDENTS):
        scope = Scope(topic=items[n * 7].topic)
        with db.transaction() as session:
            served = next_question(
                SqlPickLog(session, cache), student, scope, config=settings.model, now=NOW, seed=n
            )
            if session.get_bind().dialect.name == "postgresql":
                # The pick is analytics: its transaction does not wait for the WAL flush.
                assert session.execute(text("SHOW synchronous_commit")).scalar() == "off"
            item = served.item
            assert item == get_item(SqlCatalogStore(session), item.item_id)
            logged = session.execute(
                select(SelectionLog).where(SelectionLog.id == served.selection_id)
            ).scalar_one()
            assert (logged.student_id, logged.item_id) == (student, item.item_id)
            assert logged.scope == scope.as_dict()
            assert logged.explanation == served.explanation
            assert logged.created_at == NOW
