"""What a student knows: ratings per skill and the knowledge profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.profile import build_knowledge_profile, skill_proficiency
from smartpractice.core.rating.elo import skill_rating, skill_uncertainty
from smartpractice.services.ports import NotFound, StudentStore

__all__ = [
    "KnowledgeProfile",
    "SkillStanding",
    "StudentSkills",
    "knowledge_profile",
    "student_skills",
]


@dataclass(frozen=True, slots=True)
class SkillStanding:
    """Where a student stands on one practised skill.

    Attributes:
        skill_id: The skill.
        name: Its name (the id when the skill is not in the catalogue).
        rating: The student's rating on it (Elo points).
        uncertainty: 0-1 (1 = no evidence), grown since the last practice.
        proficiency: Predicted success (0-1) on the skill's typical item.
        questions_attempted: Applied attempts on the skill.
        correct: Those answered right.
        last_practiced_at: When it was last practised (None: never).
    """

    skill_id: str
    name: str
    rating: float
    uncertainty: float
    proficiency: float
    questions_attempted: int
    correct: int
    last_practiced_at: datetime | None


@dataclass(frozen=True, slots=True)
class StudentSkills:
    """The student's ability (Elo points), applied attempts and every practised skill."""

    student_id: str
    ability: float
    attempts: int
    skills: list[SkillStanding]


@dataclass(frozen=True, slots=True)
class KnowledgeProfile:
    """The knowledge profile: subject > chapter > topic > the topic's figures (the open
    map `core.practice.profile.build_knowledge_profile` builds), as of `generated_at`."""

    student_id: str
    generated_at: datetime
    knowledge_profile: dict[str, Any]


def student_skills(
    store: StudentStore, student_id: str, *, config: ModelConfig, now: datetime
) -> StudentSkills:
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
    return StudentSkills(
        student_id=student_id,
        ability=ratings.ability.value,
        attempts=ratings.ability.attempts,
        skills=[
            SkillStanding(
                skill_id=skill_id,
                name=names.get(skill_id, skill_id),
                rating=skill_rating(ratings, skill_id, config=elo),
                uncertainty=skill_uncertainty(ratings, skill_id, now=now, config=elo),
                proficiency=skill_proficiency(
                    ratings,
                    skill_id,
                    typical_difficulty=typical.get(skill_id, elo.unlabelled_difficulty),
                    config=elo,
                ),
                questions_attempted=state.attempts,
                correct=state.correct,
                last_practiced_at=state.last_at,
            )
            for skill_id, state in sorted(ratings.offsets.items())
        ],
    )


def knowledge_profile(
    store: StudentStore,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    misconceptions: dict[str, list[dict[str, Any]]],
) -> KnowledgeProfile:
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
    return KnowledgeProfile(
        student_id=student_id,
        generated_at=now,
        knowledge_profile=build_knowledge_profile(
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
    )
