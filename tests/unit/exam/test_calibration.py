"""Unit tests for readiness's calibration from the service's own data
(`smartpractice.core.exam.readiness`: `residual_offset`, `over_dispersion`,
`difficulty_sd`) and exam mode's value of a chapter (`planning.place_value`)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.exam.planning import ExamSkill, place_value
from smartpractice.core.exam.readiness import (
    ExamItem,
    SkillEstimate,
    difficulty_sd,
    over_dispersion,
    predicted_success,
    residual_offset,
)
from tests.unit.exam.builders import blueprint

PER_LOGIT = 400.0 / math.log(10.0)  # 173.7 Elo points per logit


def test_residual_offset_golden_numbers() -> None:
    # 20 answers predicted at 0.5, 15 right: sum(y - p) = 5, information 20 * 0.25 = 5;
    # prior 100 Elo points = 0.5757 logits, precision 1 / 0.5757^2 = 3.017; the shift is
    # 5 / 8.017 = 0.6237 logits = 108.3 Elo points, its spread 1 / sqrt(8.017) = 0.3532
    # logits = 61.3 Elo points.
    offset = residual_offset(predicted=[0.5] * 20, outcomes=[1.0] * 15 + [0.0] * 5, prior_sd=100.0)
    assert offset.rating == pytest.approx(108.3, abs=0.1)
    assert offset.sd == pytest.approx(61.3, abs=0.1)


@pytest.mark.parametrize(
    ("answers", "most"),
    [
        (0, 0.0),  # no evidence: no shift
        (5, 110.0),  # a few answers, all right: a bounded shift (101.8)
        (200, 400.0),  # many: the residuals' own estimate, far from the prior
    ],
)
def test_residual_offset_shrinks_with_few_answers(answers: int, most: float) -> None:
    offset = residual_offset(predicted=[0.5] * answers, outcomes=[1.0] * answers, prior_sd=100.0)
    assert 0.0 <= offset.rating <= most + 1e-9
    assert offset.sd <= 100.0 + 1e-9


@given(st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0.0, 1.0)), min_size=1, max_size=40))
def test_residual_offset_follows_the_sign_of_the_errors(rows: list[tuple[float, float]]) -> None:
    predicted = [p for p, _ in rows]
    outcomes = [y for _, y in rows]
    offset = residual_offset(predicted=predicted, outcomes=outcomes, prior_sd=100.0)
    errors = sum(y - p for p, y in rows)
    assert offset.rating * errors >= 0.0
    assert offset.sd > 0.0


def test_over_dispersion() -> None:
    # Predicted 0.9 and 0.1 but every outcome the opposite: (0.81 * 2) / (0.09 * 2) = 9.
    assert over_dispersion(predicted=[0.9, 0.1], outcomes=[0.0, 1.0]) == pytest.approx(9.0)
    # As the model says (or better): 1.
    assert over_dispersion(predicted=[0.9, 0.1], outcomes=[1.0, 0.0]) == 1.0
    with pytest.raises(ValueError, match="same length"):
        over_dispersion(predicted=[0.5], outcomes=[])


@pytest.mark.parametrize(
    ("attempts", "sd"),
    [
        (0, 200.0),  # no answers: the prior
        (10, 96.3),  # 1 / sqrt(1/200^2 + 10 / (4 * 173.7^2))
        (50, 47.7),
    ],
)
def test_difficulty_sd_golden(attempts: int, sd: float) -> None:
    assert difficulty_sd(attempts=attempts, prior_sd=200.0) == pytest.approx(sd, abs=0.1)


def test_difficulty_spread_pulls_prediction_towards_half() -> None:
    skills = {"s": SkillEstimate(rating=1400.0, sd=50.0)}
    known = predicted_success(ExamItem("q", {"s": 1200.0}), skills=skills)
    unsure = predicted_success(ExamItem("q", {"s": 1200.0}, {"s": 200.0}), skills=skills)
    assert 0.5 < unsure < known


def test_place_value_golden_numbers() -> None:
    # Chapter c1 carries 18 marks under +4/-1: 22.5 marks of success; the skill is at 50%
    # on its typical item: 11.25 marks at stake; 9 questions to master at 4 minutes: 0.6 h,
    # 18.75 marks per hour.
    paper = blueprint((("c1", 5, 18.0), ("rest", 70, 282.0)))
    skill = ExamSkill("s", "c1", 1.0, 1200.0, 1200.0, minutes_per_question=4.0)
    value = place_value("c1", [skill], blueprint=paper, expected_questions=9.0)
    assert value.at_stake == pytest.approx(11.25)
    assert value.marks_per_hour == pytest.approx(18.75)
    # Mastered already: nothing at stake; a place without skills is worth nothing.
    assert place_value("rest", [skill], blueprint=paper, expected_questions=0.0).at_stake == 0.0
