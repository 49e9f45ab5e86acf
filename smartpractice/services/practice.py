"""Smart Practice: choose the next item for a student in a scope, and log why."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import literal, select, text, union_all
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.core.elo import skill_rating, skill_uncertainty
from smartpractice.core.profile import skill_proficiency
from smartpractice.core.selection import SkillView, select_next_item, target_gap
from smartpractice.core.types import Candidate, RatingState, StudentRatings
from smartpractice.services.catalog import get_item, prerequisite_map
from smartpractice.services.errors import InvalidInput, NotFound
from smartpractice.services.students import load_student_ratings, typical_difficulties
from smartpractice.storage.models import Event, Item, ItemSkill, SelectionLog, Skill

__all__ = ["Scope", "ScopeSkillsCache", "next_question"]


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


def _in_scope(query: Any, scope: Scope) -> Any:
    if scope.subject or scope.chapter or scope.topic:
        query = query.join(Item, Item.item_id == ItemSkill.item_id)
        if scope.subject:
            query = query.where(Item.subject == scope.subject)
        if scope.chapter:
            query = query.where(Item.chapter == scope.chapter)
        if scope.topic:
            query = query.where(Item.topic == scope.topic)
    return query


def _scope_skills(session: Session, scope: Scope, cache: ScopeSkillsCache | None) -> list[str]:
    if scope.skills:
        known = set(session.scalars(select(Skill.skill_id).where(Skill.skill_id.in_(scope.skills))))
        unknown = [s for s in scope.skills if s not in known]
        if unknown:
            raise InvalidInput([{"loc": ["skills"], "msg": f"unknown skills {unknown}"}])
        return list(scope.skills)
    cached = cache.get(scope) if cache is not None else None
    if cached is not None:
        return cached
    found = list(session.scalars(_in_scope(select(ItemSkill.skill_id).distinct(), scope)))
    if cache is not None:
        cache.put(scope, found)
    return found


_SCOPE_OVERFETCH = 4
"""Nearest items of a skill read before the scope filter, per item wanted: a skill's items
mostly sit in one topic, so a few times the limit leaves enough after filtering."""


@dataclass(frozen=True, slots=True)
class _Nearest:
    """Find up to `limit` items of `skill_id` in `scope` nearest `target` (Elo points)."""

    scope: Scope
    skill_id: str
    target: float
    window: float | None
    limit: int


def _nearest_items(session: Session, requests: Sequence[_Nearest]) -> list[list[str]]:
    """The item ids answering each request, nearest first, in ONE round trip.

    Per request, two scans of the (skill, difficulty) index walk away from the target, so
    the cost follows the limits, not the size of the bank; all scans go in one UNION ALL
    because on a networked database the round trips cost more than the scans.
    """
    join_first = session.get_bind().dialect.name == "sqlite"
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
                # SQLite walks the index in order and checks the scope per row by primary key.
                tagged = near.with_only_columns(
                    literal(index).label("request"), ItemSkill.item_id, ItemSkill.difficulty
                )
                branch = _in_scope(tagged, request.scope).order_by(order).limit(request.limit)
                parts.append(select(branch.subquery()))
                continue
            # The nearest items of the skill first (a pure index range scan), the scope
            # filter after: PostgreSQL's planner given both at once joins a whole topic.
            inner = near.order_by(order).limit(request.limit * _SCOPE_OVERFETCH).subquery()
            outer = select(literal(index).label("request"), inner.c.item_id, inner.c.difficulty)
            if request.scope.subject or request.scope.chapter or request.scope.topic:
                outer = outer.join(Item, Item.item_id == inner.c.item_id)
                if request.scope.subject:
                    outer = outer.where(Item.subject == request.scope.subject)
                if request.scope.chapter:
                    outer = outer.where(Item.chapter == request.scope.chapter)
                if request.scope.topic:
                    outer = outer.where(Item.topic == request.scope.topic)
            direction = inner.c.difficulty if ascending else inner.c.difficulty.desc()
            parts.append(select(outer.order_by(direction).limit(request.limit).subquery()))
    found: list[list[tuple[float, str]]] = [[] for _ in requests]
    # SQLite allows at most 500 terms in one compound SELECT.
    for start in range(0, len(parts), 400):
        for index, item_id, difficulty in session.execute(union_all(*parts[start : start + 400])):
            found[index].append((abs(difficulty - requests[index].target), item_id))
    return [[item for _, item in sorted(rows)[: requests[i].limit]] for i, rows in enumerate(found)]


def _skill_views(
    session: Session,
    student: StudentRatings,
    skill_ids: set[str],
    prerequisites: dict[str, list[str]],
    *,
    config: ModelConfig,
    now: datetime,
    recent: dict[str, float],
    cache: ScopeSkillsCache | None,
) -> dict[str, SkillView]:
    needed = set(skill_ids) | {p for s in skill_ids for p in prerequisites.get(s, [])}
    if cache is not None:
        typical = cache.typical_difficulties(session, needed)
    else:
        typical = typical_difficulties(session, needed)
    elo = config.elo
    views = {}
    for skill_id in needed:
        typical_difficulty = typical.get(skill_id, elo.unlabelled_difficulty)
        views[skill_id] = SkillView(
            rating=skill_rating(student, skill_id, bounds=elo.rating_bounds),
            uncertainty=skill_uncertainty(student, skill_id, now=now, config=elo),
            proficiency=skill_proficiency(
                student, skill_id, typical_difficulty=typical_difficulty, config=elo
            ),
            typical_difficulty=typical_difficulty,
            prerequisites=tuple(sorted(prerequisites.get(skill_id, []))),
            recent_difficulty=recent.get(skill_id),
        )
    return views


def _history(
    session: Session, student_id: str, item_ids: Sequence[str], now: datetime
) -> tuple[dict[str, float], dict[str, tuple[int, int]]]:
    """Hours since the student last answered each item, and wins/losses on it.

    Only answers count, not picks: asking twice without answering gets the same item."""
    last_seen: dict[str, datetime] = {}
    outcomes: dict[str, tuple[int, int]] = {}
    for item_id, occurred_at, score in session.execute(
        select(Event.item_id, Event.occurred_at, Event.payload["score"].as_float()).where(
            Event.student_id == student_id, Event.item_id.in_(item_ids)
        )
    ):
        last_seen[item_id] = max(occurred_at, last_seen.get(item_id, occurred_at))
        wins, losses = outcomes.get(item_id, (0, 0))
        outcomes[item_id] = (wins + 1, losses) if score >= 0.5 else (wins, losses + 1)
    hours = {i: max(0.0, (now - t).total_seconds() / 3600.0) for i, t in last_seen.items()}
    return hours, outcomes


def _clearly_below(view: SkillView, config: ModelConfig) -> bool:
    """Weak with real evidence: low proficiency and a rating that has settled somewhat."""
    selection = config.selection
    return (
        view.proficiency < selection.prerequisite_gate
        and view.uncertainty < selection.prerequisite_gate_max_uncertainty
    )


def _recent_difficulties(session: Session, student_id: str, *, window: int) -> dict[str, float]:
    """Mean current difficulty per skill of the items the student answered last."""
    recent = (
        select(Event.item_id)
        .where(Event.student_id == student_id, Event.status == "applied")
        .order_by(Event.applied_seq.desc())
        .limit(window)
        .subquery()
    )
    totals: dict[str, list[float]] = {}
    for skill_id, difficulty in session.execute(
        select(ItemSkill.skill_id, ItemSkill.difficulty).join(
            recent, recent.c.item_id == ItemSkill.item_id
        )
    ):
        totals.setdefault(skill_id, []).append(difficulty)
    return {skill_id: sum(v) / len(v) for skill_id, v in totals.items()}


def _candidate_ids(
    session: Session,
    scope: Scope,
    scope_skills: list[str],
    views_for_scope: dict[str, SkillView],
    *,
    config: ModelConfig,
) -> dict[str, str | None]:
    selection = config.selection
    gap = target_gap(target_success=selection.target_success, scale=config.elo.scale)
    per_skill = max(20, selection.max_candidates // max(len(scope_skills), 1))
    found: dict[str, str | None] = {}
    in_window = [
        _Nearest(
            scope,
            skill_id,
            views_for_scope[skill_id].rating + gap,
            selection.difficulty_window,
            per_skill,
        )
        for skill_id in scope_skills
    ]
    answers = _nearest_items(session, in_window)
    # A skill with nothing inside the window takes its nearest items outside it.
    empty = [r for r, ids in zip(in_window, answers, strict=True) if not ids]
    answers += (
        _nearest_items(
            session, [_Nearest(r.scope, r.skill_id, r.target, None, r.limit) for r in empty]
        )
        if empty
        else []
    )
    for ids in answers:
        for item_id in ids:
            found.setdefault(item_id, None)
    remediation: list[tuple[str, _Nearest]] = []
    for skill_id in scope_skills:
        scope_view = views_for_scope[skill_id]
        skill_is_weak = _clearly_below(scope_view, config)
        for prerequisite in scope_view.prerequisites:
            view = views_for_scope[prerequisite]
            if _clearly_below(view, config) or (
                skill_is_weak and view.proficiency < selection.prerequisite_mastered
            ):
                request = _Nearest(
                    Scope(), prerequisite, view.rating + gap, None, selection.remediation_candidates
                )
                remediation.append((skill_id, request))
    if remediation:
        answers = _nearest_items(session, [request for _, request in remediation])
        for (skill_id, _), ids in zip(remediation, answers, strict=True):
            for item_id in ids:
                found.setdefault(item_id, skill_id)
    return found


def next_question(
    session: Session,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
    cache: ScopeSkillsCache | None = None,
) -> dict[str, Any]:
    """Pick, log and explain the next item for the student in the scope.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    scope_skills = _scope_skills(session, scope, cache)
    if not scope_skills:
        raise NotFound("no items in this scope")
    student = load_student_ratings(session, student_id) or StudentRatings(
        ability=RatingState(value=config.elo.initial_student_rating)
    )
    prerequisites = prerequisite_map(session)
    recent = _recent_difficulties(session, student_id, window=config.selection.recent_window)
    scope_views = _skill_views(
        session,
        student,
        set(scope_skills),
        prerequisites,
        config=config,
        now=now,
        recent=recent,
        cache=cache,
    )
    found = _candidate_ids(session, scope, scope_skills, scope_views, config=config)
    difficulties: dict[str, dict[str, float]] = {}
    for item_id, skill_id, difficulty in session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty).where(
            ItemSkill.item_id.in_(list(found))
        )
    ):
        difficulties.setdefault(item_id, {})[skill_id] = difficulty
    all_skills = {s for d in difficulties.values() for s in d}
    views = _skill_views(
        session,
        student,
        all_skills,
        prerequisites,
        config=config,
        now=now,
        recent=recent,
        cache=cache,
    )
    hours, outcomes = _history(session, student_id, list(found), now)
    candidates = [
        Candidate(
            item_id=item_id,
            difficulties=difficulties[item_id],
            hours_since_seen=hours.get(item_id),
            successes=outcomes.get(item_id, (0, 0))[0],
            failures=outcomes.get(item_id, (0, 0))[1],
            remediation_for=found[item_id],
        )
        for item_id in sorted(found)
        if item_id in difficulties
    ]
    rng = np.random.default_rng(seed)
    selection = select_next_item(
        candidates, skills=views, config=config.selection, rng=rng, scale=config.elo.scale
    )
    if selection is None:
        raise NotFound("no items in this scope")

    def scored(c: Any) -> dict[str, Any]:
        return {
            "item_id": c.item_id,
            "score": c.score,
            "components": dict(c.components),
            "predicted_success": c.predicted_success,
            "thompson_sample": c.thompson_sample,
            "difficulty_gap": c.difficulty_gap,
            "remediation_for": c.remediation_for,
        }

    explanation = {
        **scored(selection.chosen),
        "weights": {
            "elo_match": config.selection.weight_elo_match,
            "thompson": config.selection.weight_thompson,
            "weak_skill": config.selection.weight_weak_skill,
            "recency": config.selection.weight_recency,
        },
        "target_success": config.selection.target_success,
        "reasons": list(selection.reasons),
        "runner_up": scored(selection.runner_up) if selection.runner_up else None,
        "candidates_considered": selection.considered,
        "candidates_gated": selection.gated,
        "candidates_pruned": selection.pruned,
        "seed": seed,
    }
    if session.get_bind().dialect.name == "postgresql":
        # The pick is analytics, not state: do not make the student wait for the WAL flush.
        # A crash can lose the last instants of the selection log, never an event or rating.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    log_row = SelectionLog(
        student_id=student_id,
        item_id=selection.chosen.item_id,
        scope=scope.as_dict(),
        explanation=explanation,
        created_at=now,
    )
    session.add(log_row)
    session.flush()
    return {
        "student_id": student_id,
        "selection_id": log_row.id,
        "item": get_item(session, selection.chosen.item_id),
        "explanation": explanation,
    }
