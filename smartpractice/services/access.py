"""Tenants, API keys and the audit log (the service-wide tables of the default database).

A key is ``sp_<key id>_<secret>``: the key id finds the row, the secret is checked against
a salted SHA-256. The secret carries 256 random bits, so a fast hash is enough (no one
can search that space); a slow password hash would only cost every request milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartpractice.services.ports import InvalidInput, NotFound
from smartpractice.storage.db import DEFAULT_TENANT, check_tenant_id
from smartpractice.storage.models import ApiKey, AuditEntry, DashboardSession, Tenant

__all__ = [
    "KEY_PREFIX",
    "AuditRecord",
    "CreatedKey",
    "KeyInfo",
    "Principal",
    "Scope",
    "audit_entries",
    "authenticate",
    "close_dashboard_session",
    "create_key",
    "dashboard_principal",
    "ensure_tenant",
    "list_keys",
    "list_tenants",
    "open_dashboard_session",
    "record_audit",
    "revoke_key",
]

KEY_PREFIX = "sp_"


class Scope(StrEnum):
    """What a key may do. ``admin`` may do everything; the others only their own part."""

    ingest = "ingest"
    """Post attempts and tutor sessions."""
    read = "read"
    """Profiles, next question, items, the dashboard."""
    admin = "admin"
    """Import, replay, delete students, keys, the audit log and metrics."""

    def allows(self, needed: Scope) -> bool:
        return self is Scope.admin or self is needed


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name, its tenant and scope."""

    key_id: str
    key_name: str
    tenant_id: str
    scope: Scope


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    tenant_id: str
    scope: Scope
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    info: KeyInfo
    token: str
    """The whole key, shown once: only its hash is stored."""


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    tenant_id: str
    key_name: str
    action: str
    detail: dict[str, Any]


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        name=row.name,
        tenant_id=row.tenant_id,
        scope=Scope(row.scope),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def ensure_tenant(session: Session, tenant_id: str, name: str | None = None) -> bool:
    """Register `tenant_id` if it is new; True when it was created. Its tables are made by
    `smartpractice.storage.db.upgrade_schema(url, tenant_id)`."""
    try:
        check_tenant_id(tenant_id)
    except ValueError as error:
        raise InvalidInput([{"loc": ["tenant"], "msg": str(error), "input": tenant_id}]) from None
    if session.get(Tenant, tenant_id) is not None:
        return False
    session.add(Tenant(tenant_id=tenant_id, name=name or tenant_id, created_at=datetime.now(UTC)))
    session.flush()
    return True


def list_tenants(session: Session) -> list[str]:
    """Every registered tenant, the default one first (it exists even when unregistered)."""
    others = session.scalars(
        select(Tenant.tenant_id).where(Tenant.tenant_id != DEFAULT_TENANT).order_by("tenant_id")
    )
    return [DEFAULT_TENANT, *others]


def tenant_names(session: Session) -> dict[str, str]:
    """Every registered tenant's name by id, in `list_tenants` order (the default tenant's
    name is empty until it is registered)."""
    names = dict(session.execute(select(Tenant.tenant_id, Tenant.name)).tuples().all())
    return {tenant_id: names.get(tenant_id, "") for tenant_id in list_tenants(session)}


def create_key(session: Session, *, tenant_id: str, scope: Scope, name: str) -> CreatedKey:
    """A new key for a registered tenant; the returned token is the only copy."""
    if not name.strip() or len(name) > 200:
        raise InvalidInput([{"loc": ["name"], "msg": "must be 1-200 characters", "input": name}])
    if session.get(Tenant, tenant_id) is None:
        raise InvalidInput(
            [{"loc": ["tenant"], "msg": "no such tenant; create it first", "input": tenant_id}]
        )
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    row = ApiKey(
        key_id=key_id,
        tenant_id=tenant_id,
        name=name,
        scope=scope.value,
        salt=salt,
        secret_hash=_hash(salt, secret),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return CreatedKey(info=_info(row), token=f"{KEY_PREFIX}{key_id}_{secret}")


def list_keys(session: Session, tenant_id: str | None = None) -> list[KeyInfo]:
    query = select(ApiKey).order_by(ApiKey.tenant_id, ApiKey.created_at)
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    return [_info(row) for row in session.scalars(query)]


def revoke_key(session: Session, key_id: str) -> KeyInfo:
    """Revoke a key at once (idempotent); NotFound for an unknown key id."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    return _info(row)


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal of a live key, None for anything else (malformed, unknown, wrong
    secret, revoked): callers answer all of these alike."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key_id, _, secret = token[len(KEY_PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(row.salt, secret)):
        return None
    return Principal(
        key_id=row.key_id, key_name=row.name, tenant_id=row.tenant_id, scope=Scope(row.scope)
    )


def _session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_dashboard_session(
    session: Session, principal: Principal, *, now: datetime, lifetime: timedelta
) -> str:
    """A new dashboard session for `principal`'s key, until `now + lifetime`; returns its
    id (256 random bits) for the browser's cookie. Only a digest of the id is stored.
    Expired sessions are removed on the way."""
    session.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            id_hash=_session_digest(session_id),
            key_id=principal.key_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return session_id


def dashboard_principal(session: Session, session_id: str, *, now: datetime) -> Principal | None:
    """The principal of a live dashboard session (not expired, its key not revoked)."""
    if not session_id or len(session_id) > 100:
        return None
    row = session.execute(
        select(ApiKey)
        .join(DashboardSession, DashboardSession.key_id == ApiKey.key_id)
        .where(
            DashboardSession.id_hash == _session_digest(session_id),
            DashboardSession.expires_at > now,
            ApiKey.revoked_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(
        key_id=row.key_id, key_name=row.name, tenant_id=row.tenant_id, scope=Scope(row.scope)
    )


def close_dashboard_session(session: Session, session_id: str) -> None:
    """Sign a dashboard session out (its id stops working everywhere at once)."""
    session.execute(
        delete(DashboardSession).where(DashboardSession.id_hash == _session_digest(session_id))
    )


def record_audit(
    session: Session, *, tenant_id: str, key_name: str, action: str, detail: dict[str, Any]
) -> None:
    """Append one audit entry. `detail` must hold no personal data (counts, ids of keys)."""
    session.add(
        AuditEntry(
            at=datetime.now(UTC),
            tenant_id=tenant_id,
            key_name=key_name,
            action=action,
            detail=detail,
        )
    )
    session.flush()


def audit_entries(session: Session, tenant_id: str, *, limit: int = 100) -> list[AuditRecord]:
    """A tenant's newest audit entries first."""
    rows = session.scalars(
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
