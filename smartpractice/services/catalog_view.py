"""The seam between Smart Practice and its data: `CatalogView`, and the database's view.

`smartpractice.services.practice.pick_next_item` reads everything through a `CatalogView`:
`SqlCatalogView` here for the service, `smartpractice.simulation.catalog.MemoryCatalogView`
for the simulator. Both answer every question the same way for the same state.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from smartpractice.core.types import StudentRatings
from smartpractice.services.catalog import item_place_conditions, prerequisite_map
from smartpractice.services.errors import InvalidInput
from smartpractice.services.students import load_student_ratings, typical_difficulties
from smartpractice.storage.models import Event, Item, ItemSkill, Skill

__all__ = [
    "SCOPE_OVERFETCH",
    "CatalogView",
    "ItemHistory",
    "NearestRequest",
    "Scope",
    "ScopeSkillsCache",
    "SqlCatalogView",
]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where to practise: any combination of subject, chapter, topic and skills."""

    subject: str | None = None
    chapter: str | None = None
    topic: str | None = None
    skills: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "chapter": self.chapter,
            "topic": self.topic,
            "skills": list(self.skills),
        }


@dataclass(frozen=True, slots=True)
class NearestRequest:
    """Find up to `limit` items of `skill_id` in `scope` whose difficulty is nearest `target`
    (Elo points), at most `window` points away (None: no limit)."""

    scope: Scope
    skill_id: str
    target: float
    window: float | None
    limit: int


ItemHistory = tuple[dict[str, float], dict[str, tuple[int, int]]]
"""Hours since the student last answered each item, and (wins, losses) on it."""


class CatalogView(Protocol):
    """What the selection pipeline reads: the catalogue, the ratings and the student's past.

    `SqlCatalogView` is the service's; the simulator's lives in memory. Both answer every
    question the same way for the same state.
    """

    def scope_skills(self, scope: Scope) -> list[str]:
        """Skills of the scope: its named skills, else every skill of its items (sorted).

        Raises:
            InvalidInput: the scope names unknown skills.
        """
        ...

    def nearest_items(self, requests: Sequence[NearestRequest]) -> list[list[str]]:
        """Per request, the item ids nearest its target, nearest first (ties by item id)."""
        ...

    def item_skills(self, item_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Current difficulty (Elo points) per skill of each item, skills in id order."""
        ...

    def typical_difficulties(self, skill_ids: set[str]) -> dict[str, float]:
        """Mean current difficulty (Elo points) of the items testing each skill."""
        ...

    def prerequisites(self) -> Mapping[str, Sequence[str]]:
        """Every skill's prerequisite skills."""
        ...

    def student_ratings(self, student_id: str) -> StudentRatings | None:
        """The student's ratings, or None for a student never seen."""
        ...

    def recent_difficulties(self, student_id: str, *, window: int) -> dict[str, float]:
        """Mean current difficulty per skill of the last `window` items the student answered."""
        ...

    def history(self, student_id: str, item_ids: Sequence[str], *, now: datetime) -> ItemHistory:
        """Hours since the student last answered each item and wins/losses on it (answers
        count, not picks: asking twice without answering gets the same item)."""
        ...


class ScopeSkillsCache:
    """Slow-moving catalogue facts kept `ttl_seconds`: the skills of each subject/chapter/
    topic scope (the catalogue changes rarely, and finding a big topic's skills costs more
    than the rest of a pick) and each skill's typical difficulty (a mean over many items
    that one attempt barely moves)."""

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[tuple[str | None, ...], tuple[float, list[str]]] = {}
        self._typical: dict[str, tuple[float, float]] = {}

    def typical_difficulties(self, session: Session, skill_ids: set[str]) -> dict[str, float]:
        now = time.monotonic()
        found = {
            s: v for s, (expires, v) in self._typical.items() if s in skill_ids and expires >= now
        }
        missing = skill_ids - set(found)
        if missing:
            fresh = typical_difficulties(session, missing)
            for skill_id, value in fresh.items():
                self._typical[skill_id] = (now + self.ttl_seconds, value)
            found.update(fresh)
        return found

    def get(self, scope: Scope) -> list[str] | None:
        entry = self._entries.get((scope.subject, scope.chapter, scope.topic))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, scope: Scope, skills: list[str]) -> None:
        key = (scope.subject, scope.chapter, scope.topic)
        self._entries[key] = (time.monotonic() + self.ttl_seconds, skills)

    def clear(self) -> None:
        self._entries.clear()
        self._typical.clear()


SCOPE_OVERFETCH = 4
"""Nearest items of a skill read before the scope filter, per item wanted: a skill's items
mostly sit in one topic, so a few times the limit leaves enough after filtering. PostgreSQL
and the in-memory view apply it; SQLite filters while walking the index, which gives the
same items unless more than this many times the limit lie nearer outside the scope."""


def _in_scope(query: Any, scope: Scope, item_id: Any = ItemSkill.item_id) -> Any:
    """Join `Item` on `item_id` and keep the rows in the scope's subject/chapter/topic."""
    conditions = item_place_conditions(
        subject=scope.subject, chapter=scope.chapter, topic=scope.topic
    )
    if conditions:
        query = query.join(Item, Item.item_id == item_id).where(*conditions)
    return query


class SqlCatalogView:
    """The `CatalogView` of the service: one SQLAlchemy session (and an optional cache)."""

    def __init__(self, session: Session, cache: ScopeSkillsCache | None = None) -> None:
        self.session = session
        self.cache = cache

    def scope_skills(self, scope: Scope) -> list[str]:
        session = self.session
        if scope.skills:
            known = set(
                session.scalars(select(Skill.skill_id).where(Skill.skill_id.in_(scope.skills)))
            )
            unknown = [s for s in scope.skills if s not in known]
            if unknown:
                raise InvalidInput([{"loc": ["skills"], "msg": f"unknown skills {unknown}"}])
            return list(scope.skills)
        cached = self.cache.get(scope) if self.cache is not None else None
        if cached is not None:
            return cached
        found = sorted(session.scalars(_in_scope(select(ItemSkill.skill_id).distinct(), scope)))
        if self.cache is not None:
            self.cache.put(scope, found)
        return found

    def nearest_items(self, requests: Sequence[NearestRequest]) -> list[list[str]]:
        """All requests in ONE round trip.

        Per request, two scans of the (skill, difficulty) index walk away from the target, so
        the cost follows the limits, not the size of the bank; all scans go in one UNION ALL
        because on a networked database the round trips cost more than the scans.
        """
        join_first = self.session.get_bind().dialect.name == "sqlite"
        parts = []
        for index, request in enumerate(requests):
            for ascending in (True, False):
                near = select(ItemSkill.item_id, ItemSkill.difficulty).where(
                    ItemSkill.skill_id == request.skill_id
                )
                if ascending:
                    near = near.where(ItemSkill.difficulty >= request.target)
                    if request.window is not None:
                        near = near.where(ItemSkill.difficulty <= request.target + request.window)
                    order = ItemSkill.difficulty.asc()
                else:
                    near = near.where(ItemSkill.difficulty < request.target)
                    if request.window is not None:
                        near = near.where(ItemSkill.difficulty >= request.target - request.window)
                    order = ItemSkill.difficulty.desc()
                if join_first:
                    # SQLite walks the index in order and checks the scope per row by key.
                    tagged = near.with_only_columns(
                        literal(index).label("request"), ItemSkill.item_id, ItemSkill.difficulty
                    )
                    branch = _in_scope(tagged, request.scope).order_by(order).limit(request.limit)
                    parts.append(select(branch.subquery()))
                    continue
                # The nearest items of the skill first (a pure index range scan), the scope
                # filter after: PostgreSQL's planner given both at once joins a whole topic.
                inner = near.order_by(order).limit(request.limit * SCOPE_OVERFETCH).subquery()
                outer = select(literal(index).label("request"), inner.c.item_id, inner.c.difficulty)
                outer = _in_scope(outer, request.scope, inner.c.item_id)
                direction = inner.c.difficulty if ascending else inner.c.difficulty.desc()
                parts.append(select(outer.order_by(direction).limit(request.limit).subquery()))
        found: list[list[tuple[float, str]]] = [[] for _ in requests]
        # SQLite allows at most 500 terms in one compound SELECT.
        for start in range(0, len(parts), 400):
            for index, item_id, difficulty in self.session.execute(
                union_all(*parts[start : start + 400])
            ):
                found[index].append((abs(difficulty - requests[index].target), item_id))
        return [
            [item for _, item in sorted(rows)[: requests[i].limit]] for i, rows in enumerate(found)
        ]

    def item_skills(self, item_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        rows: dict[str, list[tuple[str, float]]] = {}
        for item_id, skill_id, difficulty in self.session.execute(
            select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty).where(
                ItemSkill.item_id.in_(list(item_ids))
            )
        ):
            rows.setdefault(item_id, []).append((skill_id, difficulty))
        # Skills in id order, whatever order the rows came in: explanations are stable.
        return {item_id: dict(sorted(skills)) for item_id, skills in rows.items()}

    def typical_difficulties(self, skill_ids: set[str]) -> dict[str, float]:
        if self.cache is not None:
            return self.cache.typical_difficulties(self.session, skill_ids)
        return typical_difficulties(self.session, skill_ids)

    def prerequisites(self) -> Mapping[str, Sequence[str]]:
        return prerequisite_map(self.session)

    def student_ratings(self, student_id: str) -> StudentRatings | None:
        return load_student_ratings(self.session, student_id)

    def recent_difficulties(self, student_id: str, *, window: int) -> dict[str, float]:
        recent = (
            select(Event.item_id)
            .where(Event.student_id == student_id, Event.status == "applied")
            .order_by(Event.applied_seq.desc())
            .limit(window)
            .subquery()
        )
        totals: dict[str, list[float]] = {}
        for skill_id, difficulty in self.session.execute(
            select(ItemSkill.skill_id, ItemSkill.difficulty).join(
                recent, recent.c.item_id == ItemSkill.item_id
            )
        ):
            totals.setdefault(skill_id, []).append(difficulty)
        return {skill_id: sum(v) / len(v) for skill_id, v in totals.items()}

    def history(self, student_id: str, item_ids: Sequence[str], *, now: datetime) -> ItemHistory:
        last_seen: dict[str, datetime] = {}
        outcomes: dict[str, tuple[int, int]] = {}
        for item_id, occurred_at, score in self.session.execute(
            select(Event.item_id, Event.occurred_at, Event.payload["score"].as_float()).where(
                Event.student_id == student_id, Event.item_id.in_(item_ids)
            )
        ):
            last_seen[item_id] = max(occurred_at, last_seen.get(item_id, occurred_at))
            wins, losses = outcomes.get(item_id, (0, 0))
            outcomes[item_id] = (wins + 1, losses) if score >= 0.5 else (wins, losses + 1)
        hours = {i: max(0.0, (now - t).total_seconds() / 3600.0) for i, t in last_seen.items()}
        return hours, outcomes
