"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from smartpractice.api.deps import DatabaseDep
from smartpractice.services.events import pending_count

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable; events waiting to be applied")
def healthz(db: DatabaseDep) -> dict[str, Any]:
    with db.transaction() as session:
        pending = pending_count(session)
    return {"status": "ok", "database": "ok", "pending_events": pending}
