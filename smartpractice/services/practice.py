"""Smart Practice: choose the next item for a student in a scope, and log why.

The selection pipeline (scope -> candidate search -> skill views -> `select_next_item` ->
explanation) reads its data through one narrow seam, `CatalogView`. `next_question` runs it
on the view of its `PickLog` (the database's); the simulator runs the same `pick_next_item`
on an in-memory view (`smartpractice_lab.simulation.catalog.MemoryCatalogView`), so a
simulated Smart Practice student gets exactly the service's pruning, remediation, gating,
scoring and explanation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.path import (
    LearningPath,
    PathSkill,
    estimated_ratings,
    plan_path,
)
from smartpractice.core.practice.selection import (
    ScoredCandidate,
    Selection,
    SkillView,
    clearly_unmet,
    select_next_item,
    target_gap,
)
from smartpractice.core.rating.elo import (
    days_between,
    expected_success,
    skill_rating,
    skill_uncertainty,
)
from smartpractice.core.types import Candidate, RatingState, StudentRatings
from smartpractice.services.ports import (
    CatalogView,
    ItemRecord,
    NearestRequest,
    NotFound,
    PickLog,
    RecentAnswer,
    Scope,
)

__all__ = [
    "POLICIES",
    "NextQuestion",
    "Pick",
    "Scope",
    "ScopePath",
    "ScopePathSkill",
    "StudentPath",
    "last_mastered",
    "learning_path",
    "next_question",
    "pick_for_policy",
    "pick_next_item",
    "pick_textbook_item",
    "plan_student_path",
    "student_learning_path",
    "student_skill_views",
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
    """What the selector and the path know per skill; a skill with too few answers of its
    own is rated by the hierarchical estimate (`core.practice.path.estimated_ratings`)."""
    typical = view.typical_difficulties(needed)
    elo = config.elo
    estimates = estimated_ratings(
        student, sorted(needed), prerequisites=prerequisites, elo=elo, path=config.path
    )
    views = {}
    for skill_id in needed:
        typical_difficulty = typical.get(skill_id, elo.unlabelled_difficulty)
        rating = skill_rating(student, skill_id, config=elo)
        uncertainty = skill_uncertainty(student, skill_id, now=now, config=elo)
        estimate = estimates.get(skill_id)
        if estimate is not None:
            rating, uncertainty = estimate[0], min(uncertainty, estimate[1])
        views[skill_id] = SkillView(
            rating=rating,
            uncertainty=uncertainty,
            proficiency=expected_success(
                rating=rating, difficulty=typical_difficulty, scale=elo.scale
            ),
            typical_difficulty=typical_difficulty,
            prerequisites=tuple(sorted(prerequisites.get(skill_id, ()))),
            recent_difficulty=recent.get(skill_id),
        )
    return views


def student_skill_views(
    view: CatalogView,
    student_id: str,
    skill_ids: set[str],
    *,
    config: ModelConfig,
    now: datetime,
) -> tuple[StudentRatings, dict[str, SkillView]]:
    """The student's ratings and what Smart Practice knows about them on `skill_ids` (rating,
    uncertainty, proficiency; the hierarchical estimate for skills with too few answers of
    their own); a student never seen starts at the initial rating."""
    student = view.student_ratings(student_id) or StudentRatings(
        ability=RatingState(value=config.elo.initial_student_rating)
    )
    prerequisites = view.prerequisites()
    views = _skill_views(view, student, skill_ids, prerequisites, config=config, now=now, recent={})
    return student, views


def learning_path(
    views: Mapping[str, SkillView],
    student: StudentRatings,
    scope_skills: Sequence[str],
    *,
    config: ModelConfig,
    now: datetime,
    recent: Sequence[RecentAnswer] = (),
    previously_mastered: frozenset[str] = frozenset(),
) -> LearningPath:
    """The student's path through the scope's skills (and their prerequisites outside it),
    from the skill views and the student's recent answers (most recent first)."""
    performances: dict[str, list[float]] = {}
    surprise: dict[str, float] = {}
    information: dict[str, float] = {}
    for answer in reversed(recent):
        for skill_id in answer.skills:
            performances.setdefault(skill_id, []).append(answer.performance)
            surprise[skill_id] = surprise.get(skill_id, 0.0) + answer.performance - answer.predicted
            information[skill_id] = information.get(skill_id, 0.0) + answer.predicted * (
                1.0 - answer.predicted
            )
    in_scope = set(scope_skills)
    order = {s: k for k, s in enumerate(scope_skills)}
    skills = []
    for skill_id, skill_view in views.items():
        offset = student.offsets.get(skill_id)
        skills.append(
            PathSkill(
                skill_id=skill_id,
                rating=skill_view.rating,
                uncertainty=skill_view.uncertainty,
                typical_difficulty=skill_view.typical_difficulty,
                attempts=offset.attempts if offset else 0,
                correct=offset.correct if offset else 0,
                days_since=days_between(offset.last_at, now) if offset and offset.last_at else None,
                prerequisites=skill_view.prerequisites,
                in_scope=skill_id in in_scope,
                order=order.get(skill_id, len(order)),
                recent_performances=tuple(performances.get(skill_id, ())),
                recent_surprise=surprise.get(skill_id, 0.0),
                recent_information=information.get(skill_id, 0.0),
            )
        )
    skills.sort(key=lambda s: (s.order, s.skill_id))
    return plan_path(
        skills,
        previously_mastered=previously_mastered,
        config=config.path,
        scale=config.elo.scale,
    )


def _with_prerequisites(
    skill_ids: set[str], prerequisites: Mapping[str, Sequence[str]]
) -> set[str]:
    return skill_ids | {p for s in skill_ids for p in prerequisites.get(s, ())}


def _candidate_ids(
    view: CatalogView,
    scope: Scope,
    path: LearningPath,
    skills: Sequence[str],
    views: Mapping[str, SkillView],
    *,
    config: ModelConfig,
) -> dict[str, str | None]:
    """Candidate item ids for `skills`, each with the scope skills it remediates (None: in
    scope): per skill, the items nearest the target difficulty inside the difficulty
    window, else the nearest outside it."""
    selection = config.selection
    gap = target_gap(target_success=selection.target_success, scale=config.elo.scale)
    # As many candidates per skill as the scope-wide search would give each of its skills.
    per_skill = max(20, selection.max_candidates // max(len(path.steps), len(skills), 1))
    requests: list[tuple[str | None, NearestRequest]] = []
    for skill_id in skills:
        step = path.step(skill_id)
        remediates = ", ".join(step.remediation_for) if step and step.remediation_for else None
        requests.append(
            (
                remediates,
                NearestRequest(
                    Scope() if remediates else scope,
                    skill_id,
                    views[skill_id].rating + gap,
                    selection.difficulty_window,
                    per_skill,
                ),
            )
        )
    answers = view.nearest_items([r for _, r in requests])
    # A skill with nothing inside the window takes its nearest items outside it.
    empty = [k for k, ids in enumerate(answers) if not ids]
    if empty:
        wider = view.nearest_items(
            [dataclasses.replace(requests[k][1], window=None) for k in empty]
        )
        for k, ids in zip(empty, wider, strict=True):
            answers[k] = ids
    found: dict[str, str | None] = {}
    for (remediates, _), ids in zip(requests, answers, strict=True):
        for item_id in ids:
            found.setdefault(item_id, remediates)
    return found


def _welcome(
    difficulties: Mapping[str, float],
    path: LearningPath,
    views: Mapping[str, SkillView],
    config: ModelConfig,
) -> bool:
    """Whether an item's skills are all mastered or on the path: none held back behind an
    unmastered prerequisite, none off the path and clearly weak (low proficiency with real
    evidence)."""
    for skill_id in difficulties:
        step = path.step(skill_id)
        if step is not None:
            if step.status == "locked":
                return False
            continue
        if clearly_unmet(views[skill_id], config.selection):
            return False
    return True


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


def _path_json(path: LearningPath) -> dict[str, Any]:
    step = path.step(path.focus) if path.focus else None
    return {
        "skill_id": path.focus,
        "phase": path.phase,
        "status": step.status if step else None,
        "reason": step.reason if step else None,
        "mastery_probability": step.mastery_probability if step else None,
        "mastered": sorted(path.mastered),
    }


def _explanation(
    selection: Selection, path: LearningPath, *, config: ModelConfig, seed: int | None
) -> dict[str, Any]:
    path_json = _path_json(path)
    reasons = list(selection.reasons)
    if path_json["reason"]:
        reasons.insert(0, f"{path.focus}: {path_json['reason']}")
    return {
        **_scored(selection.chosen),
        "weights": {
            "elo_match": config.selection.weight_elo_match,
            "thompson": config.selection.weight_thompson,
            "weak_skill": config.selection.weight_weak_skill,
            "recency": config.selection.weight_recency,
        },
        "target_success": config.selection.target_success,
        "path": path_json,
        "reasons": reasons,
        "runner_up": _scored(selection.runner_up) if selection.runner_up else None,
        "candidates_considered": selection.considered,
        "candidates_gated": selection.gated,
        "candidates_pruned": selection.pruned,
        "seed": seed,
    }


@dataclass(frozen=True, slots=True)
class Pick:
    """The selection, the path that chose its skill, and the explanation (the JSON the API
    returns and the log keeps)."""

    selection: Selection
    path: LearningPath
    explanation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StudentPath:
    """A student's path through a scope, with the skill views it was planned from."""

    path: LearningPath
    views: dict[str, SkillView]
    student: StudentRatings


def plan_student_path(
    view: CatalogView,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    previously_mastered: frozenset[str] = frozenset(),
    answered: Sequence[RecentAnswer] | None = None,
) -> StudentPath:
    """The student's learning path through the scope; nothing is written (`answered`: the
    student's last `recent_window` answers, most recent first, when already read).

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    scope_skills = view.scope_skills(scope)
    if not scope_skills:
        named = [f"{k} {v!r}" for k, v in scope.as_dict().items() if v]
        raise NotFound(f"no items in this scope ({', '.join(named) or 'the whole bank'})")
    # The path masters what the scope teaches; a skill only ever tested there beside
    # another is built on, as a prerequisite (taught by remediation when clearly weak).
    taught = view.taught_skills(scope) or scope_skills
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
    path = learning_path(
        views,
        student,
        _textbook_order(taught, prerequisites),
        config=config,
        now=now,
        recent=view.recent_answers(student_id, window=config.selection.recent_window)
        if answered is None
        else answered,
        previously_mastered=previously_mastered,
    )
    return StudentPath(path=path, views=views, student=student)


def _textbook_order(
    skill_ids: Sequence[str], prerequisites: Mapping[str, Sequence[str]]
) -> list[str]:
    """The scope's skills, prerequisites before the skills that build on them (ties by id)."""
    remaining = sorted(skill_ids)
    inside = set(remaining)
    ordered: list[str] = []
    placed: set[str] = set()
    while remaining:
        ready = [
            s
            for s in remaining
            if all(p in placed or p not in inside for p in prerequisites.get(s, ()))
        ] or remaining[:1]  # a cycle: break it at the first id
        ordered.extend(ready)
        placed.update(ready)
        remaining = [s for s in remaining if s not in placed]
    return ordered


def _recovering(config: ModelConfig, recent: Sequence[RecentAnswer]) -> ModelConfig:
    """`config` aiming at `recovery_target` instead of `target_success` after
    `recovery_streak` wrong answers in a row (most recent first in `recent`): a third
    failure in a row is what frustrates, so the next question is an easier one."""
    selection = config.selection
    streak = recent[: selection.recovery_streak]
    if len(streak) < selection.recovery_streak or any(a.performance >= 0.5 for a in streak):
        return config
    return dataclasses.replace(
        config,
        selection=dataclasses.replace(selection, target_success=selection.recovery_target),
    )


def pick_next_item(
    view: CatalogView,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    previously_mastered: frozenset[str] = frozenset(),
    preference: Mapping[str, int] | None = None,
) -> Pick:
    """Run the Smart Practice pipeline on any `CatalogView`; nothing is written.

    Two levels: the learning path chooses the skill to practise (`plan_student_path`),
    then the weighted score (Elo match, Thompson draw, weak skill, recency) chooses among
    the items that teach it.

    Args:
        view: Where the catalogue, the ratings and the student's history are read.
        student_id: The student (a student never seen starts at the initial rating).
        scope: Where to practise.
        config: Model constants.
        now: Current time (uncertainty growth, recency, review).
        seed: Seed of the Thompson draws (recorded in the explanation).
        rng: Source of the Thompson draws; default ``numpy.random.default_rng(seed)``.
        previously_mastered: Skills mastered at the previous decision (hysteresis).
        preference: Per item id, a rank (lower first; absent: after all ranked items)
            that orders the candidates, so that the selector keeps the preferred of items
            of equal value (exam practice prefers the exam's previous-year questions).

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    answered = view.recent_answers(student_id, window=config.selection.recent_window)
    planned = plan_student_path(
        view,
        student_id,
        scope,
        config=config,
        now=now,
        previously_mastered=previously_mastered,
        answered=answered,
    )
    path, student = planned.path, planned.student
    config = _recovering(config, answered)
    # What each path skill still needs: the chance it is not mastered (0 once mastered).
    views = {
        skill_id: dataclasses.replace(
            skill_view,
            need=0.0 if step is None else step.need,
        )
        for skill_id, skill_view in planned.views.items()
        for step in [path.step(skill_id)]
    }
    recent = {answer.item_id for answer in answered[: config.selection.repeat_window]}
    found = _candidate_ids(view, scope, path, path.practise, views, config=config)
    if not set(found) - recent:
        # The open skills have no item left that was not just answered (or no item at all):
        # the scope's other path skills step in before anything is repeated.
        in_scope = [s.skill_id for s in path.steps if not s.remediation_for]
        wider = _candidate_ids(view, scope, path, in_scope, views, config=config)
        found = {**found, **wider} if set(wider) - recent else found or wider
    difficulties = view.item_skills(list(found))
    prerequisites = view.prerequisites()
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
                recent=view.recent_difficulties(student_id, window=config.selection.recent_window),
            )
        )
    usable = [i for i in sorted(found) if i in difficulties]
    if preference:
        last = max(preference.values()) + 1
        usable.sort(key=lambda i: preference.get(i, last))
    welcome = [i for i in usable if _welcome(difficulties[i], path, views, config)]
    fresh = [i for i in welcome or usable if i not in recent]
    hours, outcomes = view.history(student_id, usable, now=now)
    candidates = [
        Candidate(
            item_id=item_id,
            difficulties=difficulties[item_id],
            hours_since_seen=hours.get(item_id),
            successes=outcomes.get(item_id, (0, 0))[0],
            failures=outcomes.get(item_id, (0, 0))[1],
            remediation_for=found[item_id],
        )
        for item_id in (fresh or welcome or usable)
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
    return Pick(
        selection=selection,
        path=path,
        explanation=_explanation(selection, path, config=config, seed=seed),
    )


def pick_textbook_item(
    view: CatalogView,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    previously_mastered: frozenset[str] = frozenset(),
) -> Pick:
    """The ``textbook`` policy (an experiment's usual control arm): what a class without
    Smart Practice does. The scope's taught skills in textbook order (`_textbook_order`, the
    order the learning path plans in), the first one the learning path does not hold
    mastered (round and round once all are); that skill's items in id order, the first never
    answered, else the one answered longest ago. No difficulty matching, no Thompson draw,
    no remediation. Nothing is written.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    answered = view.recent_answers(student_id, window=config.selection.recent_window)
    planned = plan_student_path(
        view,
        student_id,
        scope,
        config=config,
        now=now,
        previously_mastered=previously_mastered,
        answered=answered,
    )
    path = planned.path
    order = _textbook_order(
        view.taught_skills(scope) or view.scope_skills(scope), view.prerequisites()
    )
    open_skills = [s for s in order if s not in path.mastered]
    skill_id = open_skills[0] if open_skills else order[len(answered) % len(order)]
    skill_view = planned.views.get(skill_id)
    typical = skill_view.typical_difficulty if skill_view else config.elo.unlabelled_difficulty
    found = view.nearest_items(
        [NearestRequest(scope, skill_id, typical, None, config.selection.max_candidates)]
    )[0]
    if not found:
        raise NotFound("no items in this scope")
    hours, _ = view.history(student_id, found, now=now)
    item_id = min(sorted(found), key=lambda i: (i in hours, -hours.get(i, 0.0)))
    difficulty = view.item_skills([item_id]).get(item_id, {}).get(skill_id, typical)
    rating = skill_view.rating if skill_view else config.elo.initial_student_rating
    chosen = ScoredCandidate(
        item_id=item_id,
        score=0.0,
        components={},
        predicted_success=expected_success(
            rating=rating, difficulty=difficulty, scale=config.elo.scale
        ),
        thompson_sample=0.0,
        difficulty_gap=difficulty - rating,
        remediation_for=None,
    )
    reason = (
        f"textbook order: {skill_id} is the scope's first skill not yet mastered"
        if open_skills
        else f"textbook order: every skill mastered, revising {skill_id}"
    )
    selection = Selection(
        chosen=chosen, runner_up=None, reasons=(reason,), considered=len(found), gated=0, pruned=0
    )
    explanation = {
        **_scored(chosen),
        "policy": "textbook",
        "path": {**_path_json(path), "skill_id": skill_id},
        "reasons": [reason],
        "runner_up": None,
        "candidates_considered": len(found),
        "seed": None,
    }
    return Pick(selection=selection, path=path, explanation=explanation)


POLICIES = ("smart_practice", "textbook")
"""Policies an experiment's arm may serve under: the Smart Practice selector
(`pick_next_item`) or the scope in textbook order (`pick_textbook_item`)."""


@dataclass(frozen=True, slots=True)
class NextQuestion:
    """The item picked for the student, the id its pick was logged under (None when not
    kept), why it was picked (`Pick.explanation`), and the experiment and arm it was
    served under (None: no running experiment covers the scope)."""

    student_id: str
    selection_id: int | None
    item: ItemRecord
    explanation: dict[str, Any]
    experiment: str | None = None
    arm: str | None = None


def next_question(
    store: PickLog,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
    policy: str = "smart_practice",
    experiment: tuple[str, str] | None = None,
) -> NextQuestion:
    """Pick, log and explain the next item for the student in the scope.

    Args:
        policy: ``smart_practice`` or ``textbook`` (`POLICIES`).
        experiment: The (experiment id, arm) the pick is served under, logged with it;
            `config` and `policy` are then the arm's.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    pick = pick_for_policy(
        store.view(student_id, recent_window=config.selection.recent_window),
        student_id,
        scope,
        policy=policy,
        config=config,
        now=now,
        seed=seed,
        previously_mastered=last_mastered(store, student_id),
    )
    explanation = pick.explanation
    if experiment is not None:
        explanation = {**explanation, "experiment": experiment[0], "arm": experiment[1]}
    selection_id, item = store.log_pick(
        student_id=student_id,
        item_id=pick.selection.chosen.item_id,
        scope=scope.as_dict(),
        explanation=explanation,
        at=now,
        experiment_id=experiment[0] if experiment else None,
        arm=experiment[1] if experiment else None,
    )
    return NextQuestion(
        student_id=student_id,
        selection_id=selection_id,
        item=item,
        explanation=explanation,
        experiment=experiment[0] if experiment else None,
        arm=experiment[1] if experiment else None,
    )


def pick_for_policy(
    view: CatalogView,
    student_id: str,
    scope: Scope,
    *,
    policy: str,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    previously_mastered: frozenset[str] = frozenset(),
) -> Pick:
    """`pick_next_item` or `pick_textbook_item`, by the policy's name (`POLICIES`);
    nothing is written.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
        ValueError: an unknown policy.
    """
    if policy == "textbook":
        return pick_textbook_item(
            view,
            student_id,
            scope,
            config=config,
            now=now,
            previously_mastered=previously_mastered,
        )
    if policy != "smart_practice":
        raise ValueError(f"unknown policy {policy!r}; known: {', '.join(POLICIES)}")
    return pick_next_item(
        view,
        student_id,
        scope,
        config=config,
        now=now,
        seed=seed,
        rng=rng,
        previously_mastered=previously_mastered,
    )


def last_mastered(store: PickLog, student_id: str) -> frozenset[str]:
    """The skills the student's last logged pick held mastered: where the mastery decision's
    hysteresis starts from (empty for a student never served)."""
    explanation = store.last_explanation(student_id)
    if not isinstance(explanation, dict):
        return frozenset()
    path = explanation.get("path")
    mastered = path.get("mastered") if isinstance(path, dict) else None
    return (
        frozenset(s for s in mastered if isinstance(s, str))
        if isinstance(mastered, list)
        else frozenset()
    )


@dataclass(frozen=True, slots=True)
class ScopePathSkill:
    """One skill of a student's path: its status and the evidence behind it.

    Attributes:
        skill_id: The skill.
        status: mastered, review_due, frontier, estimated or locked.
        evidence: What the status rests on.
        mastery_probability: Chance (0-1) the skill is mastered.
        proficiency: Predicted success (0-1) on the skill's typical item.
        rating: The student's rating on the skill (Elo points).
        uncertainty: 0-1 (1 = no evidence).
        reason: Why the skill has its status.
        remediation_for: The scope skills it is remediation for (empty: in the scope).
        expected_questions: Questions expected until mastered (one decimal).
    """

    skill_id: str
    status: str
    evidence: str
    mastery_probability: float
    proficiency: float
    rating: float
    uncertainty: float
    reason: str
    remediation_for: list[str]
    expected_questions: float


@dataclass(frozen=True, slots=True)
class ScopePath:
    """A student's learning path through a scope: the skill in focus, the phase, the
    questions expected until the scope is mastered (one decimal) and every skill's step."""

    student_id: str
    scope: dict[str, Any]
    focus: str | None
    phase: str
    expected_questions: float
    skills: list[ScopePathSkill]


def student_learning_path(
    store: PickLog,
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
) -> ScopePath:
    """The student's learning path through the scope (a student never seen gets the path
    of a new student: every skill estimated); nothing is written.

    Raises:
        InvalidInput: the scope names unknown skills.
        NotFound: nothing in the scope to practise.
    """
    planned = plan_student_path(
        store.view(student_id, recent_window=config.selection.recent_window),
        student_id,
        scope,
        config=config,
        now=now,
        previously_mastered=last_mastered(store, student_id),
    )
    path = planned.path
    return ScopePath(
        student_id=student_id,
        scope=scope.as_dict(),
        focus=path.focus,
        phase=path.phase,
        expected_questions=round(path.expected_questions, 1),
        skills=[
            ScopePathSkill(
                skill_id=step.skill_id,
                status=step.status,
                evidence=step.evidence,
                mastery_probability=step.mastery_probability,
                proficiency=step.proficiency,
                rating=planned.views[step.skill_id].rating,
                uncertainty=planned.views[step.skill_id].uncertainty,
                reason=step.reason,
                remediation_for=list(step.remediation_for),
                expected_questions=round(step.expected_questions, 1),
            )
            for step in path.steps
        ],
    )
