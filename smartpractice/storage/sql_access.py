"""The database's `AccessStore`: tenants, API keys, dashboard sessions and the audit log,
the service-wide tables of the default database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartpractice.services.ports import AuditRecord, StoredKey
from smartpractice.storage.db import DEFAULT_TENANT, check_tenant_id
from smartpractice.storage.models import ApiKey, AuditEntry, DashboardSession, Tenant

__all__ = ["SqlAccessStore"]


def _stored(row: ApiKey) -> StoredKey:
    return StoredKey(
        key_id=row.key_id,
        tenant_id=row.tenant_id,
        name=row.name,
        scope=row.scope,
        salt=row.salt,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlAccessStore:
    """`AccessStore` over a session of the default database (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def register_tenant(self, tenant_id: str, name: str, *, now: datetime) -> bool:
        check_tenant_id(tenant_id)
        if self._session.get(Tenant, tenant_id) is not None:
            return False
        self._session.add(Tenant(tenant_id=tenant_id, name=name, created_at=now))
        self._session.flush()
        return True

    def tenants(self) -> list[tuple[str, str]]:
        names = dict(
            self._session.execute(select(Tenant.tenant_id, Tenant.name).order_by(Tenant.tenant_id))
            .tuples()
            .all()
        )
        others = [(t, n) for t, n in names.items() if t != DEFAULT_TENANT]
        return [(DEFAULT_TENANT, names.get(DEFAULT_TENANT, "")), *others]

    def tenant_exists(self, tenant_id: str) -> bool:
        return self._session.get(Tenant, tenant_id) is not None

    def add_key(self, key: StoredKey) -> None:
        self._session.add(
            ApiKey(
                key_id=key.key_id,
                tenant_id=key.tenant_id,
                name=key.name,
                scope=key.scope,
                salt=key.salt,
                secret_hash=key.secret_hash,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )
        self._session.flush()

    def key(self, key_id: str) -> StoredKey | None:
        row = self._session.get(ApiKey, key_id)
        return None if row is None else _stored(row)

    def keys(self, tenant_id: str | None) -> list[StoredKey]:
        query = select(ApiKey).order_by(ApiKey.tenant_id, ApiKey.created_at)
        if tenant_id is not None:
            query = query.where(ApiKey.tenant_id == tenant_id)
        return [_stored(row) for row in self._session.scalars(query)]

    def revoke_key(self, key_id: str, *, at: datetime) -> None:
        row = self._session.get(ApiKey, key_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            self._session.flush()

    def open_dashboard_session(
        self, id_hash: str, key_id: str, *, now: datetime, expires_at: datetime
    ) -> None:
        self._session.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
        self._session.add(
            DashboardSession(id_hash=id_hash, key_id=key_id, created_at=now, expires_at=expires_at)
        )

    def dashboard_session_key(self, id_hash: str, *, now: datetime) -> StoredKey | None:
        row = self._session.execute(
            select(ApiKey)
            .join(DashboardSession, DashboardSession.key_id == ApiKey.key_id)
            .where(
                DashboardSession.id_hash == id_hash,
                DashboardSession.expires_at > now,
                ApiKey.revoked_at.is_(None),
            )
        ).scalar_one_or_none()
        return None if row is None else _stored(row)

    def close_dashboard_session(self, id_hash: str) -> None:
        self._session.execute(delete(DashboardSession).where(DashboardSession.id_hash == id_hash))

    def add_audit(self, entry: AuditRecord) -> None:
        self._session.add(
            AuditEntry(
                at=entry.at,
                tenant_id=entry.tenant_id,
                key_name=entry.key_name,
                action=entry.action,
                detail=entry.detail,
            )
        )
        self._session.flush()

    def audit_entries(self, tenant_id: str, *, limit: int) -> list[AuditRecord]:
        rows = self._session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [
            AuditRecord(
                id=r.id,
                at=r.at,
                tenant_id=r.tenant_id,
                key_name=r.key_name,
                action=r.action,
                detail=r.detail,
            )
            for r in rows
        ]
