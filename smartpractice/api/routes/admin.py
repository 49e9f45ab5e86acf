"""Admin actions of a tenant: deleting a student completely, reading the audit log."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status

from smartpractice.api.deps import SettingsDep, profile_cache
from smartpractice.api.schemas import (
    NOT_FOUND,
    AuditEntryOut,
    AuditLog,
    DeletedRows,
    StudentDeleted,
)
from smartpractice.api.security import AdminDatabase, AdminKey
from smartpractice.services.access import audit_entries, record_audit
from smartpractice.services.data_protection import delete_student
from smartpractice.services.events import lock_partitions
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_data_protection import SqlDataProtectionStore
from smartpractice.storage.sql_events import SqlEventStore

router = APIRouter(prefix="/v1", tags=["admin"])

log = logging.getLogger(__name__)


@router.delete(
    "/students/{student_id}",
    response_model=StudentDeleted,
    responses=NOT_FOUND,
    summary="Delete a student and all their data",
)
def delete_one_student(
    request: Request,
    student_id: str,
    db: AdminDatabase,
    principal: AdminKey,
    settings: SettingsDep,
) -> StudentDeleted:
    """Removes the student's ratings, events, tutor chats, selections, misconceptions and
    cached profile; item difficulties keep what they learned. The audit log records who
    deleted how many rows, not whom."""
    with db.transaction() as session:
        deletion = delete_student(
            SqlDataProtectionStore(session),
            student_id,
            partitions=settings.partitions,
            lock_partition=lambda partition: lock_partitions(
                SqlEventStore(session), [partition], wait=True
            ),
        )
    removed = deletion.counts()
    if not any(removed.values()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown student_id")
    cache = profile_cache(request)
    removed["cached_profiles"] = cache.forget(db.tenant_id, student_id) if cache else 0
    root: Database = request.app.state.db
    with root.transaction() as session:
        record_audit(
            SqlAccessStore(session),
            tenant_id=principal.tenant_id,
            key_name=principal.key_name,
            action="student.delete",
            detail={"rows": removed},
        )
    log.info("student deleted", extra={"action": "student_delete"})
    return StudentDeleted(deleted=True, rows=DeletedRows(**removed))


@router.get("/audit", response_model=AuditLog, summary="The tenant's audit log, newest first")
def get_audit(
    request: Request,
    principal: AdminKey,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditLog:
    root: Database = request.app.state.db
    with root.transaction() as session:
        entries = audit_entries(SqlAccessStore(session), principal.tenant_id, limit=limit)
    return AuditLog(data=[AuditEntryOut.model_validate(e, from_attributes=True) for e in entries])
