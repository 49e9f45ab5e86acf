"""Unit tests for `core.rating.evidence`: from a graded attempt to per-skill evidence."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.core.config import EvidenceConfig
from smartpractice.core.rating.evidence import (
    attempt_to_skill_evidence,
    confidence_weight,
    slowness_multiplier,
)
from smartpractice.core.types import GradedAttempt

CONFIG = EvidenceConfig()
SKILLS = ("algebra", "fractions")


def performances(
    attempt: GradedAttempt, *, expected_time: float | None = 60.0
) -> tuple[dict[str, float], list[float]]:
    """Performance and evidence weight per skill of one attempt (default config)."""
    result = attempt_to_skill_evidence(
        attempt, skills=SKILLS, expected_time_seconds=expected_time, config=CONFIG
    )
    return {s: e.performance for s, e in result.items()}, [e.weight for e in result.values()]


def row(case_id: str, fields: dict[str, Any], algebra: float, fractions: float, **kw: Any) -> Any:
    """One table row: attempt fields, expected performance per skill, weight, expected time."""
    return pytest.param(
        fields, kw.get("expected_time", 60.0), algebra, fractions, kw.get("weight", 1.0), id=case_id
    )


@pytest.mark.parametrize(
    ("fields", "expected_time", "algebra", "fractions", "weight"),
    [
        # A clean correct answer is full credit with the neutral weight.
        row("clean-correct", {"score": 1.0}, 1.0, 1.0),
        # Partial credit passes through.
        row("partial-credit", {"score": 0.6}, 0.6, 0.6),
        # A wrong answer stays at 0 whatever else happened.
        row("wrong-stays-zero", {"score": 0.0, "hints_used": 3, "attempts": 4}, 0.0, 0.0),
        # Each hint multiplies by hint_discount 0.85.
        row("one-hint", {"score": 1.0, "hints_used": 1}, 0.85, 0.85),
        row("two-hints", {"score": 1.0, "hints_used": 2}, 0.7225, 0.7225),
        # Each extra attempt beyond the first multiplies by attempt_discount 0.85.
        row("second-attempt", {"score": 1.0, "attempts": 2}, 0.85, 0.85),
        # Third attempt and one hint: 0.85 ** 2 * 0.85 = 0.614125.
        row(
            "third-try-and-hint", {"score": 1.0, "attempts": 3, "hints_used": 1}, 0.614125, 0.614125
        ),
        # Viewing the worked solution caps performance at solution_viewed_cap 0.2 ...
        row("solution-caps", {"score": 1.0, "solution_viewed": True}, 0.2, 0.2),
        # ... but never raises a lower one.
        row("solution-no-raise", {"score": 0.1, "solution_viewed": True}, 0.1, 0.1),
        # Up to slow_ratio (2x) the expected time of 60 s costs nothing.
        row("twice-expected-time", {"score": 1.0, "time_spent_seconds": 120.0}, 1.0, 1.0),
        # 4x expected is one doubling past 2x: 1 - 0.1 = 0.9.
        row("one-doubling", {"score": 1.0, "time_spent_seconds": 240.0}, 0.9, 0.9),
        # 8x expected is two doublings: 0.8.
        row("two-doublings", {"score": 1.0, "time_spent_seconds": 480.0}, 0.8, 0.8),
        # Absurdly slow: floored at slow_floor 0.7.
        row("slow-floor", {"score": 1.0, "time_spent_seconds": 60_000.0}, 0.7, 0.7),
        # Unknown expected time: no slowness effect.
        row(
            "no-expected-time",
            {"score": 1.0, "time_spent_seconds": 6e4},
            1.0,
            1.0,
            expected_time=None,
        ),
        # Confidence scales the weight, not the performance: 1 + 0.25 * (c - 3) / 2.
        row("confident-correct", {"score": 1.0, "confidence": 5}, 1.0, 1.0, weight=1.25),
        row("confidently-wrong", {"score": 0.0, "confidence": 5}, 0.0, 0.0, weight=1.25),
        row("neutral-confidence", {"score": 1.0, "confidence": 3}, 1.0, 1.0, weight=1.0),
        row("unsure", {"score": 1.0, "confidence": 1}, 1.0, 1.0, weight=0.75),
        # Struggle on algebra removes struggle_penalty 1.0 x struggle of algebra's credit only.
        row("struggle-full", {"score": 1.0, "struggles": {"algebra": 1.0}}, 0.0, 1.0),
        row("struggle-half", {"score": 1.0, "struggles": {"algebra": 0.5}}, 0.5, 1.0),
        # Struggle outside 0-1 is clipped.
        row("struggle-clip-high", {"score": 1.0, "struggles": {"fractions": 3.0}}, 1.0, 0.0),
        row("struggle-clip-low", {"score": 1.0, "struggles": {"fractions": -1.0}}, 1.0, 1.0),
        # Per-skill (per-step) scores override the overall score for their skill only ...
        row("skill-score-lower", {"score": 1.0, "skill_scores": {"algebra": 0.3}}, 0.3, 1.0),
        row("skill-score-higher", {"score": 0.0, "skill_scores": {"fractions": 1.0}}, 0.0, 1.0),
        # ... and still take the process discounts: 0.5 * 0.85 = 0.425.
        row(
            "skill-score-and-hint",
            {"score": 1.0, "skill_scores": {"algebra": 0.5}, "hints_used": 1},
            0.425,
            0.85,
        ),
        # Solution cap, then half struggle: min(1, 0.2) * (1 - 0.5) = 0.1 on algebra.
        row(
            "solution-then-struggle",
            {"score": 1.0, "solution_viewed": True, "struggles": {"algebra": 0.5}},
            0.1,
            0.2,
        ),
        # Scores outside 0-1 are clipped.
        row("score-clip-high", {"score": 1.5}, 1.0, 1.0),
        row("score-clip-low", {"score": -0.5}, 0.0, 0.0),
    ],
)
def test_evidence_effects_table(
    fields: dict[str, Any],
    expected_time: float | None,
    algebra: float,
    fractions: float,
    weight: float,
) -> None:
    result, weights = performances(GradedAttempt(**fields), expected_time=expected_time)
    assert result == {
        "algebra": pytest.approx(algebra),
        "fractions": pytest.approx(fractions),
    }
    assert weights == pytest.approx([weight, weight])


@pytest.mark.parametrize(
    ("spent", "expected_time", "multiplier"),
    [
        (None, 60.0, 1.0),  # time not reported
        (0.0, 60.0, 1.0),  # zero time is not slow
        (30.0, 60.0, 1.0),  # fast
        (120.0, 60.0, 1.0),  # exactly slow_ratio x expected
        (240.0, 60.0, 0.9),  # one doubling past it
        (240.0, 0.0, 1.0),  # expected time of 0 is meaningless: ignored
        (240.0, -5.0, 1.0),  # negative expected time: ignored
        (1e9, 1.0, 0.7),  # floored
    ],
)
def test_slowness_multiplier_table(
    spent: float | None, expected_time: float, multiplier: float
) -> None:
    value = slowness_multiplier(
        time_spent_seconds=spent, expected_time_seconds=expected_time, config=CONFIG
    )
    assert value == pytest.approx(multiplier)


@pytest.mark.parametrize(
    ("confidence", "weight"),
    [(None, 1.0), (1, 0.75), (2, 0.875), (3, 1.0), (4, 1.125), (5, 1.25)],
)
def test_confidence_weight_table(confidence: int | None, weight: float) -> None:
    assert confidence_weight(confidence=confidence, config=CONFIG) == pytest.approx(weight)


def test_evidence_has_exactly_the_items_skills() -> None:
    result = attempt_to_skill_evidence(
        GradedAttempt(score=1.0, skill_scores={"geometry": 0.0}, struggles={"ratios": 1.0}),
        skills=["algebra"],
        expected_time_seconds=None,
        config=CONFIG,
    )
    assert list(result) == ["algebra"]
    assert result["algebra"].performance == 1.0


# --- Hypothesis properties ---------------------------------------------------------------

unit = st.floats(min_value=0.0, max_value=1.0)
attempts_strategy = st.builds(
    GradedAttempt,
    score=unit,
    skill_scores=st.dictionaries(st.sampled_from(SKILLS), unit, max_size=2),
    attempts=st.integers(min_value=1, max_value=20),
    time_spent_seconds=st.none() | st.floats(min_value=0.0, max_value=1e6),
    hints_used=st.integers(min_value=0, max_value=20),
    solution_viewed=st.booleans(),
    confidence=st.none() | st.integers(min_value=1, max_value=5),
    struggles=st.dictionaries(st.sampled_from(SKILLS), unit, max_size=2),
)
expected_times = st.none() | st.floats(min_value=1.0, max_value=3600.0)


@given(attempt=attempts_strategy, expected_time=expected_times)
@settings(max_examples=150, deadline=None)
def test_performance_is_a_probability_and_weight_positive(
    attempt: GradedAttempt, expected_time: float | None
) -> None:
    result = attempt_to_skill_evidence(
        attempt, skills=SKILLS, expected_time_seconds=expected_time, config=CONFIG
    )
    for skill_evidence in result.values():
        assert 0.0 <= skill_evidence.performance <= 1.0
        assert 0.75 <= skill_evidence.weight <= 1.25
        if attempt.solution_viewed:
            assert skill_evidence.performance <= CONFIG.solution_viewed_cap


@given(
    attempt=attempts_strategy,
    expected_time=expected_times,
    more_hints=st.integers(min_value=1, max_value=5),
    more_tries=st.integers(min_value=0, max_value=5),
)
@settings(max_examples=100, deadline=None)
def test_more_help_never_raises_performance(
    attempt: GradedAttempt, expected_time: float | None, more_hints: int, more_tries: int
) -> None:
    helped = replace(
        attempt, hints_used=attempt.hints_used + more_hints, attempts=attempt.attempts + more_tries
    )
    before, _ = performances(attempt, expected_time=expected_time)
    after, _ = performances(helped, expected_time=expected_time)
    assert all(after[s] <= before[s] for s in SKILLS)


@given(attempt=attempts_strategy, struggle=unit)
@settings(max_examples=100, deadline=None)
def test_struggle_lowers_only_the_struggling_skill(attempt: GradedAttempt, struggle: float) -> None:
    stuck = replace(attempt, struggles={**attempt.struggles, "algebra": struggle})
    calm = replace(
        attempt, struggles={k: v for k, v in attempt.struggles.items() if k != "algebra"}
    )
    stuck_result, _ = performances(stuck)
    calm_result, _ = performances(calm)
    assert stuck_result["algebra"] <= calm_result["algebra"]
    assert stuck_result["fractions"] == calm_result["fractions"]
