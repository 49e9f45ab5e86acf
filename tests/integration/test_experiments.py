"""Experiments through the API, on SQLite and PostgreSQL: validation, start and stop,
sticky assignment in next-question and the selection log, results, CSV, deletion."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from typer.testing import CliRunner

from smartpractice.cli import app
from smartpractice.core.experiments.assignment import assign_arm
from smartpractice.services.experiments import arm_config
from smartpractice.services.ports import ExperimentArm, Scope
from smartpractice.services.practice import last_mastered, pick_for_policy
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import (
    ExperimentAssignment,
    ExperimentDifficulty,
    ItemSkill,
    SelectionLog,
)
from smartpractice.storage.sql_experiments import SqlExperimentStore
from smartpractice.storage.sql_practice import SqlPickLog

pytestmark = pytest.mark.integration

TOPIC = "Solving linear equations"


def _plan(experiment_id: str = "exp-1", **changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "experiment_id": experiment_id,
        "hypothesis": "Smart Practice beats the textbook order on first attempts",
        "scope": {"subject": "Mathematics", "topic": TOPIC},
        "arms": [
            {"name": "control", "share": 0.5, "policy": "textbook"},
            {
                "name": "smart",
                "share": 0.5,
                "overrides": {"selection": {"target_success": 0.7}},
            },
        ],
        "primary_metric": "first_attempt_residual",
        "minimum_detectable_effect": 0.05,
        "planned_students": 800,
    }
    plan.update(changes)
    return plan


def _messages(response: Any) -> str:
    return " ".join(str(e.get("msg", "")) for e in response.json()["detail"])


def test_bad_plans_are_422_naming_the_problem_and_store_nothing(client: TestClient) -> None:
    unknown = _plan(
        arms=[
            {"name": "a", "share": 0.5, "overrides": {"selection": {"target_sucess": 0.7}}},
            {"name": "b", "share": 0.5, "overrides": {"elo": {"scale": 300}}},
        ]
    )
    answer = client.post("/v1/experiments", json=unknown)
    assert answer.status_code == 422
    assert "selection.target_sucess" in _messages(answer)
    assert "'elo'" in _messages(answer)
    shares = _plan(arms=[{"name": "a", "share": 0.5}, {"name": "b", "share": 0.6}])
    answer = client.post("/v1/experiments", json=shares)
    assert answer.status_code == 422
    assert "sum to 1" in _messages(answer)
    typed = _plan(
        arms=[
            {"name": "a", "share": 0.5, "overrides": {"selection": {"target_success": "hi"}}},
            {"name": "b", "share": 0.5},
        ]
    )
    assert "must be a number" in _messages(client.post("/v1/experiments", json=typed))
    metric = client.post("/v1/experiments", json=_plan(primary_metric="happiness"))
    assert "unknown metric" in _messages(metric)
    assert client.get("/v1/experiments").json() == {"data": []}


def test_start_stop_and_overlap_rules(client: TestClient) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments", json=_plan()).status_code == 422  # id taken
    started = client.post("/v1/experiments/exp-1/start")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "running"
    # A second experiment on the whole bank overlaps the topic.
    assert client.post("/v1/experiments", json=_plan("exp-2", scope={})).status_code == 201
    clash = client.post("/v1/experiments/exp-2/start")
    assert clash.status_code == 422
    assert "exp-1" in _messages(clash)
    assert client.get("/v1/experiments/exp-2").json()["experiment"]["status"] == "draft"
    # Elsewhere is fine.
    elsewhere = _plan("exp-3", scope={"subject": "Physics"})
    assert client.post("/v1/experiments", json=elsewhere).status_code == 201
    assert client.post("/v1/experiments/exp-3/start").status_code == 200
    stopped = client.post("/v1/experiments/exp-1/stop")
    assert stopped.json()["status"] == "stopped"
    again = client.post("/v1/experiments/exp-1/start")
    assert again.status_code == 422
    assert "stopped" in _messages(again)
    assert client.get("/v1/experiments/exp-1").json()["experiment"]["status"] == "stopped"
    assert client.get("/v1/experiments/nope").status_code == 404
    assert [e["experiment_id"] for e in client.get("/v1/experiments").json()["data"]] == [
        "exp-3",
        "exp-2",
        "exp-1",
    ]


def _answer(client: TestClient, student: str, item_id: str, n: int, score: float) -> None:
    attempt = {
        "event_id": f"{student}-{n}",
        "student_id": student,
        "item_id": item_id,
        "score": score,
        # Answered after it was served (the first exposure is the server's time).
        "occurred_at": (datetime.now(UTC) + timedelta(milliseconds=1)).isoformat(),
    }
    assert client.post("/v1/attempts", json=attempt).status_code == 202


def test_students_are_served_under_their_sticky_arm_and_measured(
    client: TestClient, db: Database, drain: Any
) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    arms = [("control", 0.5), ("smart", 0.5)]
    students = [f"stu-{k}" for k in range(8)]
    for student in students:
        # A first answer so that the student's picks are logged.
        first = client.get(f"/v1/students/{student}/next-question", params={"topic": TOPIC})
        _answer(client, student, first.json()["item"]["item_id"], 0, 1.0)
    drain()
    for student in students:
        for n in range(1, 4):
            served = client.get(
                f"/v1/students/{student}/next-question", params={"topic": TOPIC, "seed": n}
            )
            assert served.status_code == 200, served.text
            body = served.json()
            assert body["experiment"] == "exp-1"
            assert body["arm"] == assign_arm("exp-1", student, arms)
            policy = "textbook" if body["arm"] == "control" else None
            assert body["explanation"].get("policy") == policy
            _answer(client, student, body["item"]["item_id"], n, float(n % 2))
        drain()
    # Outside the scope: no experiment.
    other = client.get("/v1/students/stu-0/next-question", params={"subject": "Physics"})
    if other.status_code == 200:
        assert other.json()["experiment"] is None
    with db.transaction() as session:
        assigned = dict(
            session.execute(select(ExperimentAssignment.student_id, ExperimentAssignment.arm)).all()
        )
        logged = session.execute(
            select(SelectionLog.student_id, SelectionLog.arm).where(
                SelectionLog.experiment_id == "exp-1"
            )
        ).all()
    assert assigned == {s: assign_arm("exp-1", s, arms) for s in students}
    assert logged and all(arm == assigned[s] for s, arm in logged)

    results = client.get("/v1/experiments/exp-1")
    assert results.status_code == 200, results.text
    body = results.json()
    by_arm = {a["name"]: a for a in body["arms"]}
    assert sum(a["students"] for a in by_arm.values()) == len(students)
    assert sum(a["picks"] for a in by_arm.values()) == len(logged)
    assert by_arm["smart"]["metrics"]["first_attempt_residual"]["count"] >= 0
    assert body["verdict"].startswith("too early")
    assert body["history"]
    exported = client.get("/v1/experiments/exp-1/outcomes.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["student_id"] for r in rows} == set(students)
    assert all(r["arm"] == assigned[r["student_id"]] for r in rows)

    # Deleting a student removes their assignment and, with their events, their outcome.
    deleted = client.delete("/v1/students/stu-0")
    assert deleted.json()["rows"]["experiment_assignments"] == 1
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/experiments/exp-1/outcomes.csv").text)))
    assert "stu-0" not in {r["student_id"] for r in rows}


def test_the_cli_lists_reports_and_exports(
    client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    listed = runner.invoke(app, ["experiments", "list"])
    assert listed.exit_code == 0, listed.output
    assert "exp-1  running" in listed.stdout
    report = runner.invoke(app, ["experiments", "report", "exp-1"])
    assert report.exit_code == 0, report.output
    assert "verdict: too early" in report.stdout
    as_json = runner.invoke(app, ["experiments", "report", "exp-1", "--json"])
    assert json.loads(as_json.stdout)["experiment"]["status"] == "running"
    output = tmp_path / "outcomes.csv"
    exported = runner.invoke(app, ["experiments", "export", "exp-1", "--output", str(output)])
    assert exported.exit_code == 0, exported.output
    assert output.read_text().startswith("student_id,arm,first_exposure_at")
    missing = runner.invoke(app, ["experiments", "report", "nope"])
    assert missing.exit_code == 1
    assert "no experiment 'nope'" in missing.stderr


def test_a_second_first_exposure_is_ignored(client: TestClient, db: Database) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    at = datetime.now(UTC)
    with db.transaction() as session:
        store = SqlExperimentStore(session)
        store.assign("exp-1", "twin", "smart", at=at)
        # A concurrent first request computed the same arm; its insert changes nothing.
        store.assign("exp-1", "twin", "smart", at=at + timedelta(seconds=1))
    with db.transaction() as session:
        store = SqlExperimentStore(session)
        assert store.arm_of("exp-1", "twin") == "smart"
        assert [a.first_exposure_at for a in store.assignments("exp-1")] == [at]


def test_an_arms_pick_is_reproduced_by_its_policy_and_settings(
    client: TestClient, db: Database, drain: Any, settings: Settings
) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    plan = {arm["name"]: arm for arm in _plan()["arms"]}
    for student in ("rep-1", "rep-2", "rep-3", "rep-4"):
        first = client.get(f"/v1/students/{student}/next-question", params={"topic": TOPIC})
        _answer(client, student, first.json()["item"]["item_id"], 0, 1.0)
    drain()
    for student in ("rep-1", "rep-2", "rep-3", "rep-4"):
        served = client.get(
            f"/v1/students/{student}/next-question", params={"topic": TOPIC, "seed": 11}
        ).json()
        arm = plan[served["arm"]]
        with db.transaction() as session:
            log = SqlPickLog(session)
            again = pick_for_policy(
                log.view(student, recent_window=settings.model.selection.recent_window),
                student,
                Scope(subject="Mathematics", topic=TOPIC),
                policy=arm.get("policy", "smart_practice"),
                config=arm_config(
                    settings.model,
                    ExperimentArm(arm["name"], arm["share"], overrides=arm.get("overrides", {})),
                ),
                now=datetime.now(UTC),
                seed=11,
                previously_mastered=last_mastered(log, student),
            )
        assert again.selection.chosen.item_id == served["item"]["item_id"], served["arm"]


def test_the_metrics_read_the_difficulties_of_the_start(
    client: TestClient, db: Database, drain: Any
) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    with db.transaction() as session:
        before = {(r.item_id, r.skill_id): r.difficulty for r in session.scalars(select(ItemSkill))}
        frozen = session.scalar(select(func.count()).select_from(ExperimentDifficulty))
    assert frozen == len(before)
    served = client.get("/v1/students/snap/next-question", params={"topic": TOPIC}).json()
    item_id = served["item"]["item_id"]
    for n in range(3):
        _answer(client, "snap", item_id, n, 0.0)
    drain()
    with db.transaction() as session:
        moved = {
            s: d
            for s, d in session.execute(
                select(ItemSkill.skill_id, ItemSkill.difficulty).where(ItemSkill.item_id == item_id)
            )
        }
        answers = SqlExperimentStore(session).answers("exp-1", ["snap"])
    assert any(moved[s] != before[(item_id, s)] for s in moved)  # the answers moved it
    assert answers and all(
        a.difficulties == {s: before[(item_id, s)] for s in moved} for a in answers
    )


def _statements(client: TestClient, db: Database, student: str) -> list[str]:
    """The SQL statements one next-question runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        served = client.get(f"/v1/students/{student}/next-question", params={"topic": TOPIC})
        assert served.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_an_experiment_costs_next_question_one_indexed_read(
    client: TestClient, db: Database, drain: Any
) -> None:
    first = client.get("/v1/students/lat/next-question", params={"topic": TOPIC}).json()
    _answer(client, "lat", first["item"]["item_id"], 0, 1.0)
    drain()
    _statements(client, db, "lat")  # warm the caches
    without = _statements(client, db, "lat")
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    exposed = _statements(client, db, "lat")  # first exposure: the running list, the insert
    assert exposed.count("INSERT") == without.count("INSERT") + 1
    served = _statements(client, db, "lat")
    # The running experiments are cached: the only extra statement is the arm's probe.
    assert len(served) == len(without) + 1
    assert served.count("SELECT") == without.count("SELECT") + 1


def test_a_guardrail_stop_is_written_to_the_audit_log(
    client: TestClient, db: Database, drain: Any
) -> None:
    assert client.post("/v1/experiments", json=_plan()).status_code == 201
    assert client.post("/v1/experiments/exp-1/start").status_code == 200
    with db.transaction() as session:
        items = list(session.scalars(select(ItemSkill.item_id).distinct().limit(12)))
    exposed = datetime.now(UTC) - timedelta(days=1)
    with db.transaction() as session:
        store = SqlExperimentStore(session)
        for k in range(120):
            store.assign("exp-1", f"g{k}", "smart" if k % 2 else "control", at=exposed)
    # As in the unit test of the breach: the treatment views every third solution, the
    # control none, so the solution-view-rate guardrail is crossed with 60 students an arm.
    attempts = [
        {
            "event_id": f"g{k}-{n}",
            "student_id": f"g{k}",
            "item_id": item_id,
            "score": 1.0 if n % 2 else 0.0,
            "solution_viewed": bool(k % 2) and n % 3 == 0,
            "occurred_at": (exposed + timedelta(minutes=1 + 2 * n)).isoformat(),
        }
        for k in range(120)
        for n, item_id in enumerate(items)
    ]
    for start in range(0, len(attempts), 500):
        batch = attempts[start : start + 500]
        assert client.post("/v1/attempts", json={"attempts": batch}).status_code == 202
    drain()

    results = client.get("/v1/experiments/exp-1").json()
    assert results["experiment"]["status"] == "stopped"
    breached = [g for g in results["guardrails"] if g["breached"]]
    assert [g["metric"] for g in breached] == ["solution_view_rate"]
    entries = client.get("/v1/audit").json()["data"]
    stops = [e for e in entries if e["action"] == "experiment.guardrail_stop"]
    assert len(stops) == 1
    assert stops[0]["key_name"] == "system"
    assert stops[0]["detail"]["experiment_id"] == "exp-1"
    [guardrail] = stops[0]["detail"]["guardrails"]
    assert guardrail["metric"] == "solution_view_rate" and guardrail["arm"] == "smart"
    assert guardrail["interval"] == pytest.approx(breached[0]["sequence"])
    # Looking again finds it stopped already: no second entry.
    client.get("/v1/experiments/exp-1")
    entries = client.get("/v1/audit").json()["data"]
    assert [e["action"] for e in entries].count("experiment.guardrail_stop") == 1
