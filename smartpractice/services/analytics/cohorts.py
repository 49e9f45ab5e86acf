"""A class or cohort: students x skills heat map of a topic, the weakest skills of the
group and its stuck students (many failures, no progress).

The judgements (proficiency, weakest skills, stuck) are computed here over the plain
rating rows `AnalyticsStore` returns. What is nothing but a query (recent students, the
filter options, a group's practised topics) is a method of the store, which the dashboard
calls directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.elo import (
    days_between,
    expected_success,
    skill_rating,
    skill_ratings,
    uncertainty,
)
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.analytics.common import AnalyticsConfig
from smartpractice.services.ports import AnalyticsStore, CohortFilter

__all__ = [
    "CohortFilter",
    "CohortRow",
    "CohortView",
    "HeatCell",
    "StuckStudent",
    "WeakSkill",
    "cohort_view",
]


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One student's standing on one skill: proficiency (predicted success 0-1 on the
    skill's typical item), uncertainty (0-1), rating (Elo points) and attempts."""

    proficiency: float
    uncertainty: float
    rating: float
    attempts: int


@dataclass(frozen=True, slots=True)
class CohortRow:
    """A student's row of the heat map: counts, success rate (0-1, None before any answer),
    mean proficiency (0-1) over the topic's skills, cells per skill id, and whether stuck."""

    student_id: str
    attempts: int
    success_rate: float | None
    mean_proficiency: float
    cells: dict[str, HeatCell]
    stuck: bool


@dataclass(frozen=True, slots=True)
class StuckStudent:
    """A stuck student: many failures and a mean rating gain (Elo points) of at most
    `AnalyticsConfig.stuck_max_gain` over the last answers in the topic."""

    student_id: str
    attempts: int
    success_rate: float | None
    mean_proficiency: float
    rating_gain: float


@dataclass(frozen=True, slots=True)
class WeakSkill:
    """A skill of the topic across the cohort: students rated on it, their mean proficiency
    (0-1) and the share of them below `AnalyticsConfig.weak_proficiency`."""

    skill_id: str
    students: int
    mean_proficiency: float
    weak_share: float


@dataclass(frozen=True, slots=True)
class CohortView:
    """A page of the heat map and the group's weakest skills and stuck students."""

    filter: CohortFilter
    skills: list[str]
    skill_names: dict[str, str]
    students_total: int
    rows: list[CohortRow]
    offset: int
    limit: int
    weakest_skills: list[WeakSkill]
    stuck: list[StuckStudent]
    thresholds: AnalyticsConfig


def _rating_gains(
    store: AnalyticsStore, student_ids: Sequence[str], skills: set[str], *, window: int
) -> dict[str, float]:
    """Mean rating change (Elo points) over each student's last `window` answers that
    tested one of `skills`, from the per-event outcomes."""
    if not student_ids:
        return {}
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for row in store.recent_outcomes(student_ids, per_student=window * 3):
        student_id, seq, outcome = row.student_id, row.seq, row.outcome
        for skill_id, after in (outcome or {}).get("skills", {}).items():
            if skill_id in skills:
                series.setdefault((student_id, skill_id), []).append((seq, after["rating"]))
    gains: dict[str, list[float]] = {}
    for (student_id, _), points in series.items():
        last = [rating for _, rating in sorted(points)[-window:]]
        gains.setdefault(student_id, []).append(last[-1] - last[0])
    return {s: sum(g) / len(g) for s, g in gains.items()}


@dataclass(frozen=True, slots=True)
class _Cohort:
    """Every (student, skill) rating of a cohort as arrays, one entry per pair."""

    students: list[str]
    student_of: np.ndarray
    skill_of: np.ndarray
    proficiency: np.ndarray
    attempts: np.ndarray
    correct: np.ndarray


def _load_cohort(
    store: AnalyticsStore, where: CohortFilter, skills: list[str], *, config: ModelConfig
) -> _Cohort:
    """The cohort's ratings as arrays, with each student's ability read once."""
    found = store.cohort_ratings(where, skills)
    rows, abilities = found.rows, found.abilities
    if not rows:
        empty = np.zeros(0, dtype=np.float64)
        return _Cohort([], empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty)
    student_ids, skill_ids, offsets, attempts, correct = zip(*rows, strict=True)
    index: dict[str, int] = {}
    student_of = np.array([index.setdefault(s, len(index)) for s in student_ids], dtype=np.int64)
    skill_index = {skill_id: n for n, skill_id in enumerate(skills)}
    skill_of = np.array([skill_index[s] for s in skill_ids], dtype=np.int64)
    ability = np.array([abilities[s] for s in index], dtype=np.float64)
    elo = config.elo
    typical_by_skill = store.typical_difficulties(skills)
    typical = np.array([typical_by_skill.get(s, elo.unlabelled_difficulty) for s in skills])
    rating = skill_ratings(
        abilities=ability[student_of],
        offsets=np.array(offsets, dtype=float),
        attempts=np.array(attempts, dtype=float),
        correct=np.array(correct, dtype=float),
        config=elo,
    )
    return _Cohort(
        students=list(index),
        student_of=student_of,
        skill_of=skill_of,
        proficiency=expected_success(rating=rating, difficulty=typical[skill_of], scale=elo.scale),
        attempts=np.array(attempts, dtype=float),
        correct=np.array(correct, dtype=float),
    )


def _page_cells(
    store: AnalyticsStore,
    student_ids: list[str],
    skills: list[str],
    *,
    config: ModelConfig,
    now: datetime,
) -> dict[str, dict[str, HeatCell]]:
    """Each shown student's cells: proficiency, uncertainty, rating, attempts per skill."""
    typical = store.typical_difficulties(skills)
    elo = config.elo
    cells: dict[str, dict[str, HeatCell]] = {s: {} for s in student_ids}
    for row in store.page_ratings(student_ids, skills):
        state = RatingState(
            value=row.offset, attempts=row.attempts, correct=row.correct, last_at=row.last_at
        )
        rating = skill_rating(
            StudentRatings(ability=RatingState(value=row.ability), offsets={row.skill_id: state}),
            row.skill_id,
            config=elo,
        )
        cells[row.student_id][row.skill_id] = HeatCell(
            proficiency=expected_success(
                rating=rating,
                difficulty=typical.get(row.skill_id, elo.unlabelled_difficulty),
                scale=elo.scale,
            ),
            uncertainty=uncertainty(
                attempts=row.attempts,
                days_since=days_between(row.last_at, now),
                schedule=elo.student,
            ),
            rating=rating,
            attempts=row.attempts,
        )
    return cells


def cohort_view(
    store: AnalyticsStore,
    where: CohortFilter,
    *,
    config: ModelConfig,
    now: datetime,
    thresholds: AnalyticsConfig = AnalyticsConfig(),
    offset: int = 0,
    limit: int = 25,
) -> CohortView:
    """Students x skills heat map of a topic (weakest students first, a page of `limit`
    from `offset`), the group's weakest skills and its stuck students. Proficiency is each
    student's predicted success on the skill's typical item, as in the knowledge profile."""
    skills = store.topic_skills(where)
    cohort = _load_cohort(store, where, skills, config=config)
    size = len(cohort.students)
    per_student = np.bincount(cohort.student_of, minlength=size)
    mean = np.bincount(cohort.student_of, cohort.proficiency, minlength=size) / np.maximum(
        per_student, 1
    )
    attempts = np.bincount(cohort.student_of, cohort.attempts, minlength=size)
    correct = np.bincount(cohort.student_of, cohort.correct, minlength=size)
    success = np.divide(correct, attempts, out=np.full(size, np.nan), where=attempts > 0)
    per_skill = np.bincount(cohort.skill_of, minlength=len(skills))
    skill_mean = np.bincount(cohort.skill_of, cohort.proficiency, minlength=len(skills))
    weak = np.bincount(
        cohort.skill_of, cohort.proficiency < thresholds.weak_proficiency, minlength=len(skills)
    )
    weakest = sorted(
        (
            WeakSkill(
                skill_id=skill_id,
                students=int(per_skill[k]),
                mean_proficiency=float(skill_mean[k] / per_skill[k]),
                weak_share=float(weak[k] / per_skill[k]),
            )
            for k, skill_id in enumerate(skills)
            if per_skill[k]
        ),
        key=lambda w: w.mean_proficiency,
    )

    def success_rate(n: int) -> float | None:
        return None if np.isnan(success[n]) else float(success[n])

    most_success = thresholds.stuck_success_share * config.selection.target_success
    suspects = np.flatnonzero(
        (attempts >= thresholds.stuck_min_attempts)
        & (np.nan_to_num(success, nan=1.0) <= most_success)
    )
    candidates = sorted(suspects.tolist(), key=lambda n: (success[n], cohort.students[n]))[:50]
    gains = _rating_gains(
        store,
        [cohort.students[n] for n in candidates],
        set(skills),
        window=thresholds.stuck_window,
    )
    stuck = [
        StuckStudent(
            student_id=cohort.students[n],
            attempts=int(attempts[n]),
            success_rate=success_rate(n),
            mean_proficiency=float(mean[n]),
            rating_gain=gains[cohort.students[n]],
        )
        for n in candidates
        if cohort.students[n] in gains and gains[cohort.students[n]] <= thresholds.stuck_max_gain
    ]
    stuck_ids = {s.student_id for s in stuck}
    # Weakest first; ties by student id (np.lexsort sorts by its last key first).
    order = np.lexsort((np.array(cohort.students), mean)) if size else np.zeros(0, dtype=int)
    shown = [int(n) for n in order[offset : offset + limit]]
    cells = _page_cells(store, [cohort.students[n] for n in shown], skills, config=config, now=now)
    page = [
        CohortRow(
            student_id=cohort.students[n],
            attempts=int(attempts[n]),
            success_rate=success_rate(n),
            mean_proficiency=float(mean[n]),
            cells=cells[cohort.students[n]],
            stuck=cohort.students[n] in stuck_ids,
        )
        for n in shown
    ]
    return CohortView(
        filter=where,
        skills=skills,
        skill_names=store.skill_names(skills),
        students_total=size,
        rows=page,
        offset=offset,
        limit=limit,
        weakest_skills=weakest,
        stuck=stuck,
        thresholds=thresholds,
    )
