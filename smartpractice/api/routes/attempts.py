"""POST /v1/attempts (durable, idempotent, 202) and GET /v1/attempts/{event_id}."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from smartpractice.api.deps import (
    SettingsDep,
    located_in_body,
    notify_worker,
    parse_body,
)
from smartpractice.api.schemas import (
    BODY_RESPONSES,
    CONFLICT,
    MAX_BATCH,
    NOT_FOUND,
    AttemptBatch,
    AttemptsAccepted,
    EventStatusOut,
    MockTestReportOut,
    encoded,
)
from smartpractice.api.security import IngestDatabase, charge_events
from smartpractice.services.events import accept_attempts, catalog_problems, event_status
from smartpractice.services.mock_tests import MockTestReport, record_mock_answers
from smartpractice.services.schemas import AttemptIn
from smartpractice.storage.db import Database, is_transient_conflict
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.storage.sql_exams import SqlExamStore

_TRIES = 5

router = APIRouter(prefix="/v1/attempts", tags=["attempts"])

_BODY_SCHEMA = {
    "oneOf": [
        {"$ref": "#/components/schemas/AttemptIn"},
        {"$ref": "#/components/schemas/AttemptBatch"},
        {
            "type": "array",
            "items": {"$ref": "#/components/schemas/AttemptIn"},
            "minItems": 1,
            "maxItems": MAX_BATCH,
        },
    ]
}


def _parse(db: Database, body: Any) -> list[AttemptIn]:
    # A single attempt has its own integer "attempts" field; a batch has only a list.
    if isinstance(body, list):
        body = {"attempts": body}
    if isinstance(body, dict) and "event_id" not in body and isinstance(body.get("attempts"), list):
        try:
            return parse_body(AttemptBatch, body).attempts
        except RequestValidationError as error:
            # Report every bad row at once: also the rows that are well formed but name
            # an unknown item (found otherwise only after the others are fixed).
            problems = [*error.errors(), *_catalog_errors(db, body["attempts"])]
            problems.sort(key=lambda e: [str(part).zfill(9) for part in e["loc"]])
            raise RequestValidationError(problems) from None
    return [parse_body(AttemptIn, body)]


def _catalog_errors(db: Database, rows: list[Any]) -> list[dict[str, Any]]:
    valid: list[tuple[int, AttemptIn]] = []
    for index, row in enumerate(rows[:MAX_BATCH]):
        try:
            valid.append((index, AttemptIn.model_validate(row)))
        except ValidationError:
            continue
    if not valid:
        return []
    with db.transaction() as session:
        problems = catalog_problems(SqlEventStore(session), [attempt for _, attempt in valid])
    return [
        {
            "type": "value_error",
            "loc": ("body", "attempts", valid[p["loc"][0]][0], *p["loc"][1:]),
            "msg": p["msg"],
        }
        for p in problems
    ]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AttemptsAccepted,
    response_model_exclude_none=True,
    responses={**BODY_RESPONSES, **CONFLICT},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": _BODY_SCHEMA}}}},
    summary="Accept one graded attempt, or a batch of up to 1,000 (a list or {'attempts': [...]})",
)
def post_attempts(
    db: IngestDatabase, settings: SettingsDep, request: Request, body: Any = Body(...)
) -> AttemptsAccepted:
    """Stores the attempts durably and answers 202 before any rating math. Re-sending an
    event id with the same content is accepted and not applied twice; with other content it
    is a 409."""
    attempts = _parse(db, body)
    charge_events(request, len(attempts))
    is_batch = not (isinstance(body, dict) and "event_id" in body)
    reports: list[MockTestReport] = []
    for tries_left in range(_TRIES - 1, -1, -1):
        try:
            with located_in_body("attempts" if is_batch else None), db.transaction() as session:
                result = accept_attempts(
                    SqlEventStore(session),
                    attempts,
                    now=datetime.now(UTC),
                    partitions=settings.partitions,
                    max_future=timedelta(seconds=settings.max_clock_skew_seconds),
                    max_age=timedelta(days=settings.max_event_age_days),
                )
                if any(a.paper_id is not None for a in attempts):
                    reports = record_mock_answers(SqlExamStore(session), attempts)
            break
        except DBAPIError as error:
            # Overlapping batches sent at once can deadlock on each other's new rows; run
            # again, each such id is then a duplicate or a conflict like any other.
            if not tries_left or not is_transient_conflict(error):
                raise
            time.sleep(random.uniform(0.01, 0.05))
    notify_worker(request, db, result.partitions)
    return AttemptsAccepted(
        accepted=len(result.accepted),
        duplicates=len(result.duplicates),
        event_ids=[a.event_id for a in attempts],
        mock_test_reports=[MockTestReportOut.model_validate(encoded(r)) for r in reports] or None,
    )


@router.get(
    "/{event_id}",
    response_model=EventStatusOut,
    responses=NOT_FOUND,
    summary="Status of one event",
)
def get_attempt(event_id: str, db: IngestDatabase) -> EventStatusOut:
    """pending, applied or rejected (with the reason)."""
    with db.transaction() as session:
        found = event_status(SqlEventStore(session), event_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown event_id")
    return EventStatusOut.model_validate(found, from_attributes=True)
