"""AI-tutor chats (durable, idempotent, analysed off the request path) and the
misconception catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from smartpractice.api.deps import (
    SettingsDep,
    audit,
    located_in_body,
    notify_worker,
    parse_body,
)
from smartpractice.api.schemas import (
    BODY_RESPONSES,
    CONFLICT,
    NOT_FOUND,
    MisconceptionList,
    MisconceptionOut,
    TutorSessionStatus,
    UpsertResult,
)
from smartpractice.api.security import AdminDatabase, AdminKey, IngestDatabase, ReadDatabase
from smartpractice.services.schemas import MisconceptionIn, TutorSessionIn
from smartpractice.services.tutoring import (
    accept_tutor_session,
    list_misconceptions,
    tutor_session_status,
    upsert_misconceptions,
)
from smartpractice.storage.sql_tutoring import SqlTutoringStore

router = APIRouter(prefix="/v1", tags=["tutor"])


class MisconceptionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    misconceptions: list[MisconceptionIn] = Field(min_length=1, max_length=10000)


class TutorSessionAccepted(BaseModel):
    session_id: str
    duplicate: bool


@router.post(
    "/tutor-sessions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TutorSessionAccepted,
    responses={**BODY_RESPONSES, **CONFLICT},
    summary="Accept an AI-tutor chat; it is analysed off the request path",
)
def post_tutor_session(
    chat: TutorSessionIn, db: IngestDatabase, settings: SettingsDep, request: Request
) -> TutorSessionAccepted:
    """Stored (with e-mail addresses and phone numbers redacted) before the 202. The same
    session id with the same content is a harmless duplicate; with other content, a 409."""
    with located_in_body(None), db.transaction() as session:
        accepted = accept_tutor_session(
            SqlTutoringStore(session), chat, now=datetime.now(UTC), partitions=settings.partitions
        )
    if not accepted.duplicate:
        notify_worker(request, db, {accepted.partition})
    return TutorSessionAccepted(session_id=chat.session_id, duplicate=accepted.duplicate)


@router.get(
    "/tutor-sessions/{session_id}",
    response_model=TutorSessionStatus,
    responses=NOT_FOUND,
    summary="Status and analysis of one chat",
)
def get_tutor_session(session_id: str, db: ReadDatabase) -> TutorSessionStatus:
    with db.transaction() as session:
        found = tutor_session_status(SqlTutoringStore(session), session_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown session_id")
    return TutorSessionStatus.model_validate(found, from_attributes=True)


@router.post(
    "/misconceptions",
    response_model=UpsertResult,
    responses=BODY_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/MisconceptionBatch"}}
            }
        }
    },
    summary="Create or replace catalogue misconceptions (a list or {'misconceptions': [...]})",
)
def post_misconceptions(
    request: Request, db: AdminDatabase, principal: AdminKey, body: Any = Body(...)
) -> UpsertResult:
    batch = parse_body(
        MisconceptionBatch, {"misconceptions": body} if isinstance(body, list) else body
    )
    with located_in_body("misconceptions"), db.transaction() as session:
        upserted = upsert_misconceptions(SqlTutoringStore(session), batch.misconceptions)
    audit(request, principal, "misconceptions.import", {"upserted": upserted})
    return UpsertResult(upserted=upserted)


@router.get(
    "/misconceptions",
    response_model=MisconceptionList,
    summary="The misconception catalogue, optionally for one skill",
)
def get_misconceptions(db: ReadDatabase, skill: str | None = None) -> MisconceptionList:
    with db.transaction() as session:
        entries = list_misconceptions(SqlTutoringStore(session), skill_id=skill)
    return MisconceptionList(
        data=[MisconceptionOut.model_validate(e, from_attributes=True) for e in entries]
    )
