"""The in-memory `CatalogView`: the simulator's service state.

Item difficulties and student ratings live in a `MemoryRatingStore`, updated by the
service's own `apply_attempt`; answers are recorded here as the event log would hold them.
Every method answers as `SqlCatalogView` does on the same state, including the scope
over-fetch of the nearest-item search, so `pick_next_item` behaves identically.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState, StudentRatings
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.ports import (
    InvalidInput,
    ItemContext,
    ItemHistory,
    NearestRequest,
    RecentAnswer,
    Scope,
)
from smartpractice.services.rating import AppliedAttempt, apply_attempt
from smartpractice.services.schemas import StoredAttempt
from smartpractice.storage.sql_catalog import SCOPE_OVERFETCH
from smartpractice_lab.simulation.bank import SimBank

__all__ = ["CatalogItem", "MemoryCatalogView", "bank_view", "new_rating_store"]


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """Where an item sits and the skills it tests (what the service's item table holds)."""

    item_id: str
    subject: str
    chapter: str
    topic: str
    skills: tuple[str, ...]

    def in_scope(self, scope: Scope) -> bool:
        return (
            (not scope.subject or self.subject == scope.subject)
            and (not scope.chapter or self.chapter == scope.chapter)
            and (not scope.topic or self.topic == scope.topic)
        )


def new_rating_store(
    initial: Mapping[str, Mapping[str, float]],
    expected_seconds: Mapping[str, float | None],
    *,
    initial_ability: float,
) -> MemoryRatingStore:
    """A `MemoryRatingStore` holding every item at its starting difficulties (Elo points)."""
    store = MemoryRatingStore(initial_ability=initial_ability)
    for item_id, skills in initial.items():
        store.items[item_id] = ItemContext(
            item_id=item_id,
            expected_time_seconds=expected_seconds.get(item_id),
            ratings=ItemRatings(difficulties={s: RatingState(value=d) for s, d in skills.items()}),
        )
    return store


class MemoryCatalogView:
    """A `CatalogView` over dictionaries (mutable: it records answers)."""

    def __init__(
        self,
        items: Iterable[CatalogItem],
        prerequisites: Mapping[str, Sequence[str]],
        store: MemoryRatingStore,
        *,
        skills: Iterable[str] = (),
    ) -> None:
        """Args:
        items: The catalogue, in any order.
        prerequisites: Every skill's prerequisites.
        store: Where the current ratings live (shared with `apply_attempt`).
        skills: Skills known beyond those the items test.
        """
        self.items = {i.item_id: i for i in items}
        self.store = store
        self._prerequisites = {s: list(p) for s, p in prerequisites.items()}
        self._skill_items: dict[str, list[str]] = {}
        for item in self.items.values():
            for skill in item.skills:
                self._skill_items.setdefault(skill, []).append(item.item_id)
        self._known = set(skills) | set(self._skill_items) | set(self._prerequisites)
        self._scope_skills: dict[tuple[str | None, ...], list[str]] = {}
        self._taught: dict[tuple[str | None, ...], list[str]] = {}
        self._scope_items: dict[tuple[str | None, ...], frozenset[str]] = {}
        self._answers: dict[str, list[tuple[str, datetime, float]]] = {}
        self._predicted: dict[str, list[float]] = {}
        self._last: dict[str, dict[str, tuple[datetime, int, int]]] = {}
        # Per skill, caches dropped whenever an answer changes one of its items.
        self._sorted: dict[str, list[tuple[float, str]]] = {}
        self._typical: dict[str, float] = {}
        self._item_skills: dict[str, dict[str, float]] = {}

    # --- writes: what the event log would record -------------------------------------------

    def apply_answer(
        self, attempt: StoredAttempt, *, occurred_at: datetime, config: ModelConfig
    ) -> AppliedAttempt:
        """Apply an answer exactly as the worker does (`apply_attempt`) and record it."""
        applied = apply_attempt(self.store, attempt, occurred_at=occurred_at, config=config)
        self.record_answer(
            attempt.student_id,
            attempt.item_id,
            score=attempt.score,
            occurred_at=occurred_at,
            performance=applied.performance,
            predicted=applied.predicted,
        )
        return applied

    def record_answer(
        self,
        student_id: str,
        item_id: str,
        *,
        score: float,
        occurred_at: datetime,
        performance: float | None = None,
        predicted: float = 0.5,
    ) -> None:
        """Record an answer whose ratings `store` already holds (as the event log would),
        with its credited performance (0-1; default: the score) and the prediction before
        it (0-1)."""
        self._answers.setdefault(student_id, []).append(
            (item_id, occurred_at, score if performance is None else performance)
        )
        self._predicted.setdefault(student_id, []).append(predicted)
        last = self._last.setdefault(student_id, {})
        seen, wins, losses = last.get(item_id, (occurred_at, 0, 0))
        won = score >= 0.5
        last[item_id] = (max(seen, occurred_at), wins + won, losses + (not won))
        self._item_skills.pop(item_id, None)
        for skill_id in self.items[item_id].skills:
            self._sorted.pop(skill_id, None)
            self._typical.pop(skill_id, None)

    def last_answer(self, student_id: str) -> tuple[str, datetime, float, float]:
        """The student's last recorded answer: item id, time, performance (0-1) and the
        prediction before it (0-1)."""
        item_id, occurred_at, performance = self._answers[student_id][-1]
        return item_id, occurred_at, performance, self._predicted[student_id][-1]

    def answered(self, student_id: str) -> list[str]:
        """Item ids the student answered, oldest first."""
        return [item_id for item_id, _, _ in self._answers.get(student_id, [])]

    # --- CatalogView -----------------------------------------------------------------------

    def _difficulty(self, item_id: str, skill_id: str) -> float:
        return self.store.items[item_id].ratings.difficulties[skill_id].value

    def scope_skills(self, scope: Scope) -> list[str]:
        if scope.skills:
            unknown = [s for s in scope.skills if s not in self._known]
            if unknown:
                raise InvalidInput([{"loc": ["skills"], "msg": f"unknown skills {unknown}"}])
            return list(scope.skills)
        key = (scope.subject, scope.chapter, scope.topic)
        found = self._scope_skills.get(key)
        if found is None:
            found = sorted({s for i in self.items.values() if i.in_scope(scope) for s in i.skills})
            self._scope_skills[key] = found
        return found

    def taught_skills(self, scope: Scope) -> list[str]:
        if scope.skills:
            return self.scope_skills(scope)
        key = (scope.subject, scope.chapter, scope.topic)
        found = self._taught.get(key)
        if found is None:
            found = sorted(
                {
                    i.skills[0]
                    for i in self.items.values()
                    if len(i.skills) == 1 and i.in_scope(scope)
                }
            )
            self._taught[key] = found
        return found

    def _in_scope(self, scope: Scope) -> frozenset[str] | None:
        """The item ids of a subject/chapter/topic scope; None when it has no such filter."""
        if not (scope.subject or scope.chapter or scope.topic):
            return None
        key = (scope.subject, scope.chapter, scope.topic)
        found = self._scope_items.get(key)
        if found is None:
            found = frozenset(i.item_id for i in self.items.values() if i.in_scope(scope))
            self._scope_items[key] = found
        return found

    def _by_difficulty(self, skill_id: str) -> list[tuple[float, str]]:
        found = self._sorted.get(skill_id)
        if found is None:
            found = sorted(
                (self._difficulty(i, skill_id), i) for i in self._skill_items.get(skill_id, ())
            )
            self._sorted[skill_id] = found
        return found

    def nearest_items(self, requests: Sequence[NearestRequest]) -> list[list[str]]:
        answers = []
        for request in requests:
            target, window, limit = request.target, request.window, request.limit
            ranked = self._by_difficulty(request.skill_id)
            split = bisect_left(ranked, (target, ""))
            fetch = limit * SCOPE_OVERFETCH
            # Walk away from the target on each side, as the two index scans do.
            above = ranked[split : split + fetch]
            below = ranked[max(split - fetch, 0) : split][::-1]
            if window is not None:
                above = [r for r in above if r[0] <= target + window]
                below = [r for r in below if r[0] >= target - window]
            rows: list[tuple[float, str]] = []
            members = self._in_scope(request.scope)
            for side in (above, below):
                kept = side if members is None else [r for r in side if r[1] in members]
                rows += [(abs(d - target), item_id) for d, item_id in kept[:limit]]
            answers.append([item_id for _, item_id in sorted(rows)[:limit]])
        return answers

    def item_skills(self, item_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        found = {}
        for item_id in item_ids:
            skills = self._item_skills.get(item_id)
            if skills is None:
                context = self.store.items.get(item_id)
                if context is None:
                    continue
                skills = {s: r.value for s, r in sorted(context.ratings.difficulties.items())}
                self._item_skills[item_id] = skills
            # A copy: callers may keep or change it; the cache must stay as the store is.
            found[item_id] = dict(skills)
        return found

    def typical_difficulties(self, skill_ids: set[str]) -> dict[str, float]:
        typical = {}
        for skill_id in skill_ids:
            value = self._typical.get(skill_id)
            if value is None:
                ids = self._skill_items.get(skill_id)
                if not ids:
                    continue
                value = sum(self._difficulty(i, skill_id) for i in ids) / len(ids)
                self._typical[skill_id] = value
            typical[skill_id] = value
        return typical

    def prerequisites(self) -> Mapping[str, Sequence[str]]:
        return self._prerequisites

    def student_ratings(self, student_id: str) -> StudentRatings | None:
        return self.store.students.get(student_id)

    def recent_difficulties(self, student_id: str, *, window: int) -> dict[str, float]:
        totals: dict[str, list[float]] = {}
        for item_id, _, _ in self._answers.get(student_id, [])[-window:] if window > 0 else []:
            for skill_id, rating in self.store.items[item_id].ratings.difficulties.items():
                totals.setdefault(skill_id, []).append(rating.value)
        return {skill_id: sum(v) / len(v) for skill_id, v in totals.items()}

    def recent_answers(self, student_id: str, *, window: int) -> list[RecentAnswer]:
        if window <= 0:
            return []
        answers = self._answers.get(student_id, [])[-window:]
        predicted = self._predicted.get(student_id, [])[-window:]
        return [
            RecentAnswer(item_id, tuple(sorted(self.items[item_id].skills)), performance, p)
            for (item_id, _, performance), p in zip(
                reversed(answers), reversed(predicted), strict=True
            )
        ]

    def history(self, student_id: str, item_ids: Sequence[str], *, now: datetime) -> ItemHistory:
        last = self._last.get(student_id, {})
        hours: dict[str, float] = {}
        outcomes: dict[str, tuple[int, int]] = {}
        for item_id in item_ids:
            found = last.get(item_id)
            if found is not None:
                seen, wins, losses = found
                hours[item_id] = max(0.0, (now - seen).total_seconds() / 3600.0)
                outcomes[item_id] = (wins, losses)
        return hours, outcomes


def bank_view(bank: SimBank, *, initial_ability: float) -> MemoryCatalogView:
    """A fresh service state for a simulated bank: every item at its label difficulties,
    no student seen yet (the service right after importing the bank)."""
    store = new_rating_store(
        {i.item_id: i.label_difficulties for i in bank.items.values()},
        {i.item_id: i.expected_time_seconds for i in bank.items.values()},
        initial_ability=initial_ability,
    )
    items = [
        CatalogItem(i.item_id, i.subject, i.chapter, i.topic, tuple(i.label_difficulties))
        for i in bank.items.values()
    ]
    return MemoryCatalogView(items, bank.prerequisites, store, skills=bank.prerequisites)
