"""The diagnostic counts where the questions before mastery go."""

from __future__ import annotations

import numpy as np
import pytest

from smartpractice_lab.simulation.diagnose import COLUMNS, diagnose, main
from smartpractice_lab.simulation.runner import run_cohort
from tests.unit.simulation.test_runner import world


def test_the_oracle_wastes_less_than_the_textbook_order() -> None:
    here = world(students=12, questions=60, cohort=6)
    textbook = diagnose(here, "textbook")
    oracle = diagnose(here, "oracle")
    assert set(textbook) == set(COLUMNS)
    assert textbook["off_topic"] == 0.0  # the textbook order never leaves the topic
    for found in (textbook, oracle):
        assert 0.0 <= found["useful_gain"] <= found["gain"]
        assert 0.0 <= found["no_progress"] <= 1.0
        assert 0.0 <= found["weakest_agrees"] <= 1.0 and -1.0 <= found["bias"] <= 1.0
    assert oracle["no_progress"] < textbook["no_progress"]


def test_no_progress_agrees_with_the_runners_count() -> None:
    here = world(students=6, questions=60, cohort=6)
    result = run_cohort(here, "textbook", 0, 6)
    share = result.on_mastered.sum() / result.practised.sum()
    assert diagnose(here, "textbook")["no_progress"] == pytest.approx(share)
    assert np.all(result.on_mastered <= result.practised)


def test_main_prints_a_row_per_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--students", "4", "--policies", "textbook"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| policy | no_progress") and lines[2].startswith("| textbook |")
