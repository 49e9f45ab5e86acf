"""Exam blueprints, readiness and mock tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session

from smartpractice.api.deps import SettingsDep, audit, located_in_body, parse_body, scope_cache
from smartpractice.api.schemas import (
    BODY_RESPONSES,
    NOT_FOUND,
    ExamBatch,
    ExamList,
    MockTestOut,
    MockTestReportOut,
    ReadinessOut,
    UpsertResult,
    encoded,
)
from smartpractice.api.security import AdminDatabase, AdminKey, ReadDatabase
from smartpractice.services.exams import exam_readiness, get_exam, list_exams, upsert_exams
from smartpractice.services.mock_tests import create_mock_test, mock_test_report
from smartpractice.services.ports import CatalogView
from smartpractice.services.schemas import ExamIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_exams import SqlExamStore
from smartpractice.storage.sql_practice import SqlPickLog

router = APIRouter(prefix="/v1", tags=["exams"])


def _student_view(
    request: Request, db: Database, session: Session, settings: Settings, student_id: str
) -> CatalogView:
    """What the service knows of the student and the catalogue, read in `session`."""
    return SqlPickLog(session, scope_cache(request, db)).view(
        student_id, recent_window=settings.model.selection.recent_window
    )


ExamQuery = Annotated[
    str, Query(min_length=1, max_length=200, description="The exam's id (`GET /v1/exams`).")
]
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Unusable input: each problem names its field"}
}


@router.post(
    "/exams",
    response_model=UpsertResult,
    responses=BODY_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExamBatch"}}}
        }
    },
    summary="Create or replace exam blueprints (a list, or {'exams': [...]})",
)
def post_exams(
    request: Request, db: AdminDatabase, principal: AdminKey, body: Any = Body(...)
) -> UpsertResult:
    """Nothing is stored if any blueprint is bad: weights that do not add up to the paper,
    a chapter or topic the bank does not have, an exam date in the past."""
    batch = parse_body(ExamBatch, {"exams": body} if isinstance(body, list) else body)
    with located_in_body("exams"), db.transaction() as session:
        upserted = upsert_exams(SqlExamStore(session), batch.exams, today=datetime.now(UTC).date())
    audit(request, principal, "exams.import", {"upserted": upserted})
    return UpsertResult(upserted=upserted)


@router.get("/exams", response_model=ExamList, summary="List exam blueprints")
def get_exams(db: ReadDatabase) -> ExamList:
    with db.transaction() as session:
        return ExamList(data=list_exams(SqlExamStore(session)))


@router.get(
    "/exams/{exam_id}", response_model=ExamIn, responses=NOT_FOUND, summary="One exam blueprint"
)
def get_one_exam(exam_id: str, db: ReadDatabase) -> ExamIn:
    with db.transaction() as session:
        return get_exam(SqlExamStore(session), exam_id)


@router.get(
    "/students/{student_id}/readiness",
    response_model=ReadinessOut,
    responses={**NOT_FOUND, **_INVALID},
    summary="Expected marks on the exam's paper, the 80% interval, per chapter",
)
def get_readiness(
    request: Request,
    student_id: str,
    exam: ExamQuery,
    db: ReadDatabase,
    settings: SettingsDep,
) -> dict[str, Any]:
    """From the student's skill estimates and their uncertainty and the items'
    difficulties; never-practised skills (hierarchical estimates) widen the interval."""
    with db.transaction() as session:
        readiness = exam_readiness(
            _student_view(request, db, session, settings, student_id),
            SqlExamStore(session),
            student_id,
            exam,
            config=settings.model,
            now=datetime.now(UTC),
        )
    return encoded(readiness)


@router.post(
    "/students/{student_id}/mock-tests",
    response_model=MockTestOut,
    status_code=201,
    responses={**NOT_FOUND, **_INVALID},
    summary="Assemble a mock test to the exam's blueprint",
)
def post_mock_test(
    request: Request,
    student_id: str,
    exam: ExamQuery,
    db: ReadDatabase,
    settings: SettingsDep,
    seed: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    exclude_days: Annotated[float, Query(ge=0, le=3650)] = 30.0,
) -> dict[str, Any]:
    """Questions per chapter or topic and a difficulty spread as the blueprint says, the
    most exam-like items first, none the student answered in the last `exclude_days`
    days; the same seed gives the same paper. 422 naming what is missing when the bank
    cannot fill the blueprint (nothing stored)."""
    with db.transaction() as session:
        paper = create_mock_test(
            _student_view(request, db, session, settings, student_id),
            SqlExamStore(session),
            student_id,
            exam,
            config=settings.model,
            now=datetime.now(UTC),
            seed=secrets.randbelow(2**31) if seed is None else seed,
            exclude_days=exclude_days,
        )
    return encoded(paper)


@router.get(
    "/mock-tests/{paper_id}",
    response_model=MockTestReportOut,
    responses=NOT_FOUND,
    summary="A mock test's score report so far",
)
def get_mock_test(paper_id: str, db: ReadDatabase) -> dict[str, Any]:
    with db.transaction() as session:
        report = mock_test_report(SqlExamStore(session), paper_id)
    return encoded(report)
