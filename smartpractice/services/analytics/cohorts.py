"""A class or cohort: students x skills heat map of a topic, the weakest skills of the
group and its stuck students (many failures, no progress)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, Select, func, select
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.elo import (
    days_between,
    expected_success,
    skill_rating,
    skill_ratings,
    uncertainty,
)
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.analytics.common import AnalyticsConfig, skill_names
from smartpractice.storage.catalog_queries import typical_difficulties
from smartpractice.storage.models import Event, Item, ItemSkill, Student
from smartpractice.storage.models import StudentSkill as Rating

__all__ = [
    "CohortFilter",
    "cohort_view",
    "filter_options",
    "practised_topics",
    "recent_students",
]


@dataclass(frozen=True, slots=True)
class CohortFilter:
    """A class or cohort: students who practised `topic` (of `subject`, `grade`), optionally
    only ids starting with `prefix` (a customer's class or school namespace)."""

    grade: int | None = None
    subject: str | None = None
    topic: str | None = None
    prefix: str | None = None


def recent_students(session: Session, *, limit: int = 20) -> list[dict[str, Any]]:
    """The most recently active students with their counts."""
    rows = session.execute(
        select(Student.student_id, Student.attempts, Student.correct, Student.last_at)
        .where(Student.last_at.is_not(None))
        .order_by(Student.last_at.desc())
        .limit(limit)
    )
    return [
        {"student_id": s, "attempts": a, "success_rate": c / a if a else None, "last_at": t}
        for s, a, c, t in rows
    ]


def filter_options(session: Session) -> list[dict[str, Any]]:
    """Every (grade, subject, chapter, topic) of the catalogue with its attempts so far,
    for the cohort and item filters."""
    rows = session.execute(
        select(Item.grade, Item.subject, Item.chapter, Item.topic, func.sum(Item.attempts))
        .group_by(Item.grade, Item.subject, Item.chapter, Item.topic)
        .order_by(Item.grade, Item.subject, Item.chapter, Item.topic)
    )
    return [
        {"grade": g, "subject": s, "chapter": c, "topic": t, "attempts": int(n or 0)}
        for g, s, c, t, n in rows
    ]


def practised_topics(session: Session, where: CohortFilter) -> list[dict[str, Any]]:
    """The topics (within `where`'s grade and subject) that students whose ids start with
    `where.prefix` have practised, most students first: each with its grade, subject and
    how many of those students have a rated skill of it. A student has practised a topic
    as the class view counts it: a rating on one of the topic's skills."""
    query = (
        select(
            Item.grade,
            Item.subject,
            Item.topic,
            func.count(func.distinct(Rating.student_id)),
        )
        .join(ItemSkill, ItemSkill.item_id == Item.item_id)
        .join(Rating, Rating.skill_id == ItemSkill.skill_id)
        .group_by(Item.grade, Item.subject, Item.topic)
    )
    if where.prefix:
        query = query.where(Rating.student_id.startswith(where.prefix, autoescape=True))
    if where.grade is not None:
        query = query.where(Item.grade == where.grade)
    if where.subject:
        query = query.where(Item.subject == where.subject)
    found = [
        {"grade": g, "subject": s, "topic": t, "students": int(n)}
        for g, s, t, n in session.execute(query)
    ]
    return sorted(found, key=lambda o: (-o["students"], o["topic"]))


def _topic_skills(session: Session, where: CohortFilter) -> list[str]:
    query = select(ItemSkill.skill_id).distinct().join(Item, Item.item_id == ItemSkill.item_id)
    if where.grade is not None:
        query = query.where(Item.grade == where.grade)
    if where.subject:
        query = query.where(Item.subject == where.subject)
    if where.topic:
        query = query.where(Item.topic == where.topic)
    return sorted(session.scalars(query))


def _rating_gains(
    session: Session, student_ids: Sequence[str], skills: set[str], *, window: int
) -> dict[str, float]:
    """Mean rating change (Elo points) over each student's last `window` answers that
    tested one of `skills`, from the per-event outcomes."""
    if not student_ids:
        return {}
    order = func.row_number().over(partition_by=Event.student_id, order_by=Event.seq.desc())
    recent = (
        select(Event.student_id, Event.seq, Event.outcome, order.label("n"))
        # Only applied events have an outcome; no status filter, so that the planner
        # reads the student's own events rather than every applied one.
        .where(Event.student_id.in_(student_ids))
        .subquery()
    )
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for student_id, seq, outcome in session.execute(
        select(recent.c.student_id, recent.c.seq, recent.c.outcome).where(recent.c.n <= window * 3)
    ):
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


def _driver_rows(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows of `statement` as the database driver's plain tuples.

    SQLAlchemy builds and compiles the statement; only the rows skip SQLAlchemy's `Row`
    objects, which for a large cohort cost as much as the query itself. Fit for columns
    the driver already returns as Python values (strings, numbers), not for datetimes.
    """
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    arguments: Any = (
        [params[name] for name in compiled.positiontup or ()] if compiled.positional else params
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, arguments)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _load_cohort(
    session: Session, where: CohortFilter, skills: list[str], *, config: ModelConfig
) -> _Cohort:
    """The cohort's ratings from the (skill, student, ...) covering index, and each of its
    students' ability once: a cohort can be every student there is, so no ORM objects and
    no per-row join."""
    ratings, students = Rating.__table__, Student.__table__
    in_cohort: list[ColumnElement[bool]] = [ratings.c.skill_id.in_(skills)]
    if where.prefix:
        # After the skill range of the index, so no collation question arises.
        in_cohort.append(ratings.c.student_id.startswith(where.prefix, autoescape=True))
    connection = session.connection()
    rows = _driver_rows(
        connection,
        select(
            ratings.c.student_id,
            ratings.c.skill_id,
            ratings.c.offset,
            ratings.c.attempts,
            ratings.c.correct,
        ).where(*in_cohort),
    )
    if not rows:
        empty = np.zeros(0, dtype=np.float64)
        return _Cohort([], empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty)
    abilities: dict[str, float] = dict(
        _driver_rows(
            connection,
            select(students.c.student_id, students.c.ability).where(
                students.c.student_id.in_(select(ratings.c.student_id).where(*in_cohort))
            ),
        )
    )
    student_ids, skill_ids, offsets, attempts, correct = zip(*rows, strict=True)
    index: dict[str, int] = {}
    student_of = np.array([index.setdefault(s, len(index)) for s in student_ids], dtype=np.int64)
    skill_index = {skill_id: n for n, skill_id in enumerate(skills)}
    skill_of = np.array([skill_index[s] for s in skill_ids], dtype=np.int64)
    ability = np.array([abilities[s] for s in index], dtype=np.float64)
    elo = config.elo
    typical_by_skill = typical_difficulties(session, skills)
    typical = np.array([typical_by_skill.get(s, elo.unlabelled_difficulty) for s in skills])
    rating = skill_ratings(
        abilities=ability[student_of],
        offsets=np.array(offsets, dtype=float),
        attempts=np.array(attempts, dtype=float),
        correct=np.array(correct, dtype=float),
        config=elo,
    )
    # expected_success (core.elo), vectorised: 1 / (1 + 10^((D - R) / scale)).
    exponent = np.clip((typical[skill_of] - rating) / elo.scale, -300.0, 300.0)
    return _Cohort(
        students=list(index),
        student_of=student_of,
        skill_of=skill_of,
        proficiency=1.0 / (1.0 + np.power(10.0, exponent)),
        attempts=np.array(attempts, dtype=float),
        correct=np.array(correct, dtype=float),
    )


def _page_cells(
    session: Session,
    student_ids: list[str],
    skills: list[str],
    *,
    config: ModelConfig,
    now: datetime,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each shown student's cells: proficiency, uncertainty, rating, attempts per skill."""
    typical = typical_difficulties(session, skills)
    elo = config.elo
    cells: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in student_ids}
    for student_id, skill_id, offset, attempts, correct, last_at, ability in session.execute(
        select(
            Rating.student_id,
            Rating.skill_id,
            Rating.offset,
            Rating.attempts,
            Rating.correct,
            Rating.last_at,
            Student.ability,
        )
        .join(Student, Student.student_id == Rating.student_id)
        .where(Rating.student_id.in_(student_ids), Rating.skill_id.in_(skills))
    ):
        state = RatingState(value=offset, attempts=attempts, correct=correct, last_at=last_at)
        rating = skill_rating(
            StudentRatings(ability=RatingState(value=ability), offsets={skill_id: state}),
            skill_id,
            config=elo,
        )
        cells[student_id][skill_id] = {
            "proficiency": expected_success(
                rating=rating,
                difficulty=typical.get(skill_id, elo.unlabelled_difficulty),
                scale=elo.scale,
            ),
            "uncertainty": uncertainty(
                attempts=attempts, days_since=days_between(last_at, now), schedule=elo.student
            ),
            "rating": rating,
            "attempts": attempts,
        }
    return cells


def cohort_view(
    session: Session,
    where: CohortFilter,
    *,
    config: ModelConfig,
    now: datetime,
    thresholds: AnalyticsConfig = AnalyticsConfig(),
    offset: int = 0,
    limit: int = 25,
) -> dict[str, Any]:
    """Students x skills heat map of a topic (weakest students first, a page of `limit`
    from `offset`), the group's weakest skills and its stuck students. Proficiency is each
    student's predicted success on the skill's typical item, as in the knowledge profile."""
    skills = _topic_skills(session, where)
    cohort = _load_cohort(session, where, skills, config=config)
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
    weakest: list[dict[str, Any]] = sorted(
        (
            {
                "skill_id": skill_id,
                "students": int(per_skill[k]),
                "mean_proficiency": float(skill_mean[k] / per_skill[k]),
                "weak_share": float(weak[k] / per_skill[k]),
            }
            for k, skill_id in enumerate(skills)
            if per_skill[k]
        ),
        key=lambda w: w["mean_proficiency"],
    )

    def summary(n: int) -> dict[str, Any]:
        return {
            "student_id": cohort.students[n],
            "attempts": int(attempts[n]),
            "success_rate": None if np.isnan(success[n]) else float(success[n]),
            "mean_proficiency": float(mean[n]),
        }

    most_success = thresholds.stuck_success_share * config.selection.target_success
    suspects = np.flatnonzero(
        (attempts >= thresholds.stuck_min_attempts)
        & (np.nan_to_num(success, nan=1.0) <= most_success)
    )
    candidates = sorted(suspects.tolist(), key=lambda n: (success[n], cohort.students[n]))[:50]
    gains = _rating_gains(
        session,
        [cohort.students[n] for n in candidates],
        set(skills),
        window=thresholds.stuck_window,
    )
    stuck = [
        {**summary(n), "rating_gain": gains[cohort.students[n]]}
        for n in candidates
        if cohort.students[n] in gains and gains[cohort.students[n]] <= thresholds.stuck_max_gain
    ]
    stuck_ids = {s["student_id"] for s in stuck}
    # Weakest first; ties by student id (np.lexsort sorts by its last key first).
    order = np.lexsort((np.array(cohort.students), mean)) if size else np.zeros(0, dtype=int)
    page = [summary(int(n)) for n in order[offset : offset + limit]]
    cells = _page_cells(session, [r["student_id"] for r in page], skills, config=config, now=now)
    for row in page:
        row["cells"] = cells[row["student_id"]]
        row["stuck"] = row["student_id"] in stuck_ids
    return {
        "filter": where,
        "skills": skills,
        "skill_names": skill_names(session, skills),
        "students_total": size,
        "rows": page,
        "offset": offset,
        "limit": limit,
        "weakest_skills": weakest,
        "stuck": stuck,
        "thresholds": thresholds,
    }
