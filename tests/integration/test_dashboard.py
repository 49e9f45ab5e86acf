"""The dashboard and /metrics over HTTP, and the read models behind them on constructed data
(SQLite and PostgreSQL), plus the demo's simulated classes."""

from __future__ import annotations

import logging
import math
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from smartpractice.api.demo import demo_rounds
from smartpractice.core.rating.elo import expected_success
from smartpractice.services.analytics import (
    CohortFilter,
    calibration_bins,
    cohort_view,
    item_overview,
    ops_figures,
)
from smartpractice.services.demo_students import (
    MISLABELLED_ITEM,
    STUCK_STUDENTS,
    WEAK_SKILL,
    simulate_demo_students,
)
from smartpractice.settings import Settings
from smartpractice.storage.catalog_queries import typical_difficulties
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Item, ItemSkill, Student, StudentSkill
from smartpractice.storage.sql_analytics import SqlAnalyticsStore
from smartpractice_lab.bench.dashboard import bench_dashboard
from tests.integration.test_tutor_sessions import CHAIN, STUCK_ON_CHAIN_RULE
from tests.integration.test_tutor_sessions import ITEM as CHAIN_ITEM

pytestmark = pytest.mark.integration

TOPIC = "Derivatives"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _topic_items(client: TestClient, topic: str = TOPIC) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        "/v1/items", params={"topic": topic, "limit": 100}
    ).json()["data"]
    return items


def _practise(client: TestClient, drain: Any, student: str, *, score: float, n: int) -> str:
    """`n` Smart Practice questions in TOPIC, all answered with `score`; the last item."""
    item_id = ""
    for k in range(n):
        picked = client.get(
            f"/v1/students/{student}/next-question", params={"topic": TOPIC, "seed": k}
        ).json()
        item_id = picked["item"]["item_id"]
        attempt = {"event_id": f"{student}-{k}", "student_id": student, "item_id": item_id}
        response = client.post("/v1/attempts", json={**attempt, "score": score, "hints_used": 1})
        assert response.status_code == 202
        drain()
    return item_id


def test_every_view_answers_with_its_content(client: TestClient, drain: Any) -> None:
    last_item = _practise(client, drain, "stu-dash", score=0.0, n=4)

    home = client.get("/dashboard")
    assert home.status_code == 200
    assert "stu-dash" in home.text
    assert client.get("/dashboard/students", params={"q": "stu-d"}).text.count("stu-dash") >= 1
    found = client.get("/dashboard/students", params={"q": "stu-dash"}, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == "/dashboard/students/stu-dash"

    student = client.get("/dashboard/students/stu-dash").text
    assert "Knowledge map" in student and "Mastery curves" in student
    assert 'data-weak="true"' in student  # every answer failed
    # Skills of the topic the student has not answered are estimated, not called weak.
    assert 'data-status="estimated"' in student and "Learning path" in student
    assert "practising now" in student
    # The first pick came before the student had an applied attempt: answered, not logged.
    assert student.count('<details class="pick"') == 3
    assert "Runner-up" in student and "Why this question?" in student
    assert 'id="curves-data"' in student

    cohort = client.get("/dashboard/class", params={"topic": TOPIC}).text
    assert "Students \u00d7 skills" in cohort and 'data-student="stu-dash"' in cohort
    assert "Weakest skills of the group" in cohort

    items = client.get("/dashboard/items", params={"subject": "Mathematics"}).text
    assert last_item in items
    item = client.get(f"/dashboard/items/{last_item}").text
    assert "How the difficulty moved" in item and 'id="difficulty-data"' in item

    ops = client.get("/dashboard/ops").text
    assert "Model calibration" in ops and "Next-question latency" in ops
    figures = client.get("/dashboard/ops.json").json()
    assert figures["applied"] == 4 and figures["pending"] == 0
    assert figures["next_question"]["count"] == 4

    assert client.get("/dashboard/students/nobody").status_code == 404
    assert client.get("/dashboard/items/no-such-item").status_code == 404
    chart_js = client.get("/dashboard/static/vendor/chart.umd.min.js")
    assert chart_js.status_code == 200 and "Chart.js v4" in chart_js.text[:200]
    assert client.get("/dashboard/static/dashboard.css").status_code == 200


def test_student_page_shows_tutor_struggles_and_misconceptions(
    client: TestClient, drain: Any
) -> None:
    misconception = {
        "misconception_id": "chain_rule.adds_inner_derivative",
        "skill_id": CHAIN,
        "description": "Adds the derivative of the inner function instead of multiplying.",
        "example_wrong_answers": ["cos(x^2 + 5) + 2x"],
    }
    assert client.post("/v1/misconceptions", json=[misconception]).status_code == 200
    chat = {
        "session_id": "dash-chat",
        "student_id": "stu-chat",
        "item_id": CHAIN_ITEM,
        "attempt_event_id": "dash-a1",
        "messages": STUCK_ON_CHAIN_RULE,
    }
    assert client.post("/v1/tutor-sessions", json=chat).status_code == 202
    attempt = {"event_id": "dash-a1", "student_id": "stu-chat", "item_id": CHAIN_ITEM}
    assert client.post("/v1/attempts", json={**attempt, "score": 0.9}).status_code == 202
    drain()
    page = client.get("/dashboard/students/stu-chat").text
    assert "chain rule: performance" in page and "tutor-chat struggle" in page
    assert "Adds the derivative of the inner function" in page and "seen 1 time" in page


def test_pages_are_labelled_for_assistive_technology(client: TestClient, drain: Any) -> None:
    _practise(client, drain, "stu-a11y", score=1.0, n=2)
    for path in (
        "/dashboard",
        "/dashboard/students/stu-a11y",
        "/dashboard/class",
        "/dashboard/ops",
    ):
        html = client.get(path).text
        assert '<html lang="en">' in html and 'class="skip-link"' in html
        assert re.search(r'<nav aria-label="[^"]+">', html)
        for canvas in re.findall(r"<canvas[^>]*>", html):
            assert 'role="img"' in canvas and "aria-label=" in canvas
        for control in re.findall(r'<(?:select|input)[^>]*id="([^"]+)"', html):
            assert f'for="{control}"' in html, f"{path}: #{control} has no label"


def test_metrics_parse_and_follow_the_pipeline(client: TestClient, drain: Any) -> None:
    _practise(client, drain, "stu-metrics", score=1.0, n=3)
    logging.getLogger("smartpractice.worker.embedded").error(
        "applying events failed", extra={"action": "apply_failed"}
    )
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("smartpractice_database_up", ())] == 1
    default = (("tenant", "default"),)
    assert samples[("smartpractice_events_accepted_total", default)] == 3
    assert samples[("smartpractice_events_applied_total", default)] == 3
    assert samples[("smartpractice_events_rejected_total", default)] == 0
    assert samples[("smartpractice_events_pending", default)] == 0
    assert samples[("smartpractice_queue_lag_seconds", default)] == 0
    assert samples[("smartpractice_apply_errors_total", ())] == 1
    assert samples[("smartpractice_next_question_duration_seconds_count", ())] == 3
    route = ("route", "/v1/students/{student_id}/next-question")
    assert any(route in labels for name, labels in samples if name.endswith("_count"))
    assert 0 <= samples[("smartpractice_calibration_error", default)] <= 1
    binned = [v for (name, _), v in samples.items() if name == "smartpractice_calibration_events"]
    assert sum(binned) == 3


def _rate(
    session: Any, student_id: str, skill_id: str, *, rating: float, n: int, right: int
) -> None:
    if session.get(Student, student_id) is None:
        session.add(
            Student(student_id=student_id, ability=1200.0, attempts=0, correct=0, last_at=NOW)
        )
        session.flush()
    session.add(
        StudentSkill(
            student_id=student_id,
            skill_id=skill_id,
            offset=rating - 1200.0,
            attempts=n,
            correct=right,
            last_at=NOW,
        )
    )


def _history(
    session: Any, student_id: str, item_id: str, skill_id: str, ratings: list[float]
) -> None:
    """Applied events whose outcomes carry the given rating after each answer."""
    for k, rating in enumerate(ratings):
        at = NOW - timedelta(hours=len(ratings) - k)
        session.add(
            Event(
                event_id=f"{student_id}-h{k}",
                student_id=student_id,
                item_id=item_id,
                payload={"score": 0.0},
                content_hash="0" * 64,
                status="applied",
                received_at=at,
                occurred_at=at,
                applied_at=at,
                predicted=0.3,
                performance=0.0,
                outcome={"skills": {skill_id: {"rating": rating, "difficulty": 1200.0}}},
            )
        )


def test_cohort_heat_map_weakest_skills_and_stuck_students(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        skills = sorted(
            {
                s
                for (s,) in session.execute(
                    select(ItemSkill.skill_id).join(Item).where(Item.topic == TOPIC)
                )
            }
        )
        weak_skill, strong_skill = skills[0], skills[1]
        item_id = session.scalars(
            select(ItemSkill.item_id).where(ItemSkill.skill_id == weak_skill)
        ).first()
        assert item_id is not None
        # Stuck: 12 answers, 1 right, rating falling. Failing but learning: rating rising.
        _rate(session, "c-stuck", weak_skill, rating=800, n=12, right=1)
        _history(session, "c-stuck", item_id, weak_skill, [900 - 10 * k for k in range(10)])
        _rate(session, "c-learning", weak_skill, rating=850, n=12, right=1)
        _history(session, "c-learning", item_id, weak_skill, [800 + 10 * k for k in range(10)])
        _rate(session, "c-good", weak_skill, rating=1300, n=12, right=9)
        _rate(session, "c-good", strong_skill, rating=1500, n=5, right=5)
        _rate(session, "other-1", weak_skill, rating=1000, n=3, right=1)
    with db.transaction() as session:
        view = cohort_view(
            SqlAnalyticsStore(session), CohortFilter(topic=TOPIC), config=settings.model, now=NOW
        )
        typical = typical_difficulties(session, [weak_skill])[weak_skill]
    assert view.students_total == 4
    assert [r.student_id for r in view.rows] == ["c-stuck", "c-learning", "other-1", "c-good"]
    cell = view.rows[0].cells[weak_skill]
    # The rating the model predicts with: ability + offset = 800 plus the practice gain of
    # the one right answer (core.elo.skill_rating).
    rating = 800 + settings.model.elo.success_gain * math.log(2.0)
    assert cell.rating == pytest.approx(rating)
    assert cell.proficiency == pytest.approx(expected_success(rating=rating, difficulty=typical))
    assert cell.attempts == 12 and 0 < cell.uncertainty < 1
    assert view.weakest_skills[0].skill_id == weak_skill
    assert view.weakest_skills[0].students == 4
    assert [w.skill_id for w in view.weakest_skills][-1] == strong_skill
    assert [s.student_id for s in view.stuck] == ["c-stuck"]
    assert view.stuck[0].rating_gain == pytest.approx(-90.0)
    with db.transaction() as session:
        prefixed = cohort_view(
            SqlAnalyticsStore(session),
            CohortFilter(topic=TOPIC, prefix="c-"),
            config=settings.model,
            now=NOW,
            limit=2,
        )
    assert prefixed.students_total == 3
    assert [r.student_id for r in prefixed.rows] == ["c-stuck", "c-learning"]


def test_items_flagged_for_label_and_for_calibration(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        mislabelled, overperforming, fine = session.scalars(
            select(Item.item_id)
            .where(Item.topic == TOPIC, Item.difficulty_label.in_(["Easy", "Medium"]))
            .order_by(Item.difficulty_label, Item.item_id)
        ).all()[:3]
        for row in session.scalars(select(ItemSkill).where(ItemSkill.item_id == mislabelled)):
            row.difficulty, row.attempts = 1450.0, 15
        for k in range(30):  # predicted 30%, observed 90%
            at = NOW - timedelta(minutes=k)
            session.add(
                Event(
                    event_id=f"cal-{k}",
                    student_id=f"cal-stu-{k}",
                    item_id=overperforming,
                    payload={"score": 1.0 if k % 10 else 0.0},
                    content_hash="0" * 64,
                    status="applied",
                    received_at=at,
                    occurred_at=at,
                    applied_at=at,
                    applied_seq=k + 1,
                    predicted=0.3,
                    performance=1.0,
                )
            )
    with db.transaction() as session:
        view = item_overview(SqlAnalyticsStore(session), config=settings.model)
    reasons = {f.item_id: " ".join(f.reasons) for f in view.flagged}
    assert "labelled Easy" in reasons[mislabelled] and "like Hard" in reasons[mislabelled]
    assert "succeeded 90% of 30 recent attempts" in reasons[overperforming]
    assert fine not in reasons
    assert view.total == 460


def test_ops_figures_queue_lag_and_calibration(db: Database) -> None:
    with db.transaction() as session:
        for k, status in enumerate(["applied", "applied", "rejected", "pending", "pending"]):
            received = NOW - timedelta(seconds=30 - k)
            session.add(
                Event(
                    event_id=f"ops-{k}",
                    student_id="ops-stu",
                    item_id="x",
                    payload={"score": 1.0 if k == 0 else 0.0},
                    content_hash="0" * 64,
                    status=status,
                    reason="item_id: unknown item 'x'" if status == "rejected" else None,
                    received_at=received,
                    occurred_at=received,
                    applied_at=received + timedelta(seconds=0.5) if status != "pending" else None,
                    applied_seq=k + 1 if status == "applied" else None,
                    predicted=0.8 if status == "applied" else None,
                )
            )
    with db.transaction() as session:
        figures = ops_figures(SqlAnalyticsStore(session), now=NOW)
    assert [row.n for row in figures.calibration][8] == 2  # both predicted 0.8
    assert (figures.accepted, figures.applied, figures.rejected, figures.pending) == (
        5,
        2,
        1,
        2,
    )
    assert figures.queue_lag_seconds == pytest.approx(27.0)
    assert figures.received_per_second == pytest.approx(5 / 30.0)
    assert figures.apply_delay_p50 == pytest.approx(0.5)
    assert figures.calibration_events == 2
    assert figures.mean_predicted == pytest.approx(0.8)
    assert figures.mean_observed == pytest.approx(0.5)
    assert figures.latest_rejections[0].event_id == "ops-2"


def test_recent_calibration_bins_by_floor(db: Database) -> None:
    with db.transaction() as session:
        for k, predicted in enumerate([0.36, 0.99, 1.0, 0.04]):
            at = NOW - timedelta(seconds=k)
            session.add(
                Event(
                    event_id=f"bin-{k}",
                    student_id="bin-stu",
                    item_id="x",
                    payload={"score": 1.0},
                    content_hash="0" * 64,
                    status="applied",
                    received_at=at,
                    occurred_at=at,
                    applied_at=at,
                    applied_seq=k + 1,
                    predicted=predicted,
                )
            )
    with db.transaction() as session:
        table = ops_figures(SqlAnalyticsStore(session), now=NOW).calibration
    assert [row.n for row in table] == [1, 0, 0, 1, 0, 0, 0, 0, 0, 2]
    assert table[9].predicted == pytest.approx(0.995)


def test_calibration_bins_golden_values() -> None:
    table = calibration_bins([(0.05, 0.0), (0.15, 1.0), (0.12, 0.0), (1.0, 1.0)], bins=10)
    assert [row.n for row in table] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table[1].predicted == pytest.approx(0.135)
    assert table[1].observed == pytest.approx(0.5)
    assert table[2].predicted is None
    assert table[9].observed == 1.0


def test_demo_students_show_the_designed_patterns(sample_bank_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    shutil.copyfile(sample_bank_db, path)
    settings = Settings(database_url=f"sqlite:///{path}")
    db = Database(settings.database_url)
    try:
        summary = simulate_demo_students(demo_rounds(db, settings), now=NOW)
        assert summary.students == 32 and summary.events == 32 * 20
        again = simulate_demo_students(demo_rounds(db, settings), now=NOW)
        assert again.students == 0  # only once
        with db.transaction() as session:
            view = cohort_view(
                SqlAnalyticsStore(session),
                CohortFilter(topic=TOPIC),
                config=settings.model,
                now=NOW,
            )
            items = item_overview(SqlAnalyticsStore(session), config=settings.model)
            pending = session.scalar(select(Event).where(Event.status != "applied"))
    finally:
        db.dispose()
    assert pending is None
    assert view.weakest_skills[0].skill_id == WEAK_SKILL
    assert set(STUCK_STUDENTS) <= {s.student_id for s in view.stuck}
    assert len(view.stuck) <= 3
    assert MISLABELLED_ITEM in {f.item_id for f in items.flagged}


def test_dashboard_benchmark_runs(tmp_path: Path) -> None:
    result = bench_dashboard(
        Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}"),
        students=40,
        requests=2,
        progress=False,
    )
    assert result["students"] == 40
    for view in ("overview", "student", "class_all_students", "items", "operations"):
        assert 0 < result[f"{view}_p50_ms"] <= result[f"{view}_p99_ms"]
    assert result["metrics_scrape_p50_ms"] > 0
