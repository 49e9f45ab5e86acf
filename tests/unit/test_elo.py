"""Unit tests for `core.rating.elo`: golden values, tables and Hypothesis properties."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartpractice.core.config import EloConfig, UncertaintySchedule
from smartpractice.core.rating.elo import (
    _step,
    ability_share,
    days_between,
    expected_success,
    logit,
    practice_gain,
    predict_item_success,
    skill_rating,
    skill_ratings,
    skill_uncertainty,
    step_size,
    uncertainty,
    update_skill_ratings,
)
from smartpractice.core.types import ItemRatings, RatingState, SkillEvidence, StudentRatings

CONFIG = EloConfig()
LOW, HIGH = CONFIG.rating_bounds
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SKILLS = ("algebra", "fractions", "geometry", "ratios")


def fresh_student(ability: float = 1200.0) -> StudentRatings:
    return StudentRatings(ability=RatingState(value=ability))


def fresh_item(**difficulties: float) -> ItemRatings:
    return ItemRatings(difficulties={s: RatingState(value=d) for s, d in difficulties.items()})


def evidence(performance: float, *skills: str, weight: float = 1.0) -> dict[str, SkillEvidence]:
    return {s: SkillEvidence(performance=performance, weight=weight) for s in skills}


# --- golden values -----------------------------------------------------------------------


def test_equal_rating_and_difficulty_is_a_coin_flip() -> None:
    assert expected_success(rating=1200.0, difficulty=1200.0) == 0.5


@pytest.mark.parametrize(
    ("rating", "difficulty", "expected"),
    [
        # 400 points harder than the student: 10:1 odds against -> 1 / (1 + 10).
        (1200.0, 1600.0, 1.0 / 11.0),
        # 400 points easier: 10:1 odds in favour -> 10 / 11.
        (1600.0, 1200.0, 10.0 / 11.0),
        # 800 points harder: 100:1 against -> 1 / 101.
        (1000.0, 1800.0, 1.0 / 101.0),
        # 200 points harder: 10 ** 0.5 : 1 against.
        (1200.0, 1400.0, 1.0 / (1.0 + math.sqrt(10.0))),
    ],
)
def test_expected_success_golden_odds(rating: float, difficulty: float, expected: float) -> None:
    assert expected_success(rating=rating, difficulty=difficulty) == pytest.approx(expected)


def test_expected_success_does_not_overflow_on_absurd_gaps() -> None:
    # 10 ** (1e6 / 400) would overflow a float; the exponent is clipped instead.
    assert expected_success(rating=0.0, difficulty=1e6) == pytest.approx(0.0, abs=1e-300)
    assert expected_success(rating=1e6, difficulty=0.0) == 1.0


def test_expected_success_on_arrays_matches_the_scalar_elementwise() -> None:
    # Cohort views and selection score many (rating, difficulty) pairs at once; each element
    # must be the scalar prediction, overflow guard included.
    ratings = np.array([1200.0, 1600.0, 1000.0, 0.0, 1e6])
    difficulties = np.array([1600.0, 1200.0, 1800.0, 1e6, 0.0])
    vectorised = expected_success(rating=ratings, difficulty=difficulties)
    scalar = [
        expected_success(rating=float(r), difficulty=float(d))
        for r, d in zip(ratings, difficulties, strict=True)
    ]
    assert vectorised.tolist() == pytest.approx(scalar, abs=1e-300)
    # A float broadcasts against an array on either side.
    assert expected_success(rating=1200.0, difficulty=difficulties).shape == (5,)
    assert expected_success(rating=ratings, difficulty=1200.0).tolist() == pytest.approx(
        [expected_success(rating=float(r), difficulty=1200.0) for r in ratings], abs=1e-300
    )


def test_single_update_of_a_fresh_student_matches_hand_computation() -> None:
    # Fresh student (ability 1200, no offset) meets a fresh item at 1200 on "fractions"
    # and answers fully correctly (a = 1, w = 1). Default config:
    #   E = 1 / (1 + 10 ** 0) = 0.5, surprise = 1 * (1 - 0.5) = 0.5
    #   no evidence anywhere -> uncertainty 1 -> K_student = 85, K_item = 150
    #   first attempt at the skill -> ability share 0.3
    #   ability += 0.3 * K * surprise = 0.3 * 85 * 0.5 = 12.75             -> 1212.75
    #   offset  += 0.7 * K * surprise = 0.7 * 85 * 0.5 = 29.75             -> 29.75
    #   rating on fractions = 1212.75 + 29.75 + 60 * ln(1 + 1 success) = 1242.5 + 41.59
    #   difficulty -= K_item * surprise = 150 * 0.5 = 75                     -> 1125
    update = update_skill_ratings(
        student=fresh_student(),
        item=fresh_item(fractions=1200.0),
        evidence=evidence(1.0, "fractions"),
        now=T0,
        config=CONFIG,
    )
    assert update.expected == {"fractions": 0.5}
    assert update.predicted == 0.5
    assert update.student.ability.value == pytest.approx(1212.75)
    assert update.student.offsets["fractions"].value == pytest.approx(29.75)
    assert skill_rating(update.student, "fractions", config=CONFIG) == pytest.approx(
        1242.5 + 60.0 * math.log(2.0)
    )
    assert update.item.difficulties["fractions"].value == pytest.approx(1125.0)
    offset = update.student.offsets["fractions"]
    assert (offset.attempts, offset.correct, offset.last_at) == (1, 1, T0)
    assert update.item.difficulties["fractions"].attempts == 1


def test_single_update_with_a_400_point_gap_matches_hand_computation() -> None:
    # Fresh student at 1200 answers a fresh item at 1600 correctly (an upset):
    #   E = 1/11, surprise = 1 - 1/11 = 10/11
    #   ability += 0.3 * 85 * 10/11 = 23.18...               -> 1223.18...
    #   offset  += 0.7 * 85 * 10/11 = 54.09...
    #   difficulty -= 150 * 10/11   = 1500/11 = 136.36...    -> 1463.636...
    update = update_skill_ratings(
        student=fresh_student(),
        item=fresh_item(algebra=1600.0),
        evidence=evidence(1.0, "algebra"),
        now=T0,
        config=CONFIG,
    )
    assert update.expected["algebra"] == pytest.approx(1.0 / 11.0)
    assert update.student.ability.value == pytest.approx(1200.0 + 0.3 * 850.0 / 11.0)
    assert update.student.offsets["algebra"].value == pytest.approx(0.7 * 850.0 / 11.0)
    assert update.item.difficulties["algebra"].value == pytest.approx(1600.0 - 1500.0 / 11.0)


def test_settled_update_uses_the_uncertainty_step_and_the_practice_gain() -> None:
    # Ability and offset: 10 attempts (5 correct), last practised 5 days ago; item: 20
    # attempts.
    #   u_student = 1 / (1 + 0.08 * 10) + 0.004 * 5 = 0.5556 + 0.02 = 0.57556
    #   K_student = 80 + 5 * 0.57556 = 82.878
    #   u_item = 1 / (1 + 0.125 * 20) = 1 / 3.5 = 0.2857 (items do not regain uncertainty)
    #   K_item = 0.5 + 149.5 / 3.5 = 43.214
    # Rating 1200 + 100 + 60 ln(1 + 5 successes) = 1407.51 vs difficulty 1300, so
    # E = 1 / (1 + 10 ** (-107.51 / 400)); a wrong answer (a = 0) with weight 1.25:
    # surprise = -1.25 E
    #   ability: 1200 + 0.17 * 82.878 * surprise (not the first attempt: global share)
    #   offset:  100 + 0.83 * 82.878 * surprise
    #   difficulty: 1300 - 43.214 * surprise
    seen = T0 - timedelta(days=5)
    student = StudentRatings(
        ability=RatingState(value=1200.0, attempts=10, correct=5, last_at=seen),
        offsets={"geometry": RatingState(value=100.0, attempts=10, correct=5, last_at=seen)},
    )
    item = ItemRatings(
        difficulties={"geometry": RatingState(value=1300.0, attempts=20, last_at=seen)}
    )
    update = update_skill_ratings(
        student=student,
        item=item,
        evidence=evidence(0.0, "geometry", weight=1.25),
        now=T0,
        config=CONFIG,
    )
    rating = 1300.0 + 60.0 * math.log(6.0)
    assert skill_rating(student, "geometry", config=CONFIG) == pytest.approx(rating)
    expected = 1.0 / (1.0 + 10.0 ** ((1300.0 - rating) / 400.0))
    assert update.expected["geometry"] == pytest.approx(expected)
    surprise = -1.25 * expected
    k_student = 80.0 + 5.0 * (1.0 / 1.8 + 0.02)
    assert update.student.ability.value == pytest.approx(1200.0 + 0.17 * k_student * surprise)
    assert update.student.offsets["geometry"].value == pytest.approx(
        100.0 + 0.83 * k_student * surprise
    )
    k_item = 0.5 + 149.5 / 3.5
    assert update.item.difficulties["geometry"].value == pytest.approx(1300.0 - k_item * surprise)
    assert update.student.offsets["geometry"].correct == 5  # a wrong answer adds no success


def test_practice_gain_counts_successes_and_failures_on_a_log_scale() -> None:
    gains = EloConfig(success_gain=70.0, failure_gain=-10.0)
    state = RatingState(value=0.0, attempts=10, correct=7)
    assert practice_gain(state, config=gains) == pytest.approx(
        70.0 * math.log(8.0) - 10.0 * math.log(4.0)
    )
    assert practice_gain(None, config=gains) == 0.0
    student = StudentRatings(ability=RatingState(value=1200.0), offsets={"algebra": state})
    assert skill_rating(student, "algebra", config=gains) == pytest.approx(
        1200.0 + 70.0 * math.log(8.0) - 10.0 * math.log(4.0)
    )
    # A skill never practised is the ability alone.
    assert skill_rating(student, "geometry", config=gains) == 1200.0


@given(
    rows=st.lists(
        st.tuples(
            st.floats(min_value=-500.0, max_value=3500.0),
            st.floats(min_value=-1500.0, max_value=1500.0),
            st.integers(min_value=1, max_value=500),
            st.floats(min_value=0.0, max_value=1.0),
        ),
        min_size=1,
        max_size=20,
    ),
    success_gain=st.floats(min_value=-100.0, max_value=100.0),
    failure_gain=st.floats(min_value=-100.0, max_value=100.0),
)
@settings(max_examples=100, deadline=None)
def test_cohort_ratings_are_the_same_as_one_students(
    rows: list[tuple[float, float, int, float]], success_gain: float, failure_gain: float
) -> None:
    # The dashboard's vectorised ratings must be exactly what the model predicts with.
    config = EloConfig(success_gain=success_gain, failure_gain=failure_gain)
    states = [
        (ability, RatingState(value=offset, attempts=n, correct=round(share * n)))
        for ability, offset, n, share in rows
    ]
    one_by_one = [
        skill_rating(
            StudentRatings(ability=RatingState(value=ability), offsets={"s": state}),
            "s",
            config=config,
        )
        for ability, state in states
    ]
    together = skill_ratings(
        abilities=np.array([a for a, _ in states]),
        offsets=np.array([s.value for _, s in states]),
        attempts=np.array([s.attempts for _, s in states], dtype=float),
        correct=np.array([s.correct for _, s in states], dtype=float),
        config=config,
    )
    assert together == pytest.approx(one_by_one, rel=1e-12, abs=1e-9)


def test_first_attempt_at_a_skill_sends_a_larger_share_to_the_ability() -> None:
    first = ability_share(None, config=CONFIG)
    later = ability_share(RatingState(value=0.0, attempts=1), config=CONFIG)
    assert (first, later) == (CONFIG.first_attempt_share, CONFIG.global_share)
    assert first > later


def test_two_skill_item_prediction_averages_gaps_on_the_logit_scale() -> None:
    # Gaps +200 and -200 average to 0 -> 0.5, not the mean of the two Elo predictions.
    ratings = {"algebra": 1400.0, "fractions": 1000.0}
    difficulties = {"algebra": 1200.0, "fractions": 1200.0}
    assert predict_item_success(ratings=ratings, difficulties=difficulties) == 0.5
    # With one skill it is plain Elo.
    assert predict_item_success(
        ratings={"algebra": 1200.0}, difficulties={"algebra": 1600.0}
    ) == pytest.approx(1.0 / 11.0)


def test_an_item_without_skills_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one skill"):
        predict_item_success(ratings={}, difficulties={})
    with pytest.raises(ValueError, match="at least one skill"):
        update_skill_ratings(
            student=fresh_student(), item=ItemRatings({}), evidence={}, now=T0, config=CONFIG
        )


@pytest.mark.parametrize(
    ("attempts", "days", "expected"),
    [
        (0, 0.0, 1.0),  # no evidence at all
        (10, 0.0, 1.0 / 1.8),  # 1 / (1 + 0.08 * 10)
        (10, 5.0, 1.0 / 1.8 + 0.02),  # plus 0.004 per day away
        (100, 0.0, 1.0 / 9.0),  # 1 / (1 + 8)
        (0, 365.0, 1.0),  # capped at 1
        (10, 365.0, 1.0),  # a year away: back to fully uncertain
        (-3, -2.0, 1.0),  # nonsense counts and negative gaps are treated as 0
    ],
)
def test_uncertainty_table(attempts: int, days: float, expected: float) -> None:
    value = uncertainty(attempts=attempts, days_since=days, schedule=CONFIG.student)
    assert value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("u", "expected"),
    [
        (1.0, 85.0),  # k_max
        (0.0, 80.0),  # k_min
        (0.5, 82.5),  # 80 + 5 / 2
    ],
)
def test_step_size_table(u: float, expected: float) -> None:
    assert step_size(uncertainty_value=u, schedule=CONFIG.student) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        (None, T0, 0.0),  # never seen
        (T0, T0 + timedelta(days=1, hours=12), 1.5),
        (T0 + timedelta(days=2), T0, 0.0),  # event arrived out of order
    ],
)
def test_days_between(earlier: datetime | None, later: datetime, expected: float) -> None:
    assert days_between(earlier, later) == pytest.approx(expected)


def test_logit_golden_and_clipped() -> None:
    assert logit(0.5) == 0.0
    assert logit(10.0 / 11.0) == pytest.approx(math.log(10.0))
    assert math.isfinite(logit(0.0))
    assert math.isfinite(logit(1.0))


def test_skill_uncertainty_of_an_unpractised_skill_is_one() -> None:
    assert skill_uncertainty(fresh_student(), "ratios", now=T0, config=CONFIG) == 1.0


def test_update_returns_new_values_and_leaves_inputs_alone() -> None:
    student = StudentRatings(
        ability=RatingState(value=1200.0), offsets={"ratios": RatingState(value=-50.0)}
    )
    item = fresh_item(algebra=1300.0)
    update = update_skill_ratings(
        student=student, item=item, evidence=evidence(1.0, "algebra"), now=T0, config=CONFIG
    )
    assert student.offsets == {"ratios": RatingState(value=-50.0)}
    assert "algebra" not in student.offsets
    assert item.difficulties["algebra"] == RatingState(value=1300.0)
    # Only the item's skills (and the ability) change.
    assert update.student.offsets["ratios"] == RatingState(value=-50.0)


def test_late_event_counts_but_does_not_move_last_seen_backwards() -> None:
    first = update_skill_ratings(
        student=fresh_student(),
        item=fresh_item(algebra=1200.0),
        evidence=evidence(1.0, "algebra"),
        now=T0,
        config=CONFIG,
    )
    late = update_skill_ratings(
        student=first.student,
        item=first.item,
        evidence=evidence(0.0, "algebra"),
        now=T0 - timedelta(hours=6),
        config=CONFIG,
    )
    offset = late.student.offsets["algebra"]
    assert (offset.attempts, offset.correct, offset.last_at) == (2, 1, T0)
    assert late.student.ability.last_at == T0
    assert late.item.difficulties["algebra"].last_at == T0


# --- Hypothesis properties ---------------------------------------------------------------

ratings_in_bounds = st.floats(min_value=LOW, max_value=HIGH)
performances = st.floats(min_value=0.0, max_value=1.0)
weights = st.floats(min_value=0.1, max_value=3.0)


@given(rating=ratings_in_bounds, difficulty=ratings_in_bounds)
@settings(max_examples=100, deadline=None)
def test_expected_success_is_a_probability_and_symmetric(rating: float, difficulty: float) -> None:
    p = expected_success(rating=rating, difficulty=difficulty)
    assert 0.0 <= p <= 1.0
    assert p + expected_success(rating=difficulty, difficulty=rating) == pytest.approx(1.0)


@given(
    attempts=st.integers(min_value=0, max_value=10**6),
    more=st.integers(min_value=1, max_value=1000),
    days=st.floats(min_value=0.0, max_value=10_000.0),
    later=st.floats(min_value=0.0, max_value=10_000.0),
)
@settings(max_examples=100, deadline=None)
def test_uncertainty_in_unit_interval_falls_with_attempts_rises_with_days(
    attempts: int, more: int, days: float, later: float
) -> None:
    for schedule in (CONFIG.student, CONFIG.item):
        u = uncertainty(attempts=attempts, days_since=days, schedule=schedule)
        assert 0.0 < u <= 1.0
        assert uncertainty(attempts=attempts + more, days_since=days, schedule=schedule) <= u
        assert uncertainty(attempts=attempts, days_since=days + later, schedule=schedule) >= u
        k = step_size(uncertainty_value=u, schedule=schedule)
        assert schedule.k_min <= k <= schedule.k_max


@given(
    u=st.floats(min_value=0.0, max_value=1.0),
    k_min=st.floats(min_value=0.0, max_value=100.0),
    extra=st.floats(min_value=0.0, max_value=400.0),
)
@settings(max_examples=100, deadline=None)
def test_step_size_between_k_min_and_k_max(u: float, k_min: float, extra: float) -> None:
    schedule = UncertaintySchedule(k_min=k_min, k_max=k_min + extra)
    k = step_size(uncertainty_value=u, schedule=schedule)
    assert schedule.k_min <= k <= schedule.k_max


schedules = st.builds(
    UncertaintySchedule,
    k_max=st.floats(min_value=0.0, max_value=500.0),
    k_min=st.floats(min_value=0.0, max_value=500.0),
    decay_per_attempt=st.floats(min_value=0.0, max_value=10.0),
    growth_per_day=st.floats(min_value=0.0, max_value=1.0),
)


@given(
    schedule=schedules,
    attempts=st.integers(min_value=0, max_value=10**6),
    last_seen_hours=st.none() | st.floats(min_value=-10_000.0, max_value=10_000.0),
)
@settings(max_examples=300, deadline=None)
def test_the_inlined_step_equals_step_size_of_uncertainty(
    schedule: UncertaintySchedule, attempts: int, last_seen_hours: float | None
) -> None:
    # `_step` inlines the two public functions for speed; it must stay the same number,
    # including when the rating was last updated after `now` (late events) or never.
    last_at = None if last_seen_hours is None else T0 + timedelta(hours=last_seen_hours)
    state = RatingState(value=1200.0, attempts=attempts, last_at=last_at)
    public = step_size(
        uncertainty_value=uncertainty(
            attempts=attempts, days_since=days_between(last_at, T0), schedule=schedule
        ),
        schedule=schedule,
    )
    assert _step(state, T0, schedule) == public


@dataclass(frozen=True)
class AttemptDraw:
    item_index: int
    performances: tuple[float, float, float]
    weight: float
    hours_step: float


items_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True),
        ratings_in_bounds,
    ),
    min_size=1,
    max_size=4,
)
attempts_strategy = st.lists(
    st.builds(
        AttemptDraw,
        item_index=st.integers(min_value=0, max_value=3),
        performances=st.tuples(performances, performances, performances),
        weight=weights,
        # Negative steps make events arrive out of order; large ones are weeks away.
        hours_step=st.floats(min_value=-72.0, max_value=24.0 * 60),
    ),
    min_size=1,
    max_size=40,
)


@given(items=items_strategy, attempts=attempts_strategy, ability=ratings_in_bounds)
@settings(max_examples=60, deadline=None)
def test_any_attempt_sequence_keeps_probabilities_and_ratings_in_bounds(
    items: list[tuple[list[str], float]], attempts: list[AttemptDraw], ability: float
) -> None:
    student = fresh_student(ability)
    item_states = [ItemRatings({s: RatingState(value=d) for s in skills}) for skills, d in items]
    now = T0
    for n, draw in enumerate(attempts, start=1):
        index = draw.item_index % len(item_states)
        item = item_states[index]
        skills = list(item.difficulties)
        now += timedelta(hours=draw.hours_step)
        update = update_skill_ratings(
            student=student,
            item=item,
            evidence={
                s: SkillEvidence(performance=a, weight=draw.weight)
                for s, a in zip(skills, draw.performances, strict=False)
            },
            now=now,
            config=CONFIG,
        )
        assert 0.0 <= update.predicted <= 1.0
        assert all(0.0 <= p <= 1.0 for p in update.expected.values())
        student, item_states[index] = update.student, update.item
        assert math.isfinite(student.ability.value)
        assert LOW <= student.ability.value <= HIGH
        assert student.ability.attempts == n
        for s in student.offsets:  # every practised skill, not only this item's
            rating = skill_rating(student, s, config=CONFIG)
            assert math.isfinite(rating)
            assert LOW <= rating <= HIGH
        for state in item_states:
            for difficulty in state.difficulties.values():
                assert math.isfinite(difficulty.value)
                assert LOW <= difficulty.value <= HIGH
        for s in student.offsets:
            assert 0.0 < skill_uncertainty(student, s, now=now, config=CONFIG) <= 1.0


@st.composite
def rated_situations(draw: st.DrawFn) -> tuple[StudentRatings, ItemRatings, datetime]:
    """Any valid student and item: every rating on the item's skills inside the bounds."""
    skills = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True))
    last_at = T0 + timedelta(hours=draw(st.floats(min_value=-2000.0, max_value=0.0)))
    ability = RatingState(
        value=draw(ratings_in_bounds),
        attempts=draw(st.integers(min_value=0, max_value=80)),
        last_at=draw(st.none() | st.just(last_at)),
    )
    offsets: dict[str, RatingState] = {}
    for s in skills:
        if draw(st.booleans()):
            offset = draw(ratings_in_bounds) - ability.value
            assume(LOW <= ability.value + offset <= HIGH)
            offsets[s] = RatingState(
                value=offset, attempts=draw(st.integers(min_value=0, max_value=80)), last_at=last_at
            )
    item = ItemRatings(
        {
            s: RatingState(
                value=draw(ratings_in_bounds),
                attempts=draw(st.integers(min_value=0, max_value=300)),
            )
            for s in skills
        }
    )
    # Out-of-order events included: `now` may precede the last update.
    now = T0 + timedelta(hours=draw(st.floats(min_value=-100.0, max_value=1000.0)))
    return StudentRatings(ability=ability, offsets=offsets), item, now


@pytest.mark.parametrize(
    ("performance", "direction"),
    [
        (1.0, +1),  # fully correct: ratings never fall, difficulties never rise
        (0.0, -1),  # fully wrong: ratings never rise, difficulties never fall
    ],
)
@given(situation=rated_situations(), weight=weights)
@settings(max_examples=80, deadline=None)
def test_fully_correct_or_wrong_answers_move_ratings_the_right_way(
    performance: float,
    direction: int,
    situation: tuple[StudentRatings, ItemRatings, datetime],
    weight: float,
) -> None:
    student, item, now = situation
    skills = list(item.difficulties)
    update = update_skill_ratings(
        student=student,
        item=item,
        evidence=evidence(performance, *skills, weight=weight),
        now=now,
        config=CONFIG,
    )
    for s in skills:
        rating_change = skill_rating(update.student, s, config=CONFIG) - skill_rating(
            student, s, config=CONFIG
        )
        difficulty_change = update.item.difficulties[s].value - item.difficulties[s].value
        assert direction * rating_change >= 0.0
        assert direction * difficulty_change <= 0.0


# --- bounds on skills the item does not test ------------------------------------------


def test_a_skill_not_on_the_item_stays_within_bounds() -> None:
    # Drive "algebra" to the 3000 ceiling with perfect answers on items at 3000 (about 22
    # attempts); its offset is then 3000 - ability. One more correct answer on "fractions"
    # raises the ability by ~15 points, and the algebra rating with it, to ~3015.
    student = fresh_student()
    for _ in range(40):
        student = update_skill_ratings(
            student=student,
            item=fresh_item(algebra=HIGH),
            evidence=evidence(1.0, "algebra"),
            now=T0,
            config=CONFIG,
        ).student
    assert skill_rating(student, "algebra", config=CONFIG) == HIGH
    student = update_skill_ratings(
        student=student,
        item=fresh_item(fractions=HIGH),
        evidence=evidence(1.0, "fractions"),
        now=T0,
        config=CONFIG,
    ).student
    assert skill_rating(student, "algebra", config=CONFIG) <= HIGH
