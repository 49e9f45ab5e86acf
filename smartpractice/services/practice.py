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
from typing import Any

import numpy as np
from sqlalchemy import text
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
from smartpractice.services.catalog import get_item
from smartpractice.services.catalog_view import (
    CatalogView,
    NearestRequest,
    Scope,
    ScopeSkillsCache,
    SqlCatalogView,
)
from smartpractice.services.errors import NotFound
from smartpractice.storage.models import SelectionLog

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
            rating=skill_rating(student, skill_id, bounds=elo.rating_bounds),
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
    answers = view.nearest_items(in_window)
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
    if remediation:
        answers = view.nearest_items([request for _, request in remediation])
        for (skill_id, _), ids in zip(remediation, answers, strict=True):
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
    pick = pick_next_item(
        SqlCatalogView(session, cache), student_id, scope, config=config, now=now, seed=seed
    )
    if session.get_bind().dialect.name == "postgresql":
        # The pick is analytics, not state: do not make the student wait for the WAL flush.
        # A crash can lose the last instants of the selection log, never an event or rating.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    chosen = pick.selection.chosen.item_id
    log_row = SelectionLog(
        student_id=student_id,
        item_id=chosen,
        scope=scope.as_dict(),
        explanation=pick.explanation,
        created_at=now,
    )
    session.add(log_row)
    session.flush()
    return {
        "student_id": student_id,
        "selection_id": log_row.id,
        "item": get_item(session, chosen),
        "explanation": pick.explanation,
    }
