"""The exam study at a small size: exam mode gains more simulated exam marks than textbook
order for the same study time, and the readiness interval is neither empty nor trivial.
The full figures (200 learners) and their command are in docs/reference/exams.md."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from smartpractice.cli.app import app
from smartpractice.services.sample_bank import read_sample_exams
from smartpractice.settings import Settings
from smartpractice_lab.simulation.config import START, LearnerConfig, SimulationConfig
from smartpractice_lab.simulation.exam import (
    ExamStudy,
    exam_study_report,
    run_exam_study,
    study_exam,
)
from smartpractice_lab.simulation.study import build_world

pytestmark = pytest.mark.integration


def test_exam_mode_beats_textbook_order_and_readiness_covers_the_sat_paper() -> None:
    world = build_world(
        model=Settings().model, learner=LearnerConfig(), simulation=SimulationConfig(students=1)
    )
    exam = study_exam(read_sample_exams()[0], start=START.date(), days=4)
    study = ExamStudy(
        exam=exam, learners=20, days=4, minutes_per_day=30, cohort_size=10, forecast_papers=500
    )
    report = exam_study_report(run_exam_study(world, study), study)
    policies = report["policies"]
    # The same learners start from the same marks under every policy (paired).
    starts = {round(p["marks_start"], 6) for p in policies.values()}
    assert len(starts) == 1
    assert all(p["marks_gained"] > 0 for p in policies.values())
    against_textbook = report["paired"]["exam_mode - textbook"]
    assert against_textbook["marks"] - against_textbook["ci95"] > 0
    # 60 forecasts: the coverage of the 80% interval, with room for its sampling noise
    # (the 200-learner run measures it against the 75-85% target).
    assert 0.5 <= report["coverage_80"] <= 0.95


def test_simulate_exam_reports_every_policy_as_json() -> None:
    result = CliRunner().invoke(
        app,
        ["simulate-exam", "--learners", "2", "--days", "1", "--minutes-per-day", "10", "--json"],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["policies"]) == {"exam_mode", "smart_practice", "textbook"}
    bad = CliRunner().invoke(app, ["simulate-exam", "--exam", "nope"])
    assert bad.exit_code == 1
    assert "--exam: no blueprint 'nope'" in bad.stderr
