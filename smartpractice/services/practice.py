"""Smart Practice: choose the next item for a student in a scope, and log why.

The selection pipeline (scope -> candidate search -> skill views -> `select_next_item` ->
explanation) reads its data through one narrow seam, `CatalogView`
(`smartpractice.services.catalog_view`). `next_question` runs it on the database's view;
the simulator runs the same `pick_next_item` on an in-memory view
(`smartpractice.simulation.catalog.MemoryCatalogView`), so a simulated Smart Practice
student gets exactly the service's pruning, remediation, gating, scoring and explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import JSON, Select, Table, bindparam, insert, select, text
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.core.elo import skill_rating, skill_uncertainty
from smartpractice.core.profile import skill_proficiency
from smartpractice.core.selection import (
    ScoredCandidate,
    Selection,
    SkillView,
    select_next_item,
    target_gap,
)
from smartpractice.core.types import Candidate, RatingState, StudentRatings
from smartpractice.services.catalog_view import (
    CatalogView,
    NearestRequest,
    Scope,
    ScopeSkillsCache,
    SqlCatalogView,
)
from smartpractice.services.errors import NotFound
from smartpractice.storage.models import Item, ItemSkill, SelectionLog, UTCDateTime

__all__ = [
    "Pick",
    "Scope",
    "ScopeSkillsCache",
    "next_question",
    "pick_next_item",
]


def _skill_views(
    view: CatalogView,
    student: StudentRatings,
    needed: set[str],
    prerequisites: Mapping[str, Sequence[str]],
    *,
    config: ModelConfig,
    now: datetime,
    recent: dict[str, float],
) -> dict[str, SkillView]:
    typical = view.typical_difficulties(needed)
    elo = config.elo
    views = {}
    for skill_id in needed:
        typical_difficulty = typical.get(skill_id, elo.unlabelled_difficulty)
        views[skill_id] = SkillView(
            rating=skill_rating(student, skill_id, config=elo),
            uncertainty=skill_uncertainty(student, skill_id, now=now, config=elo),
            proficiency=skill_proficiency(
                student, skill_id, typical_difficulty=typical_difficulty, config=elo
            ),
            typical_difficulty=typical_difficulty,
            prerequisites=tuple(sorted(prerequisites.get(skill_id, ()))),
            recent_difficulty=recent.get(skill_id),
        )
    return views


def _with_prerequisites(
    skill_ids: set[str], prerequisites: Mapping[str, Sequence[str]]
) -> set[str]:
    return skill_ids | {p for s in skill_ids for p in prerequisites.get(s, ())}


def _clearly_below(view: SkillView, config: ModelConfig) -> bool:
    """Weak with real evidence: low proficiency and a rating that has settled somewhat."""
    selection = config.selection
    return (
        view.proficiency < selection.prerequisite_gate
        and view.uncertainty < selection.prerequisite_gate_max_uncertainty
    )


def _candidate_ids(
    view: CatalogView,
    scope: Scope,
    scope_skills: list[str],
    views_for_scope: dict[str, SkillView],
    *,
    config: ModelConfig,
) -> dict[str, str | None]:
    """Candidate item ids, each with the scope skill it remediates (None: in scope)."""
    selection = config.selection
    gap = target_gap(target_success=selection.target_success, scale=config.elo.scale)
    per_skill = max(20, selection.max_candidates // max(len(scope_skills), 1))
    found: dict[str, str | None] = {}
    in_window = [
        NearestRequest(
            scope,
            skill_id,
            views_for_scope[skill_id].rating + gap,
            selection.difficulty_window,
            per_skill,
        )
        for skill_id in scope_skills
    ]
    # Remediation depends only on the skill views, so its requests go with the scope's, in
    # one search.
    remediation: list[tuple[str, NearestRequest]] = []
    for skill_id in scope_skills:
        scope_view = views_for_scope[skill_id]
        skill_is_weak = _clearly_below(scope_view, config)
        for prerequisite in scope_view.prerequisites:
            pre_view = views_for_scope[prerequisite]
            if _clearly_below(pre_view, config) or (
                skill_is_weak and pre_view.proficiency < selection.prerequisite_mastered
            ):
                request = NearestRequest(
                    Scope(),
                    prerequisite,
                    pre_view.rating + gap,
                    None,
                    selection.remediation_candidates,
                )
                remediation.append((skill_id, request))
    everything = view.nearest_items(in_window + [request for _, request in remediation])
    answers = everything[: len(in_window)]
    # A skill with nothing inside the window takes its nearest items outside it.
    empty = [r for r, ids in zip(in_window, answers, strict=True) if not ids]
    answers += (
        view.nearest_items(
            [NearestRequest(r.scope, r.skill_id, r.target, None, r.limit) for r in empty]
        )
        if empty
        else []
    )
    for ids in answers:
        for item_id in ids:
            found.setdefault(item_id, None)
    for (skill_id, _), ids in zip(remediation, everything[len(in_window) :], strict=True):
        for item_id in ids:
            found.setdefault(item_id, skill_id)
    return found


def _scored(c: ScoredCandidate) -> dict[str, Any]:
    return {
        "item_id": c.item_id,
        "score": c.score,
        "components": dict(c.components),
        "predicted_success": c.predicted_success,
        "thompson_sample": c.thompson_sample,
        "difficulty_gap": c.difficulty_gap,
        "remediation_for": c.remediation_for,
    }


def _explanation(selection: Selection, *, config: ModelConfig, seed: int | None) -> dict[str, Any]:
    return {
        **_scored(selection.chosen),
        "weights": {
            "elo_match": config.selection.weight_elo_match,
            "thompson": config.selection.weight_thompson,
            "weak_skill": config.selection.weight_weak_skill,
            "recency": config.selection.weight_recency,
        },
        "target_success": config.selection.target_success,
        "reasons": list(selection.reasons),
        "runner_up": _scored(selection.runner_up) if selection.runner_up else None,
        "candidates_considered": selection.considered,
        "candidates_gated": selection.gated,
        "candidates_pruned": selection.pruned,
        "seed": seed,
    }


@dataclass(frozen=True, slots=True)
class Pick:
    """The selection and its explanation (the JSON the API returns and the log keeps)."""

    selection: Selection
    explanation: dict[str, Any]


def pick_next_item(
    view: CatalogView,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> Pick:
    """Run the Smart Practice pipeline on any `CatalogView`; nothing is written.

    Args:
        view: Where the catalogue, the ratings and the student's history are read.
        student_id: The student (a student never seen starts at the initial rating).
        scope: Where to practise.
        config: Model constants.
        now: Current time (uncertainty growth, recency).
        seed: Seed of the Thompson draws (recorded in the explanation).
        rng: Source of the Thompson draws; default ``numpy.random.default_rng(seed)``.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    scope_skills = view.scope_skills(scope)
    if not scope_skills:
        raise NotFound("no items in this scope")
    student = view.student_ratings(student_id) or StudentRatings(
        ability=RatingState(value=config.elo.initial_student_rating)
    )
    prerequisites = view.prerequisites()
    recent = view.recent_difficulties(student_id, window=config.selection.recent_window)
    views = _skill_views(
        view,
        student,
        _with_prerequisites(set(scope_skills), prerequisites),
        prerequisites,
        config=config,
        now=now,
        recent=recent,
    )
    found = _candidate_ids(view, scope, scope_skills, views, config=config)
    difficulties = view.item_skills(list(found))
    # Views of the candidates' skills and their prerequisites not already known; a view
    # depends only on the skill, so the scope's views are reused as they are.
    missing = _with_prerequisites({s for d in difficulties.values() for s in d}, prerequisites)
    missing -= set(views)
    if missing:
        views.update(
            _skill_views(
                view,
                student,
                missing,
                prerequisites,
                config=config,
                now=now,
                recent=recent,
            )
        )
    hours, outcomes = view.history(student_id, list(found), now=now)
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
    selection = select_next_item(
        candidates,
        skills=views,
        config=config.selection,
        rng=rng if rng is not None else np.random.default_rng(seed),
        scale=config.elo.scale,
    )
    if selection is None:
        raise NotFound("no items in this scope")
    return Pick(selection=selection, explanation=_explanation(selection, config=config, seed=seed))


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
    view = SqlCatalogView(
        session,
        cache,
        student_id=student_id,
        recent_window=config.selection.recent_window,
    )
    pick = pick_next_item(view, student_id, scope, config=config, now=now, seed=seed)
    chosen = pick.selection.chosen.item_id
    logged = {
        "student_id": student_id,
        "item_id": chosen,
        "scope": scope.as_dict(),
        "explanation": pick.explanation,
        "created_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        # One round trip logs the pick and reads the item.
        rows = session.execute(_LOG_AND_READ_ITEM, logged).all()
        if not rows:
            raise NotFound(f"item {chosen!r}")
        selection_id, item = rows[0][0], _item_from_rows([row[1:] for row in rows])
    else:
        selections = cast(Table, SelectionLog.__table__)
        selection_id = session.execute(
            insert(selections).returning(selections.c.id), logged
        ).scalar_one()
        item = _item(session, chosen)
    return {
        "student_id": student_id,
        "selection_id": selection_id,
        "item": item,
        "explanation": pick.explanation,
    }


_ITEM_COLUMNS = (
    "item_id",
    "source",
    "subject",
    "chapter",
    "topic",
    "grade",
    "difficulty_label",
    "expected_time_seconds",
    "marks",
    "text",
    "attempts",
)


def _item_query(item_id: str) -> Select[Any]:
    items = cast(Table, Item.__table__)
    skills = cast(Table, ItemSkill.__table__)
    return (
        select(
            *(items.c[name] for name in _ITEM_COLUMNS),
            items.c.correct,
            skills.c.skill_id,
            skills.c.difficulty,
            skills.c.initial_difficulty,
            skills.c.attempts,
            skills.c.correct,
        )
        .select_from(items.outerjoin(skills, skills.c.item_id == items.c.item_id))
        .where(items.c.item_id == item_id)
        .order_by(skills.c.skill_id)
    )


def _item_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """What `smartpractice.services.catalog.get_item` returns, from `_item_query` rows."""
    first = rows[0]
    found: dict[str, Any] = dict(zip(_ITEM_COLUMNS, first[: len(_ITEM_COLUMNS)], strict=True))
    attempts, correct = first[len(_ITEM_COLUMNS) - 1], first[len(_ITEM_COLUMNS)]
    found["success_rate"] = (correct / attempts) if attempts else None
    found["skills"] = {
        skill_id: {
            "difficulty": difficulty,
            "initial_difficulty": initial,
            "attempts": skill_attempts,
            "success_rate": (skill_correct / skill_attempts) if skill_attempts else None,
        }
        for *_, skill_id, difficulty, initial, skill_attempts, skill_correct in rows
        if skill_id is not None
    }
    return found


def _item(session: Session, item_id: str) -> dict[str, Any]:
    """What `smartpractice.services.catalog.get_item` returns, read in one statement."""
    rows = session.execute(_item_query(item_id)).all()
    if not rows:
        raise NotFound(f"item {item_id!r}")
    return _item_from_rows(rows)


_LOG_AND_READ_ITEM = text(
    # PostgreSQL: log the pick and read its item in one statement. The pick is analytics,
    # not state, so this transaction commits without waiting for the WAL flush: a crash can
    # lose the last instants of the selection log, never an event or a rating.
    "WITH asynchronous_commit AS ("
    " SELECT set_config('synchronous_commit', 'off', true) AS setting"
    "), logged AS ("
    " INSERT INTO selections (student_id, item_id, scope, explanation, created_at)"
    " SELECT :student_id, :item_id, CAST(:scope AS JSON), CAST(:explanation AS JSON),"
    " :created_at FROM asynchronous_commit RETURNING id"
    ") SELECT logged.id, "
    + ", ".join(f"i.{name}" for name in _ITEM_COLUMNS)
    + ", i.correct, s.skill_id, s.difficulty, s.initial_difficulty, s.attempts, s.correct"
    " FROM logged CROSS JOIN items i LEFT JOIN item_skills s ON s.item_id = i.item_id"
    " WHERE i.item_id = :item_id ORDER BY s.skill_id"
).bindparams(
    bindparam("scope", type_=JSON()),
    bindparam("explanation", type_=JSON()),
    bindparam("created_at", type_=UTCDateTime()),
)
