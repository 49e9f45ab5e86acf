"""`smartpractice calibrate` end to end: attempts posted and applied by the worker code, then
the command refits the rarely seen items from the event log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartpractice.cli import app
from smartpractice.services.calibration import DEFAULT_MIN_ATTEMPTS
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import AuditEntry, ItemSkill

pytestmark = pytest.mark.integration

SKILL = "math:calculus:derivatives:chain_rule"
STRONG = [f"strong-{n}" for n in range(12)]
WEAK = [f"weak-{n}" for n in range(12)]


def calibrate(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["calibrate", *args], env={"SMARTPRACTICE_DATABASE_URL": settings.database_url}
    )
    return result.exit_code, result.stdout, result.stderr


def difficulties(settings: Settings) -> dict[str, tuple[float, float, int]]:
    """(difficulty, initial difficulty, attempts) per item of the skill."""
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            rows = session.execute(
                select(
                    ItemSkill.item_id,
                    ItemSkill.difficulty,
                    ItemSkill.initial_difficulty,
                    ItemSkill.attempts,
                ).where(ItemSkill.skill_id == SKILL)
            ).tuples()
            return {item: (d, initial, n) for item, d, initial, n in rows}
    finally:
        database.dispose()


def audited(settings: Settings) -> list[dict[str, Any]]:
    """The details of the default tenant's `calibrate` audit entries, oldest first."""
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            return list(
                session.scalars(
                    select(AuditEntry.detail)
                    .where(AuditEntry.action == "calibrate")
                    .order_by(AuditEntry.id)
                )
            )
    finally:
        database.dispose()


@pytest.fixture
def answered(client: TestClient, drain: Any) -> dict[str, str]:
    """Strong students pass the anchor items and weak ones fail them; everyone strong fails
    `hard`, every weak student passes `easy` (6 attempts each, rarely seen), and all 24
    answer `measured` (well measured). Returns the role -> item id map."""
    listed = client.get("/v1/items", params={"skill": SKILL, "limit": 100}).json()["data"]
    single = sorted(i["item_id"] for i in listed if list(i["skills"]) == [SKILL])
    assert len(single) >= 7, single
    roles = {
        "hard": single[0],
        "easy": single[1],
        "measured": single[2],
        "untouched": single[3],
    }
    anchors = single[4:7]
    attempts: list[dict[str, Any]] = []

    def answer(student: str, item: str, score: float) -> None:
        attempts.append(
            {
                "event_id": f"cal-{len(attempts)}",
                "student_id": student,
                "item_id": item,
                "score": score,
            }
        )

    for student in STRONG + WEAK:
        for item in anchors:
            answer(student, item, 1.0 if student in STRONG else 0.0)
    for student in STRONG[:6]:
        answer(student, roles["hard"], 0.0)
    for student in WEAK[:6]:
        answer(student, roles["easy"], 1.0)
    for n, student in enumerate(STRONG + WEAK):
        answer(student, roles["measured"], float(n % 2))
    response = client.post("/v1/attempts", json={"attempts": attempts})
    assert response.status_code == 202, response.text
    drain()
    return roles


def test_calibrate_moves_rarely_seen_items_the_right_way(
    settings: Settings, answered: dict[str, str]
) -> None:
    before = difficulties(settings)
    hard, easy, measured = answered["hard"], answered["easy"], answered["measured"]
    assert before[hard][2] == before[easy][2] == 6 < DEFAULT_MIN_ATTEMPTS <= before[measured][2]

    code, out, err = calibrate(settings, "--json")
    assert code == 0, err
    report = json.loads(out)
    after = difficulties(settings)

    # Failed by students who pass everything else: clearly harder than its label; passed
    # by students who fail everything else: clearly easier. (The online rating of a new
    # item moves faster, 150 points a step, and may overshoot; the fit shrinks to the label.)
    label_hard, label_easy = before[hard][1], before[easy][1]
    assert after[hard][0] > label_hard + 50.0
    assert after[easy][0] < label_easy - 50.0
    assert after[hard][0] - label_hard > after[easy][0] - label_easy + 200.0
    # Well measured: keeps its online rating. Labels never change.
    assert after[measured][0] == before[measured][0]
    assert all(after[item][1] == before[item][1] for item in before)
    # An unanswered item of the skill moves with the skill's fitted shift.
    untouched = answered["untouched"]
    assert before[untouched][2] == 0
    changed = {(c["item_id"], c["skill_id"]): c for c in report["changes"]}
    assert (hard, SKILL) in changed and (measured, SKILL) not in changed
    assert changed[(hard, SKILL)]["after"] == pytest.approx(after[hard][0], abs=0.01)
    assert changed[(hard, SKILL)]["before"] == pytest.approx(before[hard][0], abs=0.01)
    assert report["attempts"] == 24 * 3 + 6 + 6 + 24
    assert report["students"] == 24
    assert report["min_attempts"] == DEFAULT_MIN_ATTEMPTS
    assert report["dry_run"] is False and report["converged"] is True
    assert report["item_skills"]["changed"] == len(report["changes"])
    if (untouched, SKILL) in changed:
        shift = changed[(untouched, SKILL)]["after"] - before[untouched][1]
        assert after[untouched][0] == pytest.approx(before[untouched][1] + shift, abs=0.01)

    # Running it again changes nothing more (the fit reads labels and the log, not itself).
    code, out, _ = calibrate(settings, "--json")
    assert code == 0
    assert difficulties(settings) == after


def test_dry_run_writes_nothing_and_all_refits_the_well_measured(
    settings: Settings, answered: dict[str, str]
) -> None:
    before = difficulties(settings)
    code, out, err = calibrate(settings, "--dry-run")
    assert code == 0, err
    assert "would change" in out and "dry run: nothing written" in out
    assert difficulties(settings) == before

    assert audited(settings) == []
    code, out, err = calibrate(settings, "--all", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["min_attempts"] is None
    assert audited(settings) == [
        {"attempts": report["attempts"], "changed": len(report["changes"]), "min_attempts": None}
    ]
    assert (answered["measured"], SKILL) in {
        (c["item_id"], c["skill_id"]) for c in report["changes"]
    }
    assert difficulties(settings)[answered["measured"]][0] != before[answered["measured"]][0]


def test_bad_options_are_refused_with_a_clear_error(settings: Settings) -> None:
    code, _, err = calibrate(settings, "--all", "--min-attempts", "5")
    assert code == 1
    assert "--all refits every item skill; leave out --min-attempts" in err
    code, _, err = calibrate(settings, "--tenant", "nosuch")
    assert code == 1
    assert "--tenant: no tenant 'nosuch'" in err
    code, _, err = calibrate(settings, "--min-attempts", "0")
    assert code == 2
    assert "Invalid value for '--min-attempts'" in " ".join(err.split())


def test_an_empty_event_log_changes_nothing(settings: Settings) -> None:
    code, out, err = calibrate(settings)
    assert code == 0, err
    assert "no applied attempt" in out
    code, out, _ = calibrate(settings, "--json")
    assert json.loads(out)["item_skills"]["changed"] == 0


def test_help_has_examples_and_the_default_threshold() -> None:
    result = CliRunner().invoke(app, ["calibrate", "--help"])
    assert result.exit_code == 0
    assert "Example: smartpractice calibrate" in result.stdout
    assert f"{DEFAULT_MIN_ATTEMPTS} if not given" in " ".join(result.stdout.split())


def test_evaluate_compares_calibration_on_the_services_own_log(
    settings: Settings, answered: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--from-db",
            "--models",
            "smartpractice,smartpractice_calibrated",
            "--first-responses",
            "2",
            "--json",
        ],
        env={"SMARTPRACTICE_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report["models"]) == ["smartpractice", "smartpractice_calibrated"]
    assert report["rows"] == 2 * round(0.2 * 24)  # five test users, their first two answers
