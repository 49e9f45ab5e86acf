"""`RatingStore` over the database for a batch of events: load once, apply, write once.

The rows other transactions could change are locked on PostgreSQL before they are read:
the students' rows (id order), then the `items` row of each item (id order), which is
the lock that serialises the transactions changing one item, then the items' skills. A
worker may lock its items with ``SKIP LOCKED`` and leave for later the events of items
another worker holds (`services.events.apply_events`), so two workers never queue on
one hot item. The events are then applied in memory by the very code replay uses, and
the changed rows are written back with one set-based statement per table
(`storage.bulk`), all sent in one round trip.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.types import ItemRatings, RatingState, StudentRatings
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.ports import ItemContext, ReplayRatings
from smartpractice.storage.bulk import BatchWriter, is_one_of, restrict_to_keys
from smartpractice.storage.models import Item, ItemSkill, Student, StudentSkill

__all__ = ["SqlBatchRatingStore", "item_skill_rows", "offset_rows", "student_rows"]


def student_rows(store: ReplayRatings, student_ids: Iterable[str]) -> list[dict[str, Any]]:
    """`students` rows (ability and counts) for these students of the store."""
    return [
        {
            "student_id": sid,
            "ability": state.value,
            "attempts": state.attempts,
            "correct": state.correct,
            "last_at": state.last_at,
        }
        for sid in student_ids
        for state in [store.students[sid].ability]
    ]


def offset_rows(store: ReplayRatings, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
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


def item_skill_rows(store: ReplayRatings, item_ids: Iterable[str]) -> list[dict[str, Any]]:
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


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


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
        """Read (and lock) the students' rows of a batch of (student_id, item_id) answers
        and the (student, skill) offsets those answers touch: two statements whatever the
        batch size, read as plain rows (no ORM objects). The items come separately
        (`lock_items`, then `load_items`) so that a worker can pass over items another
        worker holds."""
        session = self._session()
        dialect = session.get_bind().dialect.name
        students = {(student,) for student, _ in answers}
        student_query = select(
            Student.student_id, Student.ability, Student.attempts, Student.correct, Student.last_at
        )
        for sid, ability, attempts, correct, last_at in session.execute(
            restrict_to_keys(student_query, [Student.student_id], students, dialect=dialect)
            .order_by(Student.student_id)
            .with_for_update(of=_table(Student))
        ):
            self._known_students.add(sid)
            self.students[sid] = StudentRatings(
                ability=RatingState(ability, attempts, correct, last_at)
            )
        # Only the (student, skill) offsets these answers touch are read (loading every
        # offset of every student would grow with what they have practised); the item's
        # skills come from a join, so this read needs no lock.
        offset_query = (
            select(
                StudentSkill.student_id,
                StudentSkill.skill_id,
                StudentSkill.offset,
                StudentSkill.attempts,
                StudentSkill.correct,
                StudentSkill.last_at,
            )
            .distinct()
            .join(ItemSkill, ItemSkill.skill_id == StudentSkill.skill_id)
        )
        offset_query = restrict_to_keys(
            offset_query,
            [StudentSkill.student_id, ItemSkill.item_id],
            set(answers),
            dialect=dialect,
        )
        offsets: dict[str, dict[str, RatingState]] = {}
        for sid, skill_id, offset, attempts, correct, last_at in session.execute(offset_query):
            self._known_offsets.add((sid, skill_id))
            offsets.setdefault(sid, {})[skill_id] = RatingState(offset, attempts, correct, last_at)
        for sid, by_skill in offsets.items():
            self.students[sid] = StudentRatings(
                ability=self.students[sid].ability, offsets=by_skill
            )

    def lock_items(self, item_ids: Collection[str], *, skip_locked: bool) -> set[str]:
        """Lock the `items` row of each item (the one row per item that serialises the
        transactions changing it), in id order; with `skip_locked`, only the items no other
        transaction holds, without waiting. Returns the ids that are now safe to apply:
        the locked ones and those of items that do not exist (their events are rejected).
        On SQLite, whose writers are serialised, every id."""
        session = self._session()
        wanted = set(item_ids)
        if session.get_bind().dialect.name != "postgresql" or not wanted:
            return wanted
        locked = set(
            session.scalars(
                select(Item.item_id)
                .where(is_one_of(Item.item_id, wanted, dialect="postgresql"))
                .order_by(Item.item_id)
                .with_for_update(of=_table(Item), key_share=True, skip_locked=skip_locked)
            )
        )
        if len(locked) == len(wanted):
            return locked
        held_elsewhere = set(
            session.scalars(
                select(Item.item_id).where(
                    is_one_of(Item.item_id, wanted - locked, dialect="postgresql")
                )
            )
        )
        return wanted - held_elsewhere

    def load_items(self, item_ids: Collection[str]) -> None:
        """Read these items' per-skill difficulties (items the caller has locked)."""
        session = self._session()
        dialect = session.get_bind().dialect.name
        difficulties: dict[str, dict[str, RatingState]] = {}
        expected: dict[str, float | None] = {}
        item_query = select(
            ItemSkill.item_id,
            ItemSkill.skill_id,
            ItemSkill.difficulty,
            ItemSkill.attempts,
            ItemSkill.correct,
            ItemSkill.last_at,
            Item.expected_time_seconds,
        ).join(Item, Item.item_id == ItemSkill.item_id)
        # Rows locked too: an offline refit (calibrate) writes them without the items row.
        for item_id, skill_id, difficulty, attempts, correct, last_at, seconds in session.execute(
            restrict_to_keys(
                item_query, [ItemSkill.item_id], {(i,) for i in item_ids}, dialect=dialect
            )
            .order_by(ItemSkill.item_id, ItemSkill.skill_id)
            .with_for_update(of=_table(ItemSkill))
        ):
            difficulties.setdefault(item_id, {})[skill_id] = RatingState(
                difficulty, attempts, correct, last_at
            )
            expected[item_id] = seconds
        for item_id, by_skill in difficulties.items():
            self.items[item_id] = ItemContext(
                item_id=item_id,
                expected_time_seconds=expected[item_id],
                ratings=ItemRatings(difficulties=by_skill),
            )

    def save(self, *, student_id: str, item_id: str, update: AttemptUpdate, success: bool) -> None:
        super().save(student_id=student_id, item_id=item_id, update=update, success=success)
        self._dirty_students.add(student_id)
        self._dirty_offsets.update((student_id, s) for s in update.item.difficulties)
        self._dirty_items.add(item_id)

    def flush(self, writer: BatchWriter) -> None:
        """Queue every changed rating on `writer`, one statement per table and kind;
        items' counters are added, not overwritten, so no other writer's count is lost."""
        students = student_rows(self, sorted(self._dirty_students))
        writer.insert(
            _table(Student), [s for s in students if s["student_id"] not in self._known_students]
        )
        writer.update(
            _table(Student),
            [s for s in students if s["student_id"] in self._known_students],
            keys=["student_id"],
        )
        offsets = offset_rows(self, sorted(self._dirty_offsets))
        writer.insert(
            _table(StudentSkill),
            [o for o in offsets if (o["student_id"], o["skill_id"]) not in self._known_offsets],
        )
        writer.update(
            _table(StudentSkill),
            [o for o in offsets if (o["student_id"], o["skill_id"]) in self._known_offsets],
            keys=["student_id", "skill_id"],
        )
        writer.update(
            _table(ItemSkill),
            item_skill_rows(self, sorted(self._dirty_items)),
            keys=["item_id", "skill_id"],
        )
        writer.update(
            _table(Item),
            [
                {"item_id": item_id, "attempts": a, "correct": c}
                for item_id, (a, c) in sorted(self.item_attempts.items())
            ],
            keys=["item_id"],
            increments={"attempts", "correct"},
        )
        self._known_students |= self._dirty_students
        self._known_offsets |= self._dirty_offsets
        self._dirty_students.clear()
        self._dirty_offsets.clear()
        self._dirty_items.clear()
        self.item_attempts.clear()
