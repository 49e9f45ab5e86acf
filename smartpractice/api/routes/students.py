"""Per-student reads: next Smart Practice question, knowledge profile, skill ratings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic_core import to_jsonable_python

from smartpractice.api.deps import SettingsDep, profile_cache, scope_cache
from smartpractice.api.schemas import NOT_FOUND
from smartpractice.api.security import ReadDatabase
from smartpractice.services.practice import Scope, next_question, student_learning_path
from smartpractice.services.students import knowledge_profile, student_skills, student_version

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
) -> dict[str, Any]:
    with db.transaction() as session:
        known = student_version(session, student_id) is not None
        pick = session.begin_nested()
        answer = next_question(
            session,
            student_id,
            scope,
            config=settings.model,
            now=datetime.now(UTC),
            seed=seed,
            cache=scope_cache(request, db),
        )
        if known:
            pick.commit()
            return answer
        # A student with no applied attempt yet: answered, but not logged, so that any id
        # a read key names leaves no row behind.
        pick.rollback()
        return {**answer, "selection_id": None}


@router.get(
    "/{student_id}/learning-path",
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
        return student_learning_path(
            session,
            student_id,
            scope,
            config=settings.model,
            now=datetime.now(UTC),
            cache=scope_cache(request, db),
        )


@router.get(
    "/{student_id}/profile",
    responses=NOT_FOUND,
    summary="Knowledge profile: subject > chapter > topic",
)
def get_profile(
    request: Request, student_id: str, db: ReadDatabase, settings: SettingsDep
) -> dict[str, Any]:
    cache = profile_cache(request)
    with db.transaction() as session:
        version = student_version(session, student_id)
        if cache is not None and version is not None:
            cached = cache.get(db.tenant_id, student_id, version)
            if cached is not None:
                return cached
        profile = knowledge_profile(
            session, student_id, config=settings.model, now=datetime.now(UTC)
        )
    if cache is not None and version is not None:
        cache.put(db.tenant_id, student_id, version, to_jsonable_python(profile))
    return profile


@router.get(
    "/{student_id}/skills",
    responses=NOT_FOUND,
    summary="Ratings, uncertainty and counts per skill",
)
def get_skills(student_id: str, db: ReadDatabase, settings: SettingsDep) -> dict[str, Any]:
    with db.transaction() as session:
        return student_skills(session, student_id, config=settings.model, now=datetime.now(UTC))
