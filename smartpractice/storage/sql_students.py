"""The database's `StudentStore`: a student's ratings and applied answers, and the
catalogue facts the profile judges them against."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from smartpractice.core.practice.profile import AttemptRecord, TopicKey
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.storage.catalog_queries import (
    prerequisite_map,
    skill_names,
    typical_difficulties,
)
from smartpractice.storage.models import Event, Item, ItemSkill, Student, StudentSkill

__all__ = ["SqlStudentStore", "load_student_ratings"]


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


class SqlStudentStore:
    """`StudentStore` on a session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def version(self, student_id: str) -> int | None:
        found = self.session.scalar(
            select(Student.attempts).where(Student.student_id == student_id)
        )
        return None if found is None else int(found)

    def ratings(self, student_id: str) -> StudentRatings | None:
        return load_student_ratings(self.session, student_id)

    def typical_difficulties(self, skill_ids: Iterable[str]) -> dict[str, float]:
        return typical_difficulties(self.session, skill_ids)

    def skill_names(self, skill_ids: Iterable[str]) -> dict[str, str]:
        return skill_names(self.session, skill_ids)

    def prerequisites(self) -> dict[str, list[str]]:
        return prerequisite_map(self.session)

    def applied_attempts(self, student_id: str) -> list[AttemptRecord]:
        rows = self.session.execute(
            select(Event, Item.subject, Item.chapter, Item.topic)
            .join(Item, Item.item_id == Event.item_id)
            .where(Event.student_id == student_id, Event.status == "applied")
        ).all()
        return [
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

    def topic_skills(self, topics: Iterable[TopicKey]) -> dict[TopicKey, list[str]]:
        wanted = [(t.subject, t.chapter, t.topic) for t in topics]
        found: dict[TopicKey, list[str]] = {}
        if not wanted:
            return found
        for subject, chapter, topic, skill_id in self.session.execute(
            select(Item.subject, Item.chapter, Item.topic, ItemSkill.skill_id)
            .distinct()
            .join(ItemSkill, ItemSkill.item_id == Item.item_id)
            .where(tuple_(Item.subject, Item.chapter, Item.topic).in_(wanted))
            .order_by(ItemSkill.skill_id)
        ):
            found.setdefault(TopicKey(subject, chapter, topic), []).append(skill_id)
        return found
