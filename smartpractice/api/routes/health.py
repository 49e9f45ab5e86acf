"""Liveness and readiness (no key needed, so it says nothing about any tenant's data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from smartpractice.api.security import PUBLIC
from smartpractice.storage.db import Database

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable", openapi_extra=PUBLIC)
def healthz(request: Request) -> dict[str, Any]:
    db: Database = request.app.state.db
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
