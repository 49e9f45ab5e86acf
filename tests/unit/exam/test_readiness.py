"""Unit tests for `smartpractice.core.exam.readiness`: break-even golden values, the
strategy property, the forecast's calibration on synthetic students, and what estimated
skills do to it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.exam.blueprint import Blueprint, MarkingScheme
from smartpractice.core.exam.readiness import (
    ExamItem,
    SkillEstimate,
    attempt_value,
    break_even,
    forecast_readiness,
    predicted_success,
    question_value,
)
from smartpractice.core.rating.elo import predict_item_success
from tests.unit.exam.builders import JEE, blueprint


@pytest.mark.parametrize(
    ("marking", "expected"),
    [
        # JEE Main and NEET: +4 / -1: attempt above 1 / 5.
        (JEE, 0.2),
        # JEE Advanced's +3 / -1: 1 / 4.
        (MarkingScheme(correct=3.0, wrong=-1.0), 0.25),
        # +4 / -2: 2 / 6.
        (MarkingScheme(correct=4.0, wrong=-2.0), 1.0 / 3.0),
        # Board exams, no negative marking: always attempt.
        (MarkingScheme(correct=1.0, wrong=0.0), 0.0),
    ],
)
def test_break_even_table(marking: MarkingScheme, expected: float) -> None:
    assert break_even(marking) == pytest.approx(expected)
    # At the break-even, attempting and skipping are worth the same.
    assert attempt_value(success=expected, marking=marking) == pytest.approx(marking.unattempted)


schemes = st.builds(
    MarkingScheme,
    correct=st.floats(0.5, 5.0),
    wrong=st.floats(-3.0, 0.0),
    unattempted=st.just(0.0),
)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), schemes)
def test_the_strategy_is_never_worse_than_attempting_all_or_skipping_all(
    successes: list[float], marking: MarkingScheme
) -> None:
    best = sum(question_value(success=p, marking=marking) for p in successes)
    attempt_all = sum(attempt_value(success=p, marking=marking) for p in successes)
    skip_all = len(successes) * marking.unattempted
    assert best >= attempt_all - 1e-9
    assert best >= skip_all - 1e-9


def pool(place: str, skills: tuple[str, ...], rng: np.random.Generator) -> list[ExamItem]:
    """30 items; one in four tests two skills."""
    items = []
    for n in range(30):
        tested = skills if n % 4 == 0 else (skills[n % len(skills)],)
        items.append(
            ExamItem(f"{place}-{n}", {s: float(rng.normal(1200.0, 150.0)) for s in tested})
        )
    return items


PLACES = {"p1": ("a", "b"), "p2": ("c", "d"), "p3": ("e",), "p4": ("f", "g")}
PAPER = blueprint(tuple((p, 8, 32.0) for p in PLACES))
POOLS = {p: pool(p, s, np.random.default_rng(n)) for n, (p, s) in enumerate(PLACES.items())}


def simulate_paper(
    paper: Blueprint,
    pools: Mapping[str, list[ExamItem]],
    estimates: Mapping[str, SkillEstimate],
    truth: Mapping[str, float],
    rng: np.random.Generator,
) -> float:
    """One paper sat by a student whose true ratings are `truth`, written independently of
    the forecast: the core's scalar success chance, attempts above the break-even."""
    marks = 0.0
    for section, weight in paper.weights():
        items = pools[weight.place]
        size = weight.marks_per_question / section.marking.correct
        for _ in range(weight.questions):
            item = items[int(rng.integers(len(items)))]
            if predicted_success(item, skills=estimates) <= break_even(section.marking):
                marks += size * section.marking.unattempted
                continue
            chance = predict_item_success(ratings=truth, difficulties=item.difficulties)
            right = rng.random() < chance
            marks += size * (section.marking.correct if right else section.marking.wrong)
    return marks


def test_the_80_percent_interval_covers_the_simulated_score_of_75_to_85_percent() -> None:
    # Synthetic students: a rating per skill and its uncertainty as the service states
    # them; the true rating is drawn from that uncertainty, then one paper is sat.
    rng = np.random.default_rng(2026)
    covered = on_edge = 0
    # 150 students keep the unit tier fast; the binomial noise of the coverage is then
    # about 3 points. The larger check (thousands of learners) is the simulator's
    # `simulate-exam` calibration figure.
    students = 150
    for _ in range(students):
        estimates = {
            s: SkillEstimate(float(rng.normal(1250.0, 200.0)), sd, assessed=sd < 150.0)
            for s, sd in zip("abcdefg", rng.uniform(40.0, 220.0, 7), strict=True)
        }
        truth = {s: float(rng.normal(e.rating, e.sd)) for s, e in estimates.items()}
        forecast = forecast_readiness(PAPER, pools=POOLS, skills=estimates, rng=rng, papers=400)
        score = simulate_paper(PAPER, POOLS, estimates, truth, rng)
        covered += forecast.low <= score <= forecast.high
        on_edge += score in (forecast.low, forecast.high)
    assert 0.75 <= covered / students <= 0.85
    # Marks are lumpy (whole marks here), so a score can sit on an endpoint: counting those
    # half, the coverage is 80% up to sampling error (about 3 points with 150 students;
    # offline, 2,000 students and 1,000 papers each: 81.9% endpoints included, 78.2%
    # excluded).
    assert (covered - on_edge / 2) / students == pytest.approx(0.80, abs=0.06)


ASSESSED = {s: SkillEstimate(1250.0, 50.0) for s in "abcdefg"}


@pytest.mark.parametrize(
    ("estimated", "places", "widening", "shift"),
    [
        # Both skills of p2 never practised: a wider interval, the same score within a mark.
        ("cd", [False, True, False, False], 1.0, 1.0),
        # A student with no evidence of their own: the interval widens by a quarter; the
        # score moves by under 2% of the paper (the chance averaged over a wider spread).
        ("abcdefg", [True, True, True, True], 1.25, 2.5),
    ],
)
def test_estimated_skills_widen_the_interval_and_do_not_shrink_the_score(
    estimated: str, places: list[bool], widening: float, shift: float
) -> None:
    guessed = {s: SkillEstimate(1250.0, 200.0, assessed=False) for s in estimated}
    known = forecast_readiness(PAPER, pools=POOLS, skills=ASSESSED, rng=np.random.default_rng(1))
    guess = forecast_readiness(
        PAPER, pools=POOLS, skills={**ASSESSED, **guessed}, rng=np.random.default_rng(1)
    )
    assert guess.high - guess.low >= widening * (known.high - known.low)
    assert guess.high - guess.low > known.high - known.low
    assert guess.expected == pytest.approx(known.expected, abs=shift)
    assert known.estimated_marks == 0.0
    assert guess.estimated_marks == 32.0 * sum(places)
    assert [p.estimated for p in guess.places] == places


def test_a_settled_student_is_predicted_by_the_core_elo_chance() -> None:
    settled = {s: SkillEstimate(1300.0, 1e-6) for s in "ab"}
    item = ExamItem("x", {"a": 1150.0, "b": 1350.0})
    expected = predict_item_success(
        ratings={"a": 1300.0, "b": 1300.0}, difficulties={"a": 1150.0, "b": 1350.0}
    )
    assert predicted_success(item, skills=settled) == pytest.approx(expected, abs=1e-5)


def test_expected_marks_agree_with_the_simulated_papers_and_the_seed_repeats() -> None:
    first = forecast_readiness(PAPER, pools=POOLS, skills=ASSESSED, rng=np.random.default_rng(7))
    again = forecast_readiness(PAPER, pools=POOLS, skills=ASSESSED, rng=np.random.default_rng(7))
    assert first == again
    assert first.low < first.expected < first.high
    assert sum(p.expected + p.at_stake for p in first.places) == pytest.approx(128.0)


def test_below_the_break_even_a_chapter_is_skipped_and_costs_nothing() -> None:
    weak = {**ASSESSED, "e": SkillEstimate(500.0, 50.0)}
    forecast = forecast_readiness(PAPER, pools=POOLS, skills=weak, rng=np.random.default_rng(3))
    p3 = forecast.places[2]
    assert p3.strategy == "skip"
    assert p3.expected == 0.0
    assert p3.at_stake == 32.0
    assert forecast.most_at_stake()[0].place == "p3"
    # Attempting every question of it would have cost marks.
    items = POOLS["p3"]
    attempt_all = 8 * np.mean(
        [attempt_value(success=predicted_success(i, skills=weak), marking=JEE) for i in items]
    )
    assert attempt_all < 0.0


def test_missing_estimates_and_empty_pools_are_refused() -> None:
    with pytest.raises(ValueError, match="no skill estimate for: g"):
        forecast_readiness(
            PAPER,
            pools=POOLS,
            skills={s: e for s, e in ASSESSED.items() if s != "g"},
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match="no items to draw for: p4"):
        forecast_readiness(
            PAPER, pools={**POOLS, "p4": []}, skills=ASSESSED, rng=np.random.default_rng(0)
        )
