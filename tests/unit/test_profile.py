"""Unit tests for `core.practice.profile`: proficiency, trend and the nested profile."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.core.config import EloConfig, EvidenceConfig, PathConfig, ProfileConfig
from smartpractice.core.practice.profile import (
    AttemptRecord,
    TopicKey,
    build_knowledge_profile,
    confidence_trend,
    skill_proficiency,
)
from smartpractice.core.rating.elo import skill_rating, update_skill_ratings
from smartpractice.core.rating.evidence import attempt_to_skill_evidence
from smartpractice.core.types import GradedAttempt, ItemRatings, RatingState, StudentRatings

ELO = EloConfig()
PROFILE = ProfileConfig()
NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
LINEAR = TopicKey("Mathematics", "Algebra", "Linear equations")
MOTION = TopicKey("Science", "Physics", "Motion")
UNTOUCHED = TopicKey("Mathematics", "Geometry", "Triangles")

TOPIC_KEYS = {
    "overall_proficiency",
    "last_assessed",
    "confidence_trend",
    "skills",
    "interaction_metrics",
    "identified_misconceptions",
}
SKILL_KEYS = {
    "skill_id",
    "name",
    "status",
    "proficiency",
    "rating",
    "uncertainty",
    "questions_attempted",
    "correct",
}
METRIC_KEYS = {
    "total_questions_answered",
    "average_time_spent_seconds",
    "average_attempts_per_question",
    "hints_used_count",
    "solutions_viewed_count",
}


def record(
    minutes_ago: float,
    *,
    predicted: float = 0.5,
    performance: float = 0.5,
    topic: TopicKey = LINEAR,
    **fields: Any,
) -> AttemptRecord:
    return AttemptRecord(
        topic=topic,
        occurred_at=NOW - timedelta(minutes=minutes_ago),
        predicted=predicted,
        performance=performance,
        **fields,
    )


# --- proficiency ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ability", "offset", "typical", "expected"),
    [
        (1200.0, None, 1200.0, 0.5),  # unpractised skill at the typical difficulty
        (1200.0, 400.0, 1200.0, 10.0 / 11.0),  # 400 points above typical: 10:1 odds
        (1200.0, -400.0, 1200.0, 1.0 / 11.0),  # 400 points below: 1:10
        (1000.0, 200.0, 1600.0, 1.0 / 11.0),  # rating 1200 against typical 1600
    ],
)
def test_skill_proficiency_table(
    ability: float, offset: float | None, typical: float, expected: float
) -> None:
    student = StudentRatings(
        ability=RatingState(value=ability),
        offsets={} if offset is None else {"algebra": RatingState(value=offset)},
    )
    proficiency = skill_proficiency(student, "algebra", typical_difficulty=typical, config=ELO)
    assert proficiency == pytest.approx(expected)


def test_fifteen_failures_lower_one_skill_and_barely_touch_another() -> None:
    # Product acceptance criterion: a fresh student fails 15 fresh items at 1200 on
    # fractions (graded attempts with score 0, through the evidence step). Fractions
    # proficiency against a typical 1200 falls below 0.4; an unrelated skill (geometry)
    # moves by at most a fifth of the fractions drop (only the 15% global share reaches it).
    student = StudentRatings(ability=RatingState(value=ELO.initial_student_rating))
    fractions_before = skill_rating(student, "fractions", config=ELO)
    geometry_before = skill_rating(student, "geometry", config=ELO)
    for minute in range(15):
        evidence = attempt_to_skill_evidence(
            GradedAttempt(score=0.0),
            skills=["fractions"],
            expected_time_seconds=None,
            config=EvidenceConfig(),
        )
        student = update_skill_ratings(
            student=student,
            item=ItemRatings({"fractions": RatingState(value=1200.0)}),
            evidence=evidence,
            now=NOW + timedelta(minutes=minute),
            config=ELO,
        ).student
    proficiency = skill_proficiency(student, "fractions", typical_difficulty=1200.0, config=ELO)
    assert proficiency < 0.4
    fractions_drop = fractions_before - skill_rating(student, "fractions", config=ELO)
    geometry_move = abs(skill_rating(student, "geometry", config=ELO) - geometry_before)
    assert fractions_drop > 0.0
    assert geometry_move <= fractions_drop / 5.0


# --- confidence trend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("residuals", "trend"),
    [
        ([], "stable"),  # nothing to go on
        ([0.0, 0.0, 0.0], "stable"),  # exactly as predicted
        ([0.05, 0.05], "stable"),  # inside the +/- 0.08 band
        ([0.2, 0.1, 0.3], "improving"),  # beating predictions: rating still rising
        ([-0.2, -0.1, -0.3], "declining"),  # falling short: rating still falling
        ([0.5, -0.5, 0.1], "stable"),  # mean residual 0.033
        # Only the 10 most recent count: 5 old declines are outside the window.
        ([-0.9] * 5 + [0.1] * 10, "improving"),
    ],
)
def test_confidence_trend_table(residuals: list[float], trend: str) -> None:
    # Listed oldest first; stored newest first to check the trend sorts by time itself.
    records = [
        record(len(residuals) - i, predicted=0.4, performance=0.4 + r)
        for i, r in enumerate(residuals)
    ][::-1]
    assert confidence_trend(records, config=PROFILE) == trend


@given(
    residuals=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0)),
        max_size=25,
    )
)
@settings(max_examples=100, deadline=None)
def test_confidence_trend_follows_recent_residuals(residuals: list[tuple[float, float]]) -> None:
    records = [
        record(len(residuals) - i, predicted=p, performance=a) for i, (p, a) in enumerate(residuals)
    ]
    trend = confidence_trend(records, config=PROFILE)
    recent = residuals[-PROFILE.trend_window :]
    mean = sum(a - p for p, a in recent) / len(recent) if recent else 0.0
    if mean > PROFILE.trend_threshold:
        assert trend == "improving"
    elif mean < -PROFILE.trend_threshold:
        assert trend == "declining"
    else:
        assert trend == "stable"


# --- the nested profile ------------------------------------------------------------------


def sample_profile() -> dict[str, Any]:
    student = StudentRatings(
        ability=RatingState(value=1200.0, attempts=6),
        offsets={
            "algebra": RatingState(
                value=200.0, attempts=5, correct=4, last_at=NOW - timedelta(days=10)
            ),
            "kinematics": RatingState(value=-100.0, attempts=1, correct=0, last_at=NOW),
        },
    )
    attempts = [
        record(
            30,
            predicted=0.4,
            performance=0.9,
            time_spent_seconds=40.0,
            attempts=1,
        ),
        record(20, predicted=0.5, performance=1.0, attempts=3, hints_used=2),
        record(
            10,
            predicted=0.5,
            performance=0.8,
            time_spent_seconds=80.0,
            attempts=2,
            hints_used=1,
            solution_viewed=True,
        ),
        record(5, topic=MOTION, predicted=0.6, performance=0.0),
    ]
    return build_knowledge_profile(
        student,
        attempts=attempts,
        topic_skills={
            LINEAR: ["algebra", "fractions"],
            MOTION: ["kinematics"],
            UNTOUCHED: ["geometry"],
        },
        skill_names={"algebra": "Solving linear equations", "kinematics": "Kinematics"},
        typical_difficulty={"algebra": 1000.0, "kinematics": 1100.0},
        now=NOW,
        elo=ELO,
        profile=PROFILE,
        # Recognised in tutor chats, per skill; a topic lists those of its skills.
        misconceptions={
            "algebra": [{"misconception_id": "distributing"}, {"misconception_id": "sign error"}],
            "geometry": [{"misconception_id": "angle sum"}],
        },
    )


def test_profile_has_exactly_the_nested_shape() -> None:
    tree = sample_profile()
    # Only attempted topics appear: subject -> chapter -> topic.
    assert tree.keys() == {"Mathematics", "Science"}
    assert tree["Mathematics"].keys() == {"Algebra"}
    assert tree["Mathematics"]["Algebra"].keys() == {"Linear equations"}
    assert tree["Science"]["Physics"].keys() == {"Motion"}
    for topic in (
        tree["Mathematics"]["Algebra"]["Linear equations"],
        tree["Science"]["Physics"]["Motion"],
    ):
        assert topic.keys() == TOPIC_KEYS
        assert topic["confidence_trend"] in {"improving", "declining", "stable"}
        assert topic["interaction_metrics"].keys() == METRIC_KEYS
        assert isinstance(topic["identified_misconceptions"], list)
        assert isinstance(topic["last_assessed"], datetime)
        for skill_id, skill in topic["skills"].items():
            assert skill.keys() == SKILL_KEYS
            assert skill["skill_id"] == skill_id
            # Assessed with at least three answers of its own, else estimated.
            own = skill["questions_attempted"] >= PathConfig().min_evidence
            assert skill["status"] == ("assessed" if own else "estimated")
            assert 0.0 <= skill["proficiency"] <= 1.0
            assert 0.0 < skill["uncertainty"] <= 1.0
        assert 0.0 <= topic["overall_proficiency"] <= 1.0


def test_profile_values_match_hand_computation() -> None:
    topic = sample_profile()["Mathematics"]["Algebra"]["Linear equations"]
    algebra = topic["skills"]["algebra"]
    fractions = topic["skills"]["fractions"]
    # algebra: rating 1200 + 200 + 60 ln(1 + 4 successes) (the practice gain the model
    # predicts with) = 1496.57 against typical 1000;
    # uncertainty 1 / (1 + 0.08 * 5) + 0.004 * 10 days = 0.7143 + 0.04.
    algebra_rating = 1400.0 + 60.0 * math.log(5.0)
    algebra_proficiency = 1.0 / (1.0 + 10.0 ** ((1000.0 - algebra_rating) / 400.0))
    assert algebra == {
        "skill_id": "algebra",
        "name": "Solving linear equations",
        "status": "assessed",
        "proficiency": pytest.approx(algebra_proficiency),
        "rating": pytest.approx(algebra_rating),
        "uncertainty": pytest.approx(1.0 / 1.4 + 0.04),
        "questions_attempted": 5,
        "correct": 4,
    }
    # fractions: never practised, no name, no typical difficulty -> 1200 vs 1200; estimated,
    # and with no related skill (ids without shared segments, no prerequisites) the
    # estimate is the ability alone.
    assert fractions == {
        "skill_id": "fractions",
        "name": "fractions",
        "status": "estimated",
        "proficiency": pytest.approx(0.5),
        "rating": pytest.approx(1200.0),
        "uncertainty": 1.0,
        "questions_attempted": 0,
        "correct": 0,
    }
    assert topic["overall_proficiency"] == pytest.approx((algebra_proficiency + 0.5) / 2.0)
    assert topic["last_assessed"] == NOW - timedelta(minutes=10)
    # Residuals 0.5, 0.5, 0.3: mean 0.433 > 0.08.
    assert topic["confidence_trend"] == "improving"
    assert topic["interaction_metrics"] == {
        "total_questions_answered": 3,
        "average_time_spent_seconds": pytest.approx(60.0),  # (40 + 80) / 2 timed attempts
        "average_attempts_per_question": pytest.approx(2.0),  # (1 + 3 + 2) / 3
        "hints_used_count": 3,
        "solutions_viewed_count": 1,
    }
    assert [m["misconception_id"] for m in topic["identified_misconceptions"]] == [
        "distributing",
        "sign error",
    ]

    motion = sample_profile()["Science"]["Physics"]["Motion"]
    # One attempt at 0.0 against a prediction of 0.6: residual -0.6.
    assert motion["confidence_trend"] == "declining"
    assert motion["interaction_metrics"]["average_time_spent_seconds"] is None
    assert motion["identified_misconceptions"] == []
    # kinematics: 1200 - 100 = 1100 vs typical 1100.
    assert motion["skills"]["kinematics"]["proficiency"] == pytest.approx(0.5)


def test_profile_without_attempts_is_empty() -> None:
    student = StudentRatings(ability=RatingState(value=1200.0))
    profile = build_knowledge_profile(
        student,
        attempts=[],
        topic_skills={LINEAR: ["algebra"]},
        skill_names={},
        typical_difficulty={},
        now=NOW,
        elo=ELO,
        profile=PROFILE,
    )
    assert profile == {}


def test_topic_with_unknown_skills_has_no_overall_proficiency() -> None:
    student = StudentRatings(ability=RatingState(value=1200.0))
    profile = build_knowledge_profile(
        student,
        attempts=[record(1)],
        topic_skills={},
        skill_names={},
        typical_difficulty={},
        now=NOW,
        elo=ELO,
        profile=PROFILE,
    )
    topic = profile["Mathematics"]["Algebra"]["Linear equations"]
    assert topic["skills"] == {}
    assert topic["overall_proficiency"] is None


def test_an_unpractised_skill_follows_the_evidence_on_its_topic() -> None:
    """A skill with no answers of its own is estimated from related skills (same topic in
    its id), not from the global ability alone; a skill with its own answers is not."""
    student = StudentRatings(
        ability=RatingState(value=1200.0, attempts=10),
        offsets={
            "math:algebra:linear:transpose": RatingState(
                value=-300.0, attempts=10, correct=1, last_at=NOW
            )
        },
    )
    tree = build_knowledge_profile(
        student,
        attempts=[record(5)],
        topic_skills={LINEAR: ["math:algebra:linear:transpose", "math:algebra:linear:both_sides"]},
        skill_names={},
        typical_difficulty={},
        now=NOW,
        elo=EloConfig(),
        profile=ProfileConfig(),
    )
    skills = tree["Mathematics"]["Algebra"]["Linear equations"]["skills"]
    unpractised = skills["math:algebra:linear:both_sides"]
    assert unpractised["status"] == "estimated"
    assert unpractised["rating"] < 1200.0 - 100.0
    assert skills["math:algebra:linear:transpose"]["status"] == "assessed"
