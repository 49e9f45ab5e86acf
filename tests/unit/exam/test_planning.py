"""Unit tests for `smartpractice.core.exam.planning`: the explanation's golden numbers,
the ranking of chapters by marks per hour, and spaced review before the exam."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.config import PathConfig
from smartpractice.core.exam.planning import (
    ExamSkill,
    days_to_exam,
    practice_value,
    rank_exam_practice,
)
from tests.unit.exam.builders import TODAY, blueprint

CONFIG = PathConfig()
# A 300-mark paper; chapter c1 carries 18 marks (6%), c2 90 marks, c3 9 marks.
PAPER = blueprint(
    (("c1", 5, 18.0), ("c2", 22, 90.0), ("c3", 3, 9.0), ("rest", 45, 183.0)), days_ahead=96
)


def rating_at(proficiency: float, difficulty: float = 1200.0) -> float:
    """The rating whose Elo chance on `difficulty` is `proficiency`."""
    return difficulty + 400.0 * math.log10(proficiency / (1.0 - proficiency))


def test_explanation_golden_numbers() -> None:
    # Proficiency 0.41 (odds 0.6949); 25 Elo points more -> odds 0.8025, success 0.4452:
    # +0.0352. Held on the exam day, 96 days on, after one success:
    # 0.5 ** (96 / (30 * (1 + ln 2))) = 0.2701. Each point of success on the chapter's
    # 18 marks is worth 18 * (4 + 1) / 4 = 22.5 marks; 15 questions an hour (4 minutes):
    # 0.0352 * 0.2701 * 22.5 * 15 = 3.21 marks per hour.
    skill = ExamSkill("s", "c1", 1.0, rating_at(0.41), 1200.0, minutes_per_question=4.0)
    value = practice_value(skill, blueprint=PAPER, today=TODAY, config=CONFIG)
    assert value.marks_per_hour == pytest.approx(3.21, abs=0.01)
    assert value.explanation == (
        "worth about 3.2 expected marks per hour: 6% of the paper, proficiency 41%"
    )
    assert value.review == 0.0  # never practised: nothing of its own to forget


def test_a_heavy_weak_chapter_ranks_above_a_light_mastered_one() -> None:
    heavy_weak = ExamSkill("weak", "c2", 1.0, rating_at(0.35), 1200.0, correct=2, days_since=3.0)
    light_mastered = ExamSkill(
        "mastered", "c3", 1.0, rating_at(0.95), 1200.0, correct=25, days_since=3.0
    )
    ranked = rank_exam_practice(
        [light_mastered, heavy_weak], blueprint=PAPER, today=TODAY, config=CONFIG
    )
    assert [v.skill_id for v in ranked] == ["weak", "mastered"]
    assert ranked[0].marks_per_hour > 5 * ranked[1].marks_per_hour


def test_a_mastered_skill_that_would_fade_by_the_exam_is_worth_a_review() -> None:
    # Mastered long ago: without practice little of it is left on the exam day.
    faded = ExamSkill("faded", "c2", 0.5, rating_at(0.9), 1200.0, correct=3, days_since=60.0)
    fresh = replace(faded, skill_id="fresh", days_since=0.5)
    faded_value = practice_value(faded, blueprint=PAPER, today=TODAY, config=CONFIG)
    fresh_value = practice_value(fresh, blueprint=PAPER, today=TODAY, config=CONFIG)
    assert faded_value.review > faded_value.learning
    assert faded_value.marks_per_hour > fresh_value.marks_per_hour
    assert faded_value.explanation.endswith("; review: last practised 60 days ago")


@given(
    proficiency=st.floats(0.02, 0.98),
    share=st.floats(0.0, 1.0),
    days_since=st.none() | st.floats(0.0, 400.0),
    correct=st.integers(0, 50),
)
def test_practice_is_never_worth_negative_marks(
    proficiency: float, share: float, days_since: float | None, correct: int
) -> None:
    skill = ExamSkill("s", "c2", share, rating_at(proficiency), 1200.0, correct, days_since)
    value = practice_value(skill, blueprint=PAPER, today=TODAY, config=CONFIG)
    assert value.learning >= 0.0
    assert value.review >= 0.0
    assert value.marks_per_hour == pytest.approx(value.learning + value.review)


def test_more_minutes_per_question_means_fewer_marks_per_hour() -> None:
    quick = ExamSkill("s", "c2", 1.0, rating_at(0.5), 1200.0, minutes_per_question=2.0)
    slow = replace(quick, minutes_per_question=4.0)
    assert practice_value(quick, blueprint=PAPER, today=TODAY, config=CONFIG).marks_per_hour == (
        pytest.approx(
            2 * practice_value(slow, blueprint=PAPER, today=TODAY, config=CONFIG).marks_per_hour
        )
    )


def test_an_exam_in_the_past_is_refused() -> None:
    past = blueprint(days_ahead=-1)
    with pytest.raises(ValueError, match="exam_date: 2026-12-06 is in the past"):
        days_to_exam(past, today=TODAY)
    with pytest.raises(ValueError, match="in the past"):
        practice_value(
            ExamSkill("s", "p1", 1.0, 1200.0, 1200.0), blueprint=past, today=TODAY, config=CONFIG
        )
    assert days_to_exam(PAPER, today=TODAY) == 96
