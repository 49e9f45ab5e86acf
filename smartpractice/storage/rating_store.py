"""`RatingStore` on the database: rows locked for the transaction that applies an event."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartpractice.core.elo import AttemptUpdate
from smartpractice.core.types import ItemRatings, RatingState, StudentRatings
from smartpractice.services.rating import ItemContext
from smartpractice.storage.models import Item, ItemSkill, Student, StudentSkill

__all__ = ["SqlRatingStore"]


class SqlRatingStore:
    """Reads and writes ratings through one SQLAlchemy session (the caller commits).

    Rows are read ``FOR UPDATE`` (a no-op on SQLite, whose writers are serialised anyway),
    students before items and items' skills in skill order, so concurrent workers on
    PostgreSQL queue up on a hot item instead of overwriting each other or deadlocking.
    """

    def __init__(self, session: Session, *, initial_ability: float) -> None:
        self.session = session
        self.initial_ability = initial_ability

    def load_item(self, item_id: str) -> ItemContext | None:
        item = self.session.get(Item, item_id)
        if item is None:
            return None
        rows = self.session.scalars(
            select(ItemSkill)
            .where(ItemSkill.item_id == item_id)
            .order_by(ItemSkill.skill_id)
            .with_for_update()
        ).all()
        if not rows:
            return None
        return ItemContext(
            item_id=item_id,
            expected_time_seconds=item.expected_time_seconds,
            ratings=ItemRatings(
                difficulties={
                    r.skill_id: RatingState(
                        value=r.difficulty,
                        attempts=r.attempts,
                        correct=r.correct,
                        last_at=r.last_at,
                    )
                    for r in rows
                }
            ),
        )

    def lock_student(self, student_id: str) -> Student | None:
        return self.session.scalars(
            select(Student).where(Student.student_id == student_id).with_for_update()
        ).one_or_none()

    def load_student(self, student_id: str, skills: Iterable[str]) -> StudentRatings:
        student = self.lock_student(student_id)
        if student is None:
            return StudentRatings(ability=RatingState(value=self.initial_ability))
        rows = self.session.scalars(
            select(StudentSkill).where(
                StudentSkill.student_id == student_id, StudentSkill.skill_id.in_(list(skills))
            )
        ).all()
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

    def save(self, *, student_id: str, item_id: str, update: AttemptUpdate, success: bool) -> None:
        session = self.session
        ability = update.student.ability
        student = session.get(Student, student_id)
        if student is None:
            student = Student(student_id=student_id)
            session.add(student)
        student.ability = ability.value
        student.attempts = ability.attempts
        student.correct = ability.correct
        student.last_at = ability.last_at
        session.flush()
        for skill_id in update.item.difficulties:
            offset = update.student.offsets[skill_id]
            row = session.get(StudentSkill, (student_id, skill_id))
            if row is None:
                row = StudentSkill(student_id=student_id, skill_id=skill_id)
                session.add(row)
            row.offset = offset.value
            row.attempts = offset.attempts
            row.correct = offset.correct
            row.last_at = offset.last_at
        for skill_id, state in update.item.difficulties.items():
            item_row = session.get(ItemSkill, (item_id, skill_id))
            assert item_row is not None
            item_row.difficulty = state.value
            item_row.attempts = state.attempts
            item_row.correct = state.correct
            item_row.last_at = state.last_at
        item = session.get(Item, item_id)
        assert item is not None
        item.attempts += 1
        item.correct += 1 if success else 0
