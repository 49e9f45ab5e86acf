"""Per-student reads: next Smart Practice question, knowledge profile, skill ratings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from smartpractice.api.deps import (
    SettingsDep,
    profile_cache,
    running_experiments,
    scope_cache,
)
from smartpractice.api.schemas import (
    NOT_FOUND,
    LearningPathOut,
    NextQuestionOut,
    ProfileOut,
    StudentSkillsOut,
    encoded,
)
from smartpractice.api.security import ReadDatabase
from smartpractice.services.exam_practice import EXAM_MODE, exam_next_question
from smartpractice.services.experiments import serve_under
from smartpractice.services.ports import InvalidInput
from smartpractice.services.practice import Scope, next_question, student_learning_path
from smartpractice.services.students import knowledge_profile, student_skills
from smartpractice.services.tutoring import student_misconceptions
from smartpractice.storage.sql_exams import SqlExamStore
from smartpractice.storage.sql_experiments import SqlExperimentStore
from smartpractice.storage.sql_practice import SqlPickLog
from smartpractice.storage.sql_students import SqlStudentStore
from smartpractice.storage.sql_tutoring import SqlTutoringStore

router = APIRouter(prefix="/v1/students", tags=["students"])


def _scope(
    subject: str | None = None,
    chapter: str | None = None,
    topic: str | None = None,
    skills: Annotated[str | None, Query(description="comma-separated skill ids")] = None,
) -> Scope:
    """The scope's query parameters, shared by next-question and learning-path."""
    return Scope(
        subject=subject,
        chapter=chapter,
        topic=topic,
        skills=tuple(s.strip() for s in skills.split(",") if s.strip()) if skills else (),
    )


ScopeQuery = Annotated[Scope, Depends(_scope)]


@router.get(
    "/{student_id}/next-question",
    response_model=NextQuestionOut,
    responses=NOT_FOUND,
    summary="Next Smart Practice item, with why",
)
def get_next_question(
    request: Request,
    student_id: str,
    db: ReadDatabase,
    settings: SettingsDep,
    scope: ScopeQuery,
    seed: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    mode: Annotated[
        Literal["practice", "exam"],
        Query(
            description="`exam`: the skill worth the most expected marks per hour before the "
            "date of `exam` (the scope parameters do not apply)"
        ),
    ] = "practice",
    exam: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> dict[str, Any]:
    if mode == EXAM_MODE and exam is None:
        raise InvalidInput([{"loc": ["query", "exam"], "msg": "mode=exam needs an exam id"}])
    with db.transaction() as session:
        known = SqlStudentStore(session).version(student_id) is not None
        pick = session.begin_nested()
        log = SqlPickLog(session, scope_cache(request, db))
        now = datetime.now(UTC)
        if mode == EXAM_MODE and exam is not None:
            # Exam mode chooses by the exam's blueprint, outside any experiment.
            answer = exam_next_question(
                log,
                SqlExamStore(session),
                student_id,
                exam,
                config=settings.model,
                now=now,
                seed=seed,
            )
        else:
            running = running_experiments(request, db).running(session)
            # No running experiment: no extra read at all.
            served = (
                serve_under(
                    SqlExperimentStore(session),
                    running,
                    student_id,
                    scope,
                    config=settings.model,
                    now=now,
                )
                if running
                else None
            )
            answer = next_question(
                log,
                student_id,
                scope,
                config=served.config if served else settings.model,
                now=now,
                seed=seed,
                policy=served.policy if served else "smart_practice",
                experiment=(served.experiment_id, served.arm) if served else None,
            )
        if known:
            pick.commit()
            return encoded(answer)
        # A student with no applied attempt yet: answered, but not logged, so that any id
        # a read key names leaves no row behind.
        pick.rollback()
        return encoded(dataclasses.replace(answer, selection_id=None))


@router.get(
    "/{student_id}/learning-path",
    response_model=LearningPathOut,
    responses=NOT_FOUND,
    summary="The student's path through a scope: each skill's status and the evidence",
)
def get_learning_path(
    request: Request,
    student_id: str,
    db: ReadDatabase,
    settings: SettingsDep,
    scope: ScopeQuery,
) -> dict[str, Any]:
    """Skills in path order with status `mastered`, `review_due`, `frontier`,
    `estimated` or `locked`, the evidence behind each, and the expected number of
    questions to master the scope. A student never seen gets a new student's path."""
    with db.transaction() as session:
        path = student_learning_path(
            SqlPickLog(session, scope_cache(request, db)),
            student_id,
            scope,
            config=settings.model,
            now=datetime.now(UTC),
        )
    return encoded(path)


@router.get(
    "/{student_id}/profile",
    response_model=ProfileOut,
    responses=NOT_FOUND,
    summary="Knowledge profile: subject > chapter > topic",
)
def get_profile(
    request: Request, student_id: str, db: ReadDatabase, settings: SettingsDep
) -> dict[str, Any]:
    cache = profile_cache(request)
    with db.transaction() as session:
        store = SqlStudentStore(session)
        version = store.version(student_id)
        if cache is not None and version is not None:
            cached = cache.get(db.tenant_id, student_id, version)
            if cached is not None:
                return cached
        profile = knowledge_profile(
            store,
            student_id,
            config=settings.model,
            now=datetime.now(UTC),
            misconceptions=student_misconceptions(SqlTutoringStore(session), student_id),
        )
    found = encoded(profile)
    if cache is not None and version is not None:
        cache.put(db.tenant_id, student_id, version, found)
    return found


@router.get(
    "/{student_id}/skills",
    response_model=StudentSkillsOut,
    responses=NOT_FOUND,
    summary="Ratings, uncertainty and counts per skill",
)
def get_skills(student_id: str, db: ReadDatabase, settings: SettingsDep) -> dict[str, Any]:
    with db.transaction() as session:
        skills = student_skills(
            SqlStudentStore(session), student_id, config=settings.model, now=datetime.now(UTC)
        )
    return encoded(skills)
