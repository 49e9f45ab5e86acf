"""Unit tests for `core.practice.mastery`: golden values, tables and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.practice.mastery import (
    knowledge_tracing,
    mastery_probability,
    mastery_rating,
    retention,
    tracing_step,
)

LEVEL = mastery_rating(typical_difficulty=1200.0, level=0.8)
STANDARD = {"learn": 0.2, "guess": 0.2, "slip": 0.1}


def test_mastery_rating_is_where_the_typical_item_reaches_the_level() -> None:
    # 0.8 = 4:1 odds -> 400 * log10(4) = 240.8 Elo points above the typical item.
    assert mastery_rating(typical_difficulty=1200.0, level=0.8) == pytest.approx(1440.82, abs=0.01)


@pytest.mark.parametrize(
    ("rating", "sd", "expected"),
    [
        # At the mastery rating: a coin flip whatever the spread.
        (LEVEL, 100.0, 0.5),
        # One standard deviation above: Phi(1).
        (LEVEL + 100.0, 100.0, 0.8413),
        # Two below: Phi(-2).
        (LEVEL - 200.0, 100.0, 0.0228),
    ],
)
def test_mastery_probability_table(rating: float, sd: float, expected: float) -> None:
    found = mastery_probability(rating=rating, sd=sd, typical_difficulty=1200.0, level=0.8)
    assert found == pytest.approx(expected, abs=1e-4)


def test_retention_halves_after_the_half_life_without_successes() -> None:
    assert retention(days_since=30.0, correct=0, half_life_days=30.0) == pytest.approx(0.5)
    # Each success spaces the next review out: with e - 1 successes the half-life doubles.
    assert retention(days_since=60.0, correct=round(math.e - 1), half_life_days=30.0) > 0.5
    assert retention(days_since=None, correct=0, half_life_days=30.0) == 1.0


def test_tracing_golden_values() -> None:
    # From 0.3, a right answer: 0.27 / (0.27 + 0.14) = 0.6585, then learning -> 0.7268.
    assert tracing_step(0.3, 1.0, **STANDARD) == pytest.approx(0.72683, abs=1e-5)
    # A wrong one: 0.03 / (0.03 + 0.56) = 0.0508, then learning -> 0.2407.
    assert tracing_step(0.3, 0.0, **STANDARD) == pytest.approx(0.24068, abs=1e-5)
    # Three right in a row cross the cognitive tutors' 0.95.
    assert knowledge_tracing([1.0, 1.0, 1.0], initial=0.3, **STANDARD) > 0.95
    assert knowledge_tracing([1.0, 1.0], initial=0.3, **STANDARD) < 0.95
    assert knowledge_tracing([], initial=0.3, **STANDARD) == 0.3


@given(known=st.floats(0.0, 1.0), performance=st.floats(0.0, 1.0))
def test_tracing_stays_a_probability_and_a_right_answer_never_lowers_it(
    known: float, performance: float
) -> None:
    after = tracing_step(known, performance, **STANDARD)
    assert 0.0 <= after <= 1.0
    if performance >= 0.5:
        assert after >= known - 1e-12
