"""The knowledge profile: subject -> chapter -> topic, each with skills and metrics.

A skill's proficiency is the predicted success (0-1) of the student on the
skill's typical item (the mean difficulty of the items testing it), so it is a probability
on the same scale as every prediction the model makes, not a rescaled rating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.config import EloConfig, PathConfig, ProfileConfig
from smartpractice.core.practice.path import estimated_ratings
from smartpractice.core.rating.elo import expected_success, skill_rating, skill_uncertainty
from smartpractice.core.types import StudentRatings

__all__ = [
    "AttemptRecord",
    "TopicKey",
    "build_knowledge_profile",
    "confidence_trend",
    "skill_proficiency",
]


@dataclass(frozen=True, slots=True)
class TopicKey:
    """Where content sits: subject, chapter, topic."""

    subject: str
    chapter: str
    topic: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One applied attempt as the profile needs it.

    Attributes:
        topic: Where the item sits.
        occurred_at: Event time.
        predicted: The model's predicted success (0-1) before the attempt.
        performance: Mean performance (0-1) over the item's skills.
        time_spent_seconds: Time on the item, if reported.
        attempts: Tries needed (>= 1).
        hints_used: Hints shown.
        solution_viewed: Whether the solution was opened.
    """

    topic: TopicKey
    occurred_at: datetime
    predicted: float
    performance: float
    time_spent_seconds: float | None = None
    attempts: int = 1
    hints_used: int = 0
    solution_viewed: bool = False


def skill_proficiency(
    student: StudentRatings, skill_id: str, *, typical_difficulty: float, config: EloConfig
) -> float:
    """Predicted success (0-1) of the student on a typical item of the skill."""
    return expected_success(
        rating=skill_rating(student, skill_id, config=config),
        difficulty=typical_difficulty,
        scale=config.scale,
    )


def confidence_trend(records: Sequence[AttemptRecord], *, config: ProfileConfig) -> str:
    """`improving`, `declining` or `stable`: do recent results beat the model's predictions?

    Doing better than predicted means the rating is still rising; worse means falling.
    """
    recent = sorted(records, key=lambda r: r.occurred_at)[-config.trend_window :]
    if not recent:
        return "stable"
    residual = sum(r.performance - r.predicted for r in recent) / len(recent)
    if residual > config.trend_threshold:
        return "improving"
    if residual < -config.trend_threshold:
        return "declining"
    return "stable"


def _interaction_metrics(records: Sequence[AttemptRecord]) -> dict[str, Any]:
    timed = [r.time_spent_seconds for r in records if r.time_spent_seconds is not None]
    return {
        "total_questions_answered": len(records),
        "average_time_spent_seconds": (sum(timed) / len(timed)) if timed else None,
        "average_attempts_per_question": (
            sum(r.attempts for r in records) / len(records) if records else None
        ),
        "hints_used_count": sum(r.hints_used for r in records),
        "solutions_viewed_count": sum(1 for r in records if r.solution_viewed),
    }


def build_knowledge_profile(
    student: StudentRatings,
    *,
    attempts: Sequence[AttemptRecord],
    topic_skills: Mapping[TopicKey, Sequence[str]],
    skill_names: Mapping[str, str],
    typical_difficulty: Mapping[str, float],
    now: datetime,
    elo: EloConfig,
    profile: ProfileConfig,
    misconceptions: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    prerequisites: Mapping[str, Sequence[str]] | None = None,
    path: PathConfig | None = None,
) -> dict[str, Any]:
    """The nested profile ``{subject: {chapter: {topic: {...}}}}`` for topics attempted.

    Args:
        student: The student's ratings.
        attempts: The student's applied attempts.
        topic_skills: Skills tested by the items of each topic.
        skill_names: Display name per skill.
        typical_difficulty: Mean item difficulty per skill (Elo points).
        now: Time the profile is built (for uncertainty growth since last practice).
        elo: Elo constants.
        profile: Trend constants.
        misconceptions: Per skill, the misconceptions recognised in the student's tutor
            chats (each a mapping with at least ``misconception_id``); a topic lists those
            of its skills.
        prerequisites: Every skill's prerequisites (for the hierarchical estimate).
        path: Path constants; a skill with fewer than `min_evidence` answers of its own is
            then `estimated` from the student's evidence on related skills, else `assessed`.
    """
    path = path or PathConfig()
    every_skill = sorted({s for skills in topic_skills.values() for s in skills})
    estimates = estimated_ratings(
        student, every_skill, prerequisites=prerequisites or {}, elo=elo, path=path
    )
    by_topic: dict[TopicKey, list[AttemptRecord]] = {}
    for record in attempts:
        by_topic.setdefault(record.topic, []).append(record)
    tree: dict[str, Any] = {}
    for topic in sorted(by_topic, key=lambda t: (t.subject, t.chapter, t.topic)):
        records = by_topic[topic]
        skills: dict[str, Any] = {}
        for skill_id in topic_skills.get(topic, ()):
            offset = student.offsets.get(skill_id)
            rating = skill_rating(student, skill_id, config=elo)
            uncertainty = skill_uncertainty(student, skill_id, now=now, config=elo)
            estimate = estimates.get(skill_id)
            if estimate is not None:
                rating, uncertainty = estimate[0], min(uncertainty, estimate[1])
            skills[skill_id] = {
                "skill_id": skill_id,
                "name": skill_names.get(skill_id, skill_id),
                "status": "estimated" if estimate is not None else "assessed",
                "proficiency": expected_success(
                    rating=rating,
                    difficulty=typical_difficulty.get(skill_id, elo.unlabelled_difficulty),
                    scale=elo.scale,
                ),
                "rating": rating,
                "uncertainty": uncertainty,
                "questions_attempted": offset.attempts if offset else 0,
                "correct": offset.correct if offset else 0,
            }
        proficiencies = [s["proficiency"] for s in skills.values()]
        recognised = [
            dict(entry)
            for skill_id in topic_skills.get(topic, ())
            for entry in (misconceptions or {}).get(skill_id, ())
        ]
        tree.setdefault(topic.subject, {}).setdefault(topic.chapter, {})[topic.topic] = {
            "overall_proficiency": (
                sum(proficiencies) / len(proficiencies) if proficiencies else None
            ),
            "last_assessed": max(r.occurred_at for r in records),
            "confidence_trend": confidence_trend(records, config=profile),
            "skills": skills,
            "interaction_metrics": _interaction_metrics(records),
            "identified_misconceptions": recognised,
        }
    return tree
