"""Ratings in dictionaries: the `RatingStore` of offline replay, evaluation and simulation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import ItemContext

__all__ = ["MemoryRatingStore"]


@dataclass
class MemoryRatingStore:
    """Ratings in dictionaries: for offline replay, evaluation and simulation."""

    initial_ability: float
    items: dict[str, ItemContext] = field(default_factory=dict)
    students: dict[str, StudentRatings] = field(default_factory=dict)
    item_attempts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def load_item(self, item_id: str) -> ItemContext | None:
        return self.items.get(item_id)

    def load_student(self, student_id: str, skills: Iterable[str]) -> StudentRatings:
        found = self.students.get(student_id)
        if found is None:
            return StudentRatings(ability=RatingState(value=self.initial_ability))
        return found

    def save(self, *, student_id: str, item_id: str, update: AttemptUpdate, success: bool) -> None:
        self.students[student_id] = update.student
        context = self.items[item_id]
        # Positional: this runs once per attempt in evaluate and replay.
        self.items[item_id] = ItemContext(item_id, context.expected_time_seconds, update.item)
        attempts, correct = self.item_attempts.get(item_id, (0, 0))
        self.item_attempts[item_id] = (attempts + 1, correct + (1 if success else 0))
