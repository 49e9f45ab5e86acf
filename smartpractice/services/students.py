"""What a student knows: ratings per skill and the knowledge profile."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.profile import (
    AttemptRecord,
    TopicKey,
    build_knowledge_profile,
    skill_proficiency,
)
from smartpractice.core.rating.elo import skill_rating, skill_uncertainty
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.catalog import prerequisite_map
from smartpractice.services.ports import NotFound
from smartpractice.services.tutoring import student_misconceptions
from smartpractice.storage.models import Event, Item, ItemSkill, Skill, Student, StudentSkill
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = [
    "knowledge_profile",
    "load_student_ratings",
    "student_skills",
    "student_version",
    "typical_difficulties",
]


def student_version(session: Session, student_id: str) -> int | None:
    """How many attempts have been applied to the student (None if never seen): any
    change of the student's state changes it."""
    found = session.scalar(select(Student.attempts).where(Student.student_id == student_id))
    return None if found is None else int(found)


def load_student_ratings(session: Session, student_id: str) -> StudentRatings | None:
    """All of a student's ratings, or None for a student never seen."""
    student = session.get(Student, student_id)
    if student is None:
        return None
    rows = session.scalars(select(StudentSkill).where(StudentSkill.student_id == student_id))
    return StudentRatings(
        ability=RatingState(
            value=student.ability,
            attempts=student.attempts,
            correct=student.correct,
            last_at=student.last_at,
        ),
        offsets={
            r.skill_id: RatingState(
                value=r.offset, attempts=r.attempts, correct=r.correct, last_at=r.last_at
            )
            for r in rows
        },
    )


def _skill_names(session: Session, skill_ids: Iterable[str]) -> dict[str, str]:
    query = select(Skill.skill_id, Skill.name).where(Skill.skill_id.in_(list(skill_ids)))
    return {skill_id: name for skill_id, name in session.execute(query)}


def typical_difficulties(session: Session, skill_ids: Iterable[str] | None) -> dict[str, float]:
    """Mean current difficulty (Elo points) of the items testing each skill (None: of every
    skill that has items)."""
    query = select(ItemSkill.skill_id, func.avg(ItemSkill.difficulty)).group_by(ItemSkill.skill_id)
    if skill_ids is not None:
        ids = list(set(skill_ids))
        if not ids:
            return {}
        query = query.where(ItemSkill.skill_id.in_(ids))
    return {skill_id: float(mean) for skill_id, mean in session.execute(query)}


def student_skills(
    session: Session, student_id: str, *, config: ModelConfig, now: datetime
) -> dict[str, Any]:
    """Ability and every practised skill's rating, uncertainty, proficiency and counts.

    Raises:
        NotFound: the student has no applied attempt yet.
    """
    ratings = load_student_ratings(session, student_id)
    if ratings is None:
        raise NotFound(f"student {student_id!r}")
    typical = typical_difficulties(session, ratings.offsets)
    names = _skill_names(session, ratings.offsets)
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
    session: Session, student_id: str, *, config: ModelConfig, now: datetime
) -> dict[str, Any]:
    """The knowledge profile (subject > chapter > topic) of every topic the student has
    practised.

    Raises:
        NotFound: the student has no applied attempt yet.
    """
    ratings = load_student_ratings(session, student_id)
    if ratings is None:
        raise NotFound(f"student {student_id!r}")
    rows = session.execute(
        select(Event, Item.subject, Item.chapter, Item.topic)
        .join(Item, Item.item_id == Event.item_id)
        .where(Event.student_id == student_id, Event.status == "applied")
    ).all()
    records = [
        AttemptRecord(
            topic=TopicKey(subject, chapter, topic),
            occurred_at=event.occurred_at,
            predicted=event.predicted if event.predicted is not None else 0.5,
            performance=event.performance if event.performance is not None else 0.0,
            time_spent_seconds=event.payload.get("time_spent_seconds"),
            attempts=event.payload.get("attempts", 1),
            hints_used=event.payload.get("hints_used", 0),
            solution_viewed=bool(event.payload.get("solution_viewed", False)),
        )
        for event, subject, chapter, topic in rows
    ]
    topics = {r.topic for r in records}
    topic_skills: dict[TopicKey, list[str]] = {}
    if topics:
        for subject, chapter, topic, skill_id in session.execute(
            select(Item.subject, Item.chapter, Item.topic, ItemSkill.skill_id)
            .distinct()
            .join(ItemSkill, ItemSkill.item_id == Item.item_id)
            .where(
                tuple_(Item.subject, Item.chapter, Item.topic).in_(
                    [(t.subject, t.chapter, t.topic) for t in topics]
                )
            )
            .order_by(ItemSkill.skill_id)
        ):
            topic_skills.setdefault(TopicKey(subject, chapter, topic), []).append(skill_id)
    all_skills = {s for skills in topic_skills.values() for s in skills}
    names = _skill_names(session, all_skills)
    return {
        "student_id": student_id,
        "generated_at": now,
        "knowledge_profile": build_knowledge_profile(
            ratings,
            attempts=records,
            topic_skills=topic_skills,
            skill_names=names,
            typical_difficulty=typical_difficulties(session, all_skills),
            now=now,
            elo=config.elo,
            profile=config.profile,
            misconceptions=student_misconceptions(SqlTutoringStore(session), student_id),
            prerequisites=prerequisite_map(session),
            path=config.path,
        ),
    }
