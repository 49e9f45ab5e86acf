"""`RatingStore` over the database for a batch of events: load once, apply, write once.

The rows every event of the batch touches are read up front, ``FOR UPDATE`` on PostgreSQL
(students in id order, then items' skills in (item, skill) order, the same global order in
every worker, so concurrent workers queue on a hot row instead of deadlocking or losing an
update). The events are then applied in memory by the very code replay uses, and the
changed rows are written back with a few executemany statements.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from smartpractice.core.elo import AttemptUpdate
from smartpractice.core.types import ItemRatings, RatingState, StudentRatings
from smartpractice.services.rating import ItemContext, MemoryRatingStore
from smartpractice.storage.models import Item, ItemSkill, Student, StudentSkill

__all__ = ["SqlBatchRatingStore", "item_skill_rows", "offset_rows", "student_rows"]


def student_rows(store: MemoryRatingStore, student_ids: Iterable[str]) -> list[dict[str, Any]]:
    """`students` rows (ability and counts) for these students of the store."""
    return [
        {
            "student_id": sid,
            "ability": store.students[sid].ability.value,
            "attempts": store.students[sid].ability.attempts,
            "correct": store.students[sid].ability.correct,
            "last_at": store.students[sid].ability.last_at,
        }
        for sid in student_ids
    ]


def offset_rows(store: MemoryRatingStore, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """`student_skills` rows for these (student, skill) pairs of the store."""
    return [
        {
            "student_id": sid,
            "skill_id": skill,
            "offset": state.value,
            "attempts": state.attempts,
            "correct": state.correct,
            "last_at": state.last_at,
        }
        for sid, skill in pairs
        for state in [store.students[sid].offsets[skill]]
    ]


def item_skill_rows(store: MemoryRatingStore, item_ids: Iterable[str]) -> list[dict[str, Any]]:
    """`item_skills` rows (difficulty and counts) for every skill of these items."""
    return [
        {
            "item_id": item_id,
            "skill_id": skill,
            "difficulty": state.value,
            "attempts": state.attempts,
            "correct": state.correct,
            "last_at": state.last_at,
        }
        for item_id in item_ids
        for skill, state in store.items[item_id].ratings.difficulties.items()
    ]


@dataclass
class SqlBatchRatingStore(MemoryRatingStore):
    """A `MemoryRatingStore` filled from, and flushed back to, one SQLAlchemy session."""

    session: Session | None = None
    _known_students: set[str] = field(default_factory=set)
    _known_offsets: set[tuple[str, str]] = field(default_factory=set)
    _dirty_students: set[str] = field(default_factory=set)
    _dirty_offsets: set[tuple[str, str]] = field(default_factory=set)
    _dirty_items: set[str] = field(default_factory=set)

    def _session(self) -> Session:
        assert self.session is not None, "SqlBatchRatingStore needs a session"
        return self.session

    def preload(self, answers: Collection[tuple[str, str]]) -> None:
        """Read (and lock) every row a batch of (student_id, item_id) answers may change."""
        session = self._session()
        students = sorted({student for student, _ in answers})
        items = sorted({item for _, item in answers})
        skills_of: dict[str, list[str]] = {}
        for item_id, skill_id in session.execute(
            select(ItemSkill.item_id, ItemSkill.skill_id).where(ItemSkill.item_id.in_(items))
        ):
            skills_of.setdefault(item_id, []).append(skill_id)
        # Only the (student, skill) offsets these answers touch are read: loading every
        # offset of every student in the batch would grow with what they have practised.
        pairs = sorted({(st, sk) for st, item in answers for sk in skills_of.get(item, [])})
        for row in session.scalars(
            select(Student)
            .where(Student.student_id.in_(students))
            .order_by(Student.student_id)
            .with_for_update()
        ):
            self._known_students.add(row.student_id)
            self.students[row.student_id] = StudentRatings(
                ability=RatingState(row.ability, row.attempts, row.correct, row.last_at)
            )
        offsets: dict[str, dict[str, RatingState]] = {}
        for o in session.scalars(
            select(StudentSkill).where(
                tuple_(StudentSkill.student_id, StudentSkill.skill_id).in_(pairs)
            )
        ):
            self._known_offsets.add((o.student_id, o.skill_id))
            offsets.setdefault(o.student_id, {})[o.skill_id] = RatingState(
                o.offset, o.attempts, o.correct, o.last_at
            )
        for student_id, by_skill in offsets.items():
            self.students[student_id] = StudentRatings(
                ability=self.students[student_id].ability, offsets=by_skill
            )
        expected = {
            item_id: seconds
            for item_id, seconds in session.execute(
                select(Item.item_id, Item.expected_time_seconds).where(Item.item_id.in_(items))
            )
        }
        difficulties: dict[str, dict[str, RatingState]] = {}
        for r in session.scalars(
            select(ItemSkill)
            .where(ItemSkill.item_id.in_(items))
            .order_by(ItemSkill.item_id, ItemSkill.skill_id)
            .with_for_update()
        ):
            difficulties.setdefault(r.item_id, {})[r.skill_id] = RatingState(
                r.difficulty, r.attempts, r.correct, r.last_at
            )
        for item_id, by_skill in difficulties.items():
            self.items[item_id] = ItemContext(
                item_id=item_id,
                expected_time_seconds=expected.get(item_id),
                ratings=ItemRatings(difficulties=by_skill),
            )

    def save(self, *, student_id: str, item_id: str, update: AttemptUpdate, success: bool) -> None:
        super().save(student_id=student_id, item_id=item_id, update=update, success=success)
        self._dirty_students.add(student_id)
        self._dirty_offsets.update((student_id, s) for s in update.item.difficulties)
        self._dirty_items.add(item_id)

    def flush(self) -> None:
        """Write every changed rating back; counters are added, not overwritten."""
        session = self._session()
        students = student_rows(self, sorted(self._dirty_students))
        new_students = [s for s in students if s["student_id"] not in self._known_students]
        if new_students:
            session.execute(insert(Student), new_students)
        old_students = [s for s in students if s["student_id"] in self._known_students]
        if old_students:
            session.execute(update(Student), old_students)
        offsets = offset_rows(self, sorted(self._dirty_offsets))
        new_offsets = [
            o for o in offsets if (o["student_id"], o["skill_id"]) not in self._known_offsets
        ]
        if new_offsets:
            session.execute(insert(StudentSkill), new_offsets)
        old_offsets = [
            o for o in offsets if (o["student_id"], o["skill_id"]) in self._known_offsets
        ]
        if old_offsets:
            session.execute(update(StudentSkill), old_offsets)
        item_skills = item_skill_rows(self, sorted(self._dirty_items))
        if item_skills:
            session.execute(update(ItemSkill), item_skills)
        counts = [
            {"id": item_id, "add_attempts": a, "add_correct": c}
            for item_id, (a, c) in sorted(self.item_attempts.items())
        ]
        if counts:
            items = cast(Table, Item.__table__)
            session.connection().execute(
                update(items)
                .where(items.c.item_id == bindparam("id"))
                .values(
                    attempts=items.c.attempts + bindparam("add_attempts"),
                    correct=items.c.correct + bindparam("add_correct"),
                ),
                counts,
            )
        self._known_students |= self._dirty_students
        self._known_offsets |= self._dirty_offsets
        self._dirty_students.clear()
        self._dirty_offsets.clear()
        self._dirty_items.clear()
        self.item_attempts.clear()
