"""Unit tests for `services.access` and `services.data_protection` over in-memory stores:
the rules the use cases keep, with no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smartpractice.services.access import (
    Scope,
    authenticate,
    close_dashboard_session,
    create_key,
    dashboard_principal,
    ensure_tenant,
    list_tenants,
    open_dashboard_session,
    revoke_key,
)
from smartpractice.services.data_protection import delete_student
from smartpractice.services.ports import (
    AccessStore,
    AppliedAttempt,
    AuditRecord,
    DataProtectionStore,
    ErasedAttempt,
    InvalidInput,
    NotFound,
    StoredKey,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class MemoryAccessStore:
    """The tables of `SqlAccessStore`, as dictionaries."""

    names: dict[str, str] = field(default_factory=dict)
    stored: dict[str, StoredKey] = field(default_factory=dict)
    sessions: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)

    def register_tenant(self, tenant_id: str, name: str, *, now: datetime) -> bool:
        if not tenant_id.isidentifier() or tenant_id.lower() != tenant_id:
            raise ValueError("tenant id must be lowercase")
        new = tenant_id not in self.names
        self.names.setdefault(tenant_id, name)
        return new

    def tenants(self) -> list[tuple[str, str]]:
        others = sorted((t, n) for t, n in self.names.items() if t != "default")
        return [("default", self.names.get("default", "")), *others]

    def tenant_exists(self, tenant_id: str) -> bool:
        return tenant_id in self.names

    def add_key(self, key: StoredKey) -> None:
        self.stored[key.key_id] = key

    def key(self, key_id: str) -> StoredKey | None:
        return self.stored.get(key_id)

    def keys(self, tenant_id: str | None) -> list[StoredKey]:
        return [k for k in self.stored.values() if tenant_id in (None, k.tenant_id)]

    def revoke_key(self, key_id: str, *, at: datetime) -> None:
        self.stored[key_id] = replace(self.stored[key_id], revoked_at=at)

    def open_dashboard_session(
        self, id_hash: str, key_id: str, *, now: datetime, expires_at: datetime
    ) -> None:
        self.sessions = {h: s for h, s in self.sessions.items() if s[1] > now}
        self.sessions[id_hash] = (key_id, expires_at)

    def dashboard_session_key(self, id_hash: str, *, now: datetime) -> StoredKey | None:
        key_id, expires_at = self.sessions.get(id_hash, ("", now))
        key = self.stored.get(key_id)
        return key if key is not None and key.revoked_at is None and expires_at > now else None

    def close_dashboard_session(self, id_hash: str) -> None:
        self.sessions.pop(id_hash, None)

    def add_audit(self, entry: AuditRecord) -> None:
        self.audit.append(replace(entry, id=len(self.audit) + 1))

    def audit_entries(self, tenant_id: str, *, limit: int) -> list[AuditRecord]:
        return [e for e in reversed(self.audit) if e.tenant_id == tenant_id][:limit]


def _store() -> AccessStore:
    store = MemoryAccessStore()
    ensure_tenant(store, "default")
    return store


def test_a_key_authenticates_until_it_is_revoked() -> None:
    store = _store()
    created = create_key(store, tenant_id="default", scope=Scope.read, name="reader")
    principal = authenticate(store, created.token)
    assert principal is not None
    assert (principal.tenant_id, principal.scope, principal.key_name) == (
        "default",
        Scope.read,
        "reader",
    )
    first = revoke_key(store, created.info.key_id)
    assert first.revoked_at is not None
    assert revoke_key(store, created.info.key_id) == first  # idempotent
    assert authenticate(store, created.token) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # wrong secret
        lambda token: token.removeprefix("sp_"),  # no prefix
        lambda token: token.split("_")[0] + "_",  # no key id or secret
        lambda token: "sp_unknown_" + token.rsplit("_", 1)[-1],  # unknown key id
        lambda token: token + "x" * 200,  # too long
    ],
)
def test_anything_but_the_whole_token_is_refused(mangle: Any) -> None:
    store = _store()
    token = create_key(store, tenant_id="default", scope=Scope.admin, name="ops").token
    assert authenticate(store, mangle(token)) is None


def test_keys_need_a_registered_tenant_and_a_name() -> None:
    store = _store()
    with pytest.raises(InvalidInput, match="no such tenant"):
        create_key(store, tenant_id="acme", scope=Scope.read, name="r")
    with pytest.raises(InvalidInput, match="1-200 characters"):
        create_key(store, tenant_id="default", scope=Scope.read, name=" ")
    with pytest.raises(NotFound):
        revoke_key(store, "nope")


def test_tenants_list_the_default_first() -> None:
    store = _store()
    assert ensure_tenant(store, "zeta") and ensure_tenant(store, "acme")
    assert not ensure_tenant(store, "acme")
    assert list_tenants(store) == ["default", "acme", "zeta"]
    with pytest.raises(InvalidInput) as raised:
        ensure_tenant(store, "Not Valid")
    assert raised.value.errors[0]["loc"] == ["tenant"]


def test_a_dashboard_session_ends_at_sign_out_expiry_or_revocation() -> None:
    store = _store()
    created = create_key(store, tenant_id="default", scope=Scope.read, name="r")
    principal = authenticate(store, created.token)
    assert principal is not None
    hour = timedelta(hours=1)
    session_id = open_dashboard_session(store, principal, now=NOW, lifetime=hour)
    assert dashboard_principal(store, session_id, now=NOW) == principal
    assert dashboard_principal(store, session_id, now=NOW + hour) is None
    close_dashboard_session(store, session_id)
    assert dashboard_principal(store, session_id, now=NOW) is None
    again = open_dashboard_session(store, principal, now=NOW, lifetime=hour)
    revoke_key(store, created.info.key_id)
    assert dashboard_principal(store, again, now=NOW) is None


@dataclass
class MemoryDataProtectionStore:
    """A student's applied attempts and other rows, recording what the use case asks."""

    applied: list[AppliedAttempt]
    events: int
    kept: list[ErasedAttempt] = field(default_factory=list)

    def applied_attempts(self, student_id: str) -> tuple[list[AppliedAttempt], int]:
        return self.applied, self.events

    def erase_events(self, student_id: str, kept: Any) -> None:
        self.kept = list(kept)

    def delete_student_rows(self, student_id: str) -> dict[str, int]:
        return dict.fromkeys(
            (
                "skill_ratings",
                "misconceptions",
                "selections",
                "experiment_assignments",
                "tutor_sessions",
                "mock_tests",
                "student",
            ),
            1,
        )

    def delete_old_events(self, *, received_before: datetime) -> int:
        return 0


def test_an_erased_attempt_keeps_only_its_effect_on_the_item() -> None:
    store = MemoryDataProtectionStore(
        applied=[
            AppliedAttempt(
                seq=7,
                score=0.5,
                skills={
                    "a": {"difficulty": 1210.0, "performance": 0.5, "weight": 1.0},
                    "b": {"difficulty": 990.0, "performance": 0.2, "weight": 0.5},
                },
            )
        ],
        events=3,
    )
    port: DataProtectionStore = store
    locked: list[int] = []
    deletion = delete_student(port, "s1", partitions=16, lock_partition=locked.append)
    assert len(locked) == 1 and 0 <= locked[0] < 16
    assert store.kept == [
        ErasedAttempt(
            seq=7,
            item_success=True,
            skills={
                "a": {"difficulty": 1210.0, "success": True},
                "b": {"difficulty": 990.0, "success": False},
            },
        )
    ]
    assert deletion.counts() == {
        "events": 3,
        "skill_ratings": 1,
        "misconceptions": 1,
        "selections": 1,
        "experiment_assignments": 1,
        "tutor_sessions": 1,
        "mock_tests": 1,
        "student": 1,
    }
