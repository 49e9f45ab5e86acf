"""Tenants, API keys and the audit log (the service-wide tables of the default database).

A key is ``sp_<key id>_<secret>``: the key id finds the row, the secret is checked against
a salted SHA-256. The secret carries 256 random bits, so a fast hash is enough (no one
can search that space); a slow password hash would only cost every request milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from smartpractice.services.ports import (
    AccessStore,
    AuditRecord,
    InvalidInput,
    NotFound,
    StoredKey,
)

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
    "tenant_names",
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


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def _info(key: StoredKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id,
        name=key.name,
        tenant_id=key.tenant_id,
        scope=Scope(key.scope),
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _principal(key: StoredKey) -> Principal:
    return Principal(
        key_id=key.key_id, key_name=key.name, tenant_id=key.tenant_id, scope=Scope(key.scope)
    )


def ensure_tenant(store: AccessStore, tenant_id: str, name: str | None = None) -> bool:
    """Register `tenant_id` if it is new; True when it was created. Its tables are made by
    `smartpractice.storage.db.upgrade_schema(url, tenant_id)`."""
    try:
        return store.register_tenant(tenant_id, name or tenant_id, now=datetime.now(UTC))
    except ValueError as error:
        raise InvalidInput([{"loc": ["tenant"], "msg": str(error), "input": tenant_id}]) from None


def list_tenants(store: AccessStore) -> list[str]:
    """Every registered tenant, the default one first (it exists even when unregistered)."""
    return [tenant_id for tenant_id, _ in store.tenants()]


def tenant_names(store: AccessStore) -> dict[str, str]:
    """Every registered tenant's name by id, in `list_tenants` order (the default tenant's
    name is empty until it is registered)."""
    return dict(store.tenants())


def create_key(store: AccessStore, *, tenant_id: str, scope: Scope, name: str) -> CreatedKey:
    """A new key for a registered tenant; the returned token is the only copy."""
    if not name.strip() or len(name) > 200:
        raise InvalidInput([{"loc": ["name"], "msg": "must be 1-200 characters", "input": name}])
    if not store.tenant_exists(tenant_id):
        raise InvalidInput(
            [{"loc": ["tenant"], "msg": "no such tenant; create it first", "input": tenant_id}]
        )
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    key = StoredKey(
        key_id=key_id,
        tenant_id=tenant_id,
        name=name,
        scope=scope.value,
        salt=salt,
        secret_hash=_hash(salt, secret),
        created_at=datetime.now(UTC),
    )
    store.add_key(key)
    return CreatedKey(info=_info(key), token=f"{KEY_PREFIX}{key_id}_{secret}")


def list_keys(store: AccessStore, tenant_id: str | None = None) -> list[KeyInfo]:
    """Every key (of `tenant_id`, if given) by tenant, then creation time."""
    return [_info(key) for key in store.keys(tenant_id)]


def revoke_key(store: AccessStore, key_id: str) -> KeyInfo:
    """Revoke a key at once (idempotent); NotFound for an unknown key id."""
    key = store.key(key_id)
    if key is None:
        raise NotFound(f"key {key_id}")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        store.revoke_key(key_id, at=now)
        key = replace(key, revoked_at=now)
    return _info(key)


def authenticate(store: AccessStore, token: str) -> Principal | None:
    """The principal of a live key, None for anything else (malformed, unknown, wrong
    secret, revoked): callers answer all of these alike."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key_id, _, secret = token[len(KEY_PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    key = store.key(key_id)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _hash(key.salt, secret)):
        return None
    return _principal(key)


def _session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_dashboard_session(
    store: AccessStore, principal: Principal, *, now: datetime, lifetime: timedelta
) -> str:
    """A new dashboard session for `principal`'s key, until `now + lifetime`; returns its
    id (256 random bits) for the browser's cookie. Only a digest of the id is stored.
    Expired sessions are removed on the way."""
    session_id = secrets.token_urlsafe(32)
    store.open_dashboard_session(
        _session_digest(session_id), principal.key_id, now=now, expires_at=now + lifetime
    )
    return session_id


def dashboard_principal(store: AccessStore, session_id: str, *, now: datetime) -> Principal | None:
    """The principal of a live dashboard session (not expired, its key not revoked)."""
    if not session_id or len(session_id) > 100:
        return None
    key = store.dashboard_session_key(_session_digest(session_id), now=now)
    return None if key is None else _principal(key)


def close_dashboard_session(store: AccessStore, session_id: str) -> None:
    """Sign a dashboard session out (its id stops working everywhere at once)."""
    store.close_dashboard_session(_session_digest(session_id))


def record_audit(
    store: AccessStore, *, tenant_id: str, key_name: str, action: str, detail: dict[str, Any]
) -> None:
    """Append one audit entry. `detail` must hold no personal data (counts, ids of keys)."""
    store.add_audit(
        AuditRecord(
            id=0,
            at=datetime.now(UTC),
            tenant_id=tenant_id,
            key_name=key_name,
            action=action,
            detail=detail,
        )
    )


def audit_entries(store: AccessStore, tenant_id: str, *, limit: int = 100) -> list[AuditRecord]:
    """A tenant's newest audit entries first."""
    return store.audit_entries(tenant_id, limit=limit)
