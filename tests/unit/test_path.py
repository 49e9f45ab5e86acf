"""Unit tests for `core.practice.path`: golden values, tables and Hypothesis properties."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.config import EloConfig, PathConfig
from smartpractice.core.practice.mastery import mastery_rating
from smartpractice.core.practice.path import (
    STATUSES,
    PathSkill,
    estimate_offsets,
    estimated_ratings,
    plan_path,
    tracking_rating,
)
from smartpractice.core.types import RatingState, StudentRatings

CONFIG = PathConfig()
# The rating at which proficiency on a typical item of difficulty 1200 is the mastery level.
LEVEL = mastery_rating(typical_difficulty=1200.0, level=CONFIG.mastery_level)
A, B, C = "math:algebra:linear:a", "math:algebra:linear:b", "math:algebra:linear:c"


def skill(skill_id: str, rating: float, **fields: object) -> PathSkill:
    defaults: dict[str, object] = {"uncertainty": 0.2, "typical_difficulty": 1200.0}
    defaults.update(fields)
    return PathSkill(skill_id=skill_id, rating=rating, **defaults)  # type: ignore[arg-type]


# --- golden values -----------------------------------------------------------------------


def test_estimate_follows_related_evidence_and_shrinks_to_the_ability() -> None:
    offsets = {A: (-150.0, 10), "phy:mechanics:motion:x": (300.0, 10)}
    found = estimate_offsets([B, "chem:x:y:z"], offsets=offsets, prerequisites={}, config=CONFIG)
    # Same topic (weight 1 per answer, 10 answers) against a prior of 3 pseudo-answers at 0.
    assert found[B] == (pytest.approx(-150.0 * 10 / 13), 10.0)
    # Nothing related: the ability alone.
    assert found["chem:x:y:z"] == (0.0, 0.0)


def test_skills_with_their_own_evidence_are_not_estimated() -> None:
    offsets = {A: (100.0, CONFIG.min_evidence), B: (-300.0, 10)}
    assert A not in estimate_offsets([A], offsets=offsets, prerequisites={}, config=CONFIG)


def test_estimated_ratings_add_the_ability_and_stay_in_bounds() -> None:
    elo = EloConfig()
    student = StudentRatings(
        ability=RatingState(value=1200.0),
        offsets={A: RatingState(value=-5000.0, attempts=10, correct=0)},
    )
    rating, uncertainty = estimated_ratings(student, [B], prerequisites={}, elo=elo, path=CONFIG)[B]
    assert rating == elo.rating_bounds[0]
    assert 0.0 < uncertainty < 1.0


# --- the path ----------------------------------------------------------------------------


def test_new_student_starts_with_the_first_skill_of_the_chain() -> None:
    skills = [
        skill(A, 1200.0, uncertainty=1.0, order=0),
        skill(B, 1200.0, uncertainty=1.0, prerequisites=(A,), order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    # B waits until A is as likely as not mastered.
    assert [path.step(s).status for s in (A, B)] == ["frontier", "locked"]  # type: ignore[union-attr]
    assert path.focus == A
    assert path.phase == "frontier"
    assert all(s.evidence == "estimated" for s in path.steps)
    assert path.expected_questions > 0


def test_a_clearly_weak_prerequisite_locks_its_successor() -> None:
    skills = [
        skill(A, 900.0, attempts=10, correct=1, order=0),
        skill(B, 1200.0, prerequisites=(A,), order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    step = path.step(B)
    assert step is not None and step.status == "locked"
    assert "first master" in step.reason and A in step.reason
    assert path.focus == A


def test_mastered_skill_is_not_practised_and_its_successor_is_the_focus() -> None:
    skills = [
        skill(A, LEVEL + 300.0, attempts=20, correct=18, order=0),
        skill(B, 1200.0, prerequisites=(A,), order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    assert path.mastered == {A}
    assert path.focus == B
    step = path.step(B)
    assert step is not None and A in step.reason
    assert A not in path.practise


def test_hysteresis_keeps_a_mastered_skill_through_one_slip() -> None:
    # Just above a coin flip: not enough to become mastered, enough to stay mastered.
    shaky = skill(A, LEVEL + 10.0, attempts=20, correct=15)
    assert plan_path([shaky], config=CONFIG).mastered == frozenset()
    assert plan_path([shaky], previously_mastered=frozenset({A}), config=CONFIG).mastered == {A}
    fallen = dataclasses.replace(shaky, rating=LEVEL - 200.0)
    assert plan_path([fallen], previously_mastered=frozenset({A}), config=CONFIG).mastered == set()


def test_recent_answers_show_mastery_the_rating_has_not_caught_up_with() -> None:
    # Three right answers in a row: knowledge tracing says known (0.989 >= 0.95).
    lagging = skill(A, 1250.0, attempts=8, correct=6, recent_performances=(0.0, 1.0, 1.0, 1.0))
    assert plan_path([lagging], config=CONFIG).mastered == {A}
    too_few = dataclasses.replace(lagging, attempts=CONFIG.min_evidence - 1)
    assert plan_path([too_few], config=CONFIG).mastered == frozenset()
    slipped = dataclasses.replace(lagging, recent_performances=(1.0, 1.0, 1.0, 0.0))
    assert plan_path([slipped], config=CONFIG).mastered == frozenset()


def test_tracking_rating_follows_answers_that_beat_the_predictions() -> None:
    behind = skill(A, 1200.0, recent_surprise=1.5, recent_information=1.0)
    # c = 400 / ln 10 = 173.7; prior information (c / 50)^2 = 12.07 at the sd floor:
    # 1200 + 173.7 * 1.5 / 13.07 = 1219.9.
    assert tracking_rating(behind, sd=50.0) == pytest.approx(1219.93, abs=0.01)
    assert tracking_rating(skill(A, 1200.0), sd=50.0) == 1200.0


def test_a_mastered_skill_left_alone_comes_back_for_review() -> None:
    old = skill(A, LEVEL + 150.0, attempts=12, correct=11, days_since=120.0)
    path = plan_path([old], config=CONFIG)
    step = path.step(A)
    assert step is not None and step.status == "review_due"
    assert "120 days ago" in step.reason
    assert path.phase == "review"


def test_weak_prerequisite_outside_the_scope_is_remediated_not_hidden() -> None:
    skills = [
        skill(A, 900.0, attempts=8, correct=1, in_scope=False),
        skill(B, 1200.0, prerequisites=(A,), order=0),
    ]
    path = plan_path(skills, config=CONFIG)
    step = path.step(A)
    assert step is not None and step.remediation_for == (B,)
    assert path.focus == A and path.phase == "remediation"


def test_an_untested_prerequisite_of_a_clearly_weak_skill_is_checked() -> None:
    skills = [
        skill(A, 1200.0, uncertainty=1.0, in_scope=False),
        skill(B, 900.0, attempts=10, correct=0, prerequisites=(A,), order=0),
    ]
    path = plan_path(skills, config=CONFIG)
    assert path.focus == A and path.phase == "remediation"


def test_diagnostic_probes_the_highest_undecided_skill_first() -> None:
    # Evidence elsewhere makes the estimate of A, B and C undecided: each is probed once,
    # the one with most below it first.
    undecided = LEVEL - 20.0
    skills = [
        skill(A, undecided, uncertainty=0.5, order=0),
        skill(B, undecided, uncertainty=0.5, prerequisites=(A,), order=1),
        skill(C, undecided, uncertainty=0.5, prerequisites=(B,), order=2),
    ]
    path = plan_path(skills, config=CONFIG)
    assert path.phase == "diagnostic"
    assert path.focus == C


def test_a_mastered_skill_implies_its_unpractised_prerequisites() -> None:
    skills = [
        skill(A, 1100.0, uncertainty=1.0, order=0),
        skill(B, LEVEL + 300.0, attempts=20, correct=19, prerequisites=(A,), order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    step = path.step(A)
    assert step is not None and step.status == "mastered" and step.evidence == "estimated"


def test_everything_mastered_consolidates_the_least_secure_skill() -> None:
    skills = [
        skill(A, LEVEL + 400.0, attempts=20, correct=19, order=0),
        skill(B, LEVEL + 200.0, attempts=20, correct=17, order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    assert path.phase == "consolidation"
    assert path.focus == B
    assert path.expected_questions == 0.0


# --- properties --------------------------------------------------------------------------


ratings = st.floats(min_value=600.0, max_value=2200.0)
unit = st.floats(min_value=0.0, max_value=1.0)


@given(
    rating=ratings,
    uncertainty=unit,
    attempts=st.integers(0, 50),
    recent=st.lists(unit, max_size=10).map(tuple),
)
def test_every_skill_gets_one_status_and_probabilities_stay_in_range(
    rating: float, uncertainty: float, attempts: int, recent: tuple[float, ...]
) -> None:
    skills = [
        skill(A, rating, uncertainty=uncertainty, attempts=attempts, recent_performances=recent),
        skill(B, rating - 100.0, uncertainty=uncertainty, prerequisites=(A,), order=1),
    ]
    path = plan_path(skills, config=CONFIG)
    assert {s.skill_id for s in path.steps} == {A, B}
    for step in path.steps:
        assert step.status in STATUSES
        assert 0.0 <= step.mastery_probability <= 1.0
        assert 0.0 <= step.proficiency <= 1.0
        assert 0.0 <= step.need <= 1.0
        assert step.expected_questions >= 0.0
    assert path.focus in {A, B}
    assert path.practise and path.practise[0] == path.focus


@given(rating=ratings, gain=st.floats(min_value=0.0, max_value=500.0), uncertainty=unit)
def test_a_higher_rating_never_lowers_the_mastery_chance(
    rating: float, gain: float, uncertainty: float
) -> None:
    low = plan_path([skill(A, rating, uncertainty=uncertainty)], config=CONFIG).steps[0]
    high = plan_path([skill(A, rating + gain, uncertainty=uncertainty)], config=CONFIG).steps[0]
    assert high.mastery_probability >= low.mastery_probability


def test_same_input_same_path() -> None:
    skills = [skill(A, 1300.0, attempts=4, correct=2), skill(B, 1250.0, prerequisites=(A,))]
    assert plan_path(skills, config=CONFIG) == plan_path(skills, config=CONFIG)


def test_locks_pass_down_the_chain() -> None:
    skills = [
        skill(A, 900.0, attempts=10, correct=1, order=0),
        skill(B, 1200.0, uncertainty=1.0, prerequisites=(A,), order=1),
        skill(C, 1200.0, uncertainty=1.0, prerequisites=(B,), order=2),
    ]
    path = plan_path(skills, config=CONFIG)
    assert [path.step(s).status for s in (B, C)] == ["locked", "locked"]  # type: ignore[union-attr]
    assert path.focus == A
