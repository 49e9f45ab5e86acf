"""Liveness and readiness (no key needed, so it says nothing about any tenant's data)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from smartpractice.api.schemas import HealthOut
from smartpractice.api.security import PUBLIC
from smartpractice.storage.db import Database
from smartpractice.storage.sql_health import check_connection

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", response_model=HealthOut, summary="Database reachable", openapi_extra=PUBLIC
)
def healthz(request: Request) -> HealthOut:
    db: Database = request.app.state.db
    with db.transaction() as session:
        check_connection(session)
    return HealthOut(status="ok", database="ok")
