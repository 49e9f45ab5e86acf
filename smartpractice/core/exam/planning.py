"""Exam mode: which skill to practise now, ranked by the marks it is worth before the exam.

The value of one practice question on a skill, in expected marks on the exam paper:

* the marks that ride on the skill: for every weight of the blueprint on the skill's
  chapter or topic, its marks times the skill's share of that place's questions, times
  ``(correct - wrong) / correct`` (turning a wrong answer into a right one is worth the
  penalty avoided too: 1.25 marks per mark under ``+4 / -1``);
* times the gain in success at the exam: success on the skill's typical item is the Elo
  chance (`expected_success`) times the share still held on the exam day (`retention`, the
  learning path's forgetting curve). One question now raises the rating by the path's
  `rating_gain_per_question` (learning) and restarts the forgetting clock with one more
  success (review): ``P(r + g) R_now - P(r) R_later``, ``R_now`` the retention from today
  to the exam with one more success, ``R_later`` without practice since the last answer.
  It splits exactly into ``(P(r + g) - P(r)) R_now`` (learning) plus
  ``P(r) (R_now - R_later)`` (review), so spaced review of what would be forgotten by the
  exam date and new learning compete on one scale;
* divided by the minutes one practice question takes.

The success gain is valued as if attempted (the linear value of knowledge): a skill below
the break-even is worth practising although its questions would be skipped today, because
practice accumulates past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from smartpractice.core.config import PathConfig
from smartpractice.core.exam.blueprint import Blueprint
from smartpractice.core.practice.mastery import retention
from smartpractice.core.rating.elo import expected_success

__all__ = ["ExamSkill", "PracticeValue", "days_to_exam", "practice_value", "rank_exam_practice"]


@dataclass(frozen=True, slots=True)
class ExamSkill:
    """A skill the exam tests, as exam mode sees it.

    Attributes:
        skill_id: The skill.
        place: The blueprint's chapter or topic key it belongs to.
        share: Share (0-1) of that place's questions that test it.
        rating: The student's rating on it (Elo points; the path's estimate if estimated).
        typical_difficulty: Mean difficulty of its items (Elo points).
        correct: The student's successes on it (spaces out forgetting).
        days_since: Days since it was last practised; None if never.
        minutes_per_question: Minutes one practice question on it takes (> 0).
    """

    skill_id: str
    place: str
    share: float
    rating: float
    typical_difficulty: float
    correct: int = 0
    days_since: float | None = None
    minutes_per_question: float = 2.0


@dataclass(frozen=True, slots=True)
class PracticeValue:
    """What one more practice question on a skill is worth before the exam.

    Attributes:
        skill_id: The skill.
        marks_per_hour: Expected exam marks gained per hour of practising it (>= 0).
        learning: The part from the rating gain (marks per hour).
        review: The part from holding it until the exam day (marks per hour).
        paper_share: Share (0-1) of the paper's marks that ride on it.
        proficiency: Predicted success (0-1) on its typical item today.
        explanation: One sentence for the student, with these numbers.
    """

    skill_id: str
    marks_per_hour: float
    learning: float
    review: float
    paper_share: float
    proficiency: float
    explanation: str


def days_to_exam(blueprint: Blueprint, *, today: date) -> int:
    """Days (>= 0) from `today` to the exam.

    Raises:
        ValueError: The exam date is in the past.
    """
    days = (blueprint.exam_date - today).days
    if days < 0:
        raise ValueError(
            f"exam_date: {blueprint.exam_date.isoformat()} is in the past "
            f"(today is {today.isoformat()})"
        )
    return days


def _marks_on(blueprint: Blueprint, skill: ExamSkill) -> tuple[float, float]:
    """The marks (maximum) that ride on the skill, and the marks one unit of success on
    them is worth (with the wrong-answer penalty avoided)."""
    marks = value = 0.0
    for section, weight in blueprint.weights():
        if weight.place == skill.place:
            scheme = section.marking
            marks += weight.marks * skill.share
            value += weight.marks * skill.share * (scheme.correct - scheme.wrong) / scheme.correct
    return marks, value


def practice_value(
    skill: ExamSkill, *, blueprint: Blueprint, today: date, config: PathConfig, scale: float = 400.0
) -> PracticeValue:
    """Expected exam marks per hour of practising `skill` now (see the module docstring).

    Args:
        skill: The skill and the student's state on it.
        blueprint: The exam's blueprint.
        today: The current day (the exam must not be in the past).
        config: Path constants (`rating_gain_per_question`, `review_half_life_days`).
        scale: Elo scale (Elo points for 10:1 odds).
    """
    days = days_to_exam(blueprint, today=today)
    if not skill.minutes_per_question > 0:
        raise ValueError(f"{skill.skill_id}: minutes_per_question must be positive")
    now = expected_success(rating=skill.rating, difficulty=skill.typical_difficulty, scale=scale)
    after = expected_success(
        rating=skill.rating + config.rating_gain_per_question,
        difficulty=skill.typical_difficulty,
        scale=scale,
    )
    held_now = retention(
        days_since=float(days),
        correct=skill.correct + 1,
        half_life_days=config.review_half_life_days,
    )
    # A skill never practised has no memory of its own to lose: no review value.
    held_later = (
        held_now
        if skill.days_since is None
        else retention(
            days_since=skill.days_since + days,
            correct=skill.correct,
            half_life_days=config.review_half_life_days,
        )
    )
    marks, value = _marks_on(blueprint, skill)
    per_hour = value * 60.0 / skill.minutes_per_question
    learning = (after - now) * held_now * per_hour
    review = now * max(held_now - held_later, 0.0) * per_hour
    total = learning + review
    share = marks / blueprint.total_marks
    explanation = (
        f"worth about {total:.1f} expected marks per hour: "
        f"{share:.0%} of the paper, proficiency {now:.0%}"
    )
    if review > learning and skill.days_since is not None:
        explanation += f"; review: last practised {skill.days_since:.0f} days ago"
    return PracticeValue(
        skill_id=skill.skill_id,
        marks_per_hour=total,
        learning=learning,
        review=review,
        paper_share=share,
        proficiency=now,
        explanation=explanation,
    )


def rank_exam_practice(
    skills: Sequence[ExamSkill],
    *,
    blueprint: Blueprint,
    today: date,
    config: PathConfig,
    scale: float = 400.0,
) -> tuple[PracticeValue, ...]:
    """The skills ranked by expected exam marks per hour of practice, the most first
    (ties: input order, which the caller sets, e.g. textbook order)."""
    values = [
        practice_value(s, blueprint=blueprint, today=today, config=config, scale=scale)
        for s in skills
    ]
    return tuple(sorted(values, key=lambda v: -v.marks_per_hour))
