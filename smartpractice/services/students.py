"""What a student knows: ratings per skill and the knowledge profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.profile import build_knowledge_profile, skill_proficiency
from smartpractice.core.rating.elo import skill_rating, skill_uncertainty
from smartpractice.services.ports import NotFound, StudentStore

__all__ = [
    "knowledge_profile",
    "student_skills",
]


def student_skills(
    store: StudentStore, student_id: str, *, config: ModelConfig, now: datetime
) -> dict[str, Any]:
    """Ability and every practised skill's rating, uncertainty, proficiency and counts.

    Raises:
        NotFound: the student has no applied attempt yet.
    """
    ratings = store.ratings(student_id)
    if ratings is None:
        raise NotFound(f"student {student_id!r}")
    typical = store.typical_difficulties(ratings.offsets)
    names = store.skill_names(ratings.offsets)
    elo = config.elo
    return {
        "student_id": student_id,
        "ability": ratings.ability.value,
        "attempts": ratings.ability.attempts,
        "skills": [
            {
                "skill_id": skill_id,
                "name": names.get(skill_id, skill_id),
                "rating": skill_rating(ratings, skill_id, config=elo),
                "uncertainty": skill_uncertainty(ratings, skill_id, now=now, config=elo),
                "proficiency": skill_proficiency(
                    ratings,
                    skill_id,
                    typical_difficulty=typical.get(skill_id, elo.unlabelled_difficulty),
                    config=elo,
                ),
                "questions_attempted": state.attempts,
                "correct": state.correct,
                "last_practiced_at": state.last_at,
            }
            for skill_id, state in sorted(ratings.offsets.items())
        ],
    }


def knowledge_profile(
    store: StudentStore,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    misconceptions: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The knowledge profile (subject > chapter > topic) of every topic the student has
    practised (`misconceptions`: the student's recognised misconceptions per skill).

    Raises:
        NotFound: the student has no applied attempt yet.
    """
    ratings = store.ratings(student_id)
    if ratings is None:
        raise NotFound(f"student {student_id!r}")
    records = store.applied_attempts(student_id)
    topic_skills = store.topic_skills({r.topic for r in records})
    all_skills = {s for skills in topic_skills.values() for s in skills}
    return {
        "student_id": student_id,
        "generated_at": now,
        "knowledge_profile": build_knowledge_profile(
            ratings,
            attempts=records,
            topic_skills=topic_skills,
            skill_names=store.skill_names(all_skills),
            typical_difficulty=store.typical_difficulties(all_skills),
            now=now,
            elo=config.elo,
            profile=config.profile,
            misconceptions=misconceptions,
            prerequisites=store.prerequisites(),
            path=config.path,
        ),
    }
