"""API keys, scopes, tenants, deletion, audit log and hostile input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, cast, func, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from smartpractice.adapters.redis_cache import ProfileCache
from smartpractice.api.app import create_app
from smartpractice.api.security import PUBLIC
from smartpractice.services.access import Scope, create_key, ensure_tenant, revoke_key
from smartpractice.services.replay import compare_with_live, replay_event_log
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.models import (
    SERVICE_TABLES,
    ApiKey,
    AuditEntry,
    Base,
    Event,
    ItemSkill,
    TutorSession,
)
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.worker.embedded import drain_pending, enforce_retention_everywhere
from tests.services import REDIS_URL, require

pytestmark = pytest.mark.integration

CACHE_DB = 13


@dataclass
class Service:
    client: TestClient
    settings: Settings
    root: Database
    keys: dict[str, str]
    """(tenant, scope) names such as "a_admin" -> bearer token."""

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}

    def add_key(self, tenant: str, scope: Scope, name: str | None = None) -> str:
        with self.root.transaction() as session:
            created = create_key(
                SqlAccessStore(session), tenant_id=tenant, scope=scope, name=name or scope.value
            )
        return created.token


def _with_tenant(settings: Settings, root: Database, tenant: str) -> None:
    with root.transaction() as session:
        ensure_tenant(SqlAccessStore(session), tenant)
    upgrade_schema(settings.database_url, tenant)
    with root.for_tenant(tenant).transaction() as session:
        load_sample_bank(SqlCatalogStore(session), elo=settings.model.elo)


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    """Auth on, the Redis profile cache on; the default tenant ("default") and a second one
    ("school_b"), both holding the sample bank, with a key of every scope each."""
    require("Redis", REDIS_URL)
    cache_url = REDIS_URL.rsplit("/", 1)[0] + f"/{CACHE_DB}"
    redis.Redis.from_url(cache_url).flushdb()
    limited = settings.model_copy(
        update={"rate_limit": "100000/minute", "key_cache_seconds": 0, "cache_url": cache_url}
    )
    app = create_app(limited, notify_worker=lambda *_: None)
    with TestClient(app) as client:
        root: Database = app.state.db
        _with_tenant(limited, root, "school_b")
        svc = Service(client, limited, root, {})
        for tenant, short in (("default", "a"), ("school_b", "b")):
            for scope in Scope:
                svc.keys[f"{short}_{scope.value}"] = svc.add_key(tenant, scope)
        yield svc


def _item_ids(svc: Service, key: str, limit: int = 3) -> list[str]:
    page = svc.client.get("/v1/items", params={"limit": limit}, headers=svc.headers(key))
    assert page.status_code == 200, page.text
    return [i["item_id"] for i in page.json()["data"]]


def _attempt(event_id: str, student: str, item: str, score: float = 1.0) -> dict[str, Any]:
    return {"event_id": event_id, "student_id": student, "item_id": item, "score": score}


def _drain(svc: Service, tenant: str) -> None:
    drain_pending(svc.root.for_tenant(tenant), svc.settings)


# Keys and scopes


def test_every_route_declares_its_scope(service: Service) -> None:
    app = service.client.app
    undeclared = []
    for route in app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        if route.openapi_extra == PUBLIC:
            continue
        scopes = {s for d in route.dependant.dependencies for s in _scopes(d)}
        if len(scopes) != 1 or not scopes <= {s.value for s in Scope}:
            undeclared.append(f"{sorted(route.methods)} {route.path}: {sorted(scopes)}")
    assert undeclared == []
    schema = service.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = "security" in operation or operation.get("x-required-scope") == "none"
            assert declared, f"{method.upper()} {path} declares no security"


def _scopes(dependant: Any) -> set[str]:
    # FastAPI names the scopes a dependency asks for `own_oauth_scopes` (newer) or
    # `security_scopes` (older).
    own = getattr(dependant, "own_oauth_scopes", None) or getattr(
        dependant, "security_scopes", None
    )
    found = set(own or [])
    for sub in dependant.dependencies:
        found |= _scopes(sub)
    return found


def test_missing_malformed_unknown_and_revoked_keys_are_401(service: Service) -> None:
    c = service.client
    assert c.get("/v1/students/s1/profile").status_code == 401
    for token in ("nonsense", "sp_", "sp_abc_def", service.keys["a_read"] + "x", "Bearer"):
        answer = c.get("/v1/students/s1/profile", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, token
        assert answer.headers["www-authenticate"] == "Bearer"
    basic = c.get("/v1/items", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    token = service.add_key("default", Scope.read, "soon revoked")
    assert c.get("/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with service.root.transaction() as session:
        key_id = token.removeprefix("sp_").split("_")[0]
        revoke_key(SqlAccessStore(session), key_id)
    assert c.get("/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_each_scope_reaches_only_its_routes(service: Service) -> None:
    c = service.client
    item = _item_ids(service, "a_read", 1)[0]
    attempt = _attempt("scope-1", "s1", item)
    assert (
        c.post("/v1/attempts", json=attempt, headers=service.headers("a_read")).status_code == 403
    )
    accepted = c.post("/v1/attempts", json=attempt, headers=service.headers("a_ingest"))
    assert accepted.status_code == 202
    _drain(service, "default")
    assert c.get("/v1/students/s1/profile", headers=service.headers("a_ingest")).status_code == 403
    assert c.get("/v1/students/s1/profile", headers=service.headers("a_read")).status_code == 200
    assert c.get("/v1/students/s1/profile", headers=service.headers("a_admin")).status_code == 200
    skills = {"skills": [{"skill_id": "x", "name": "X"}]}
    assert c.post("/v1/skills", json=skills, headers=service.headers("a_read")).status_code == 403
    assert c.delete("/v1/students/s1", headers=service.headers("a_read")).status_code == 403
    assert c.get("/v1/audit", headers=service.headers("a_ingest")).status_code == 403
    assert c.get("/metrics", headers=service.headers("a_read")).status_code == 403
    assert c.get("/metrics", headers=service.headers("a_admin")).status_code == 200
    assert c.get("/metrics", headers=service.headers("b_admin")).status_code == 403
    assert c.get("/dashboard", headers=service.headers("a_read")).status_code == 200
    to_login = c.get("/dashboard", follow_redirects=False)
    assert (to_login.status_code, to_login.headers["location"]) == (303, "/dashboard/login")
    assert c.get("/dashboard/ops.json").status_code == 401
    assert c.get("/healthz").status_code == 200


def test_the_dashboard_signs_in_with_a_read_key_in_a_get_only_cookie(service: Service) -> None:
    c = service.client
    refused = c.post("/dashboard/login", data={"key": service.keys["a_ingest"]})
    assert refused.status_code == 401
    assert "smartpractice_session" not in c.cookies
    signed_in = c.post(
        "/dashboard/login", data={"key": service.keys["a_read"]}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain HTTP, no trusted proxy said otherwise
    # The cookie holds a session id kept on the server, never the key.
    session_id = c.cookies["smartpractice_session"]
    assert session_id and all(key not in cookie for key in service.keys.values())
    assert c.get("/dashboard", follow_redirects=False).status_code == 200
    # The cookie opens dashboard pages only, and never a request that changes anything.
    assert c.get("/v1/skills").status_code == 401
    assert c.delete("/v1/students/x").status_code == 401
    c.get("/dashboard/logout")
    # Signed out on the server: the old id opens nothing any more.
    c.cookies.set("smartpractice_session", session_id, path="/dashboard")
    assert c.get("/dashboard", follow_redirects=False).status_code == 303
    c.cookies.clear()
    # A raw key in the cookie is not a session.
    c.cookies.set("smartpractice_session", service.keys["a_admin"], path="/dashboard")
    assert c.get("/dashboard", follow_redirects=False).status_code == 303
    c.cookies.clear()


def test_the_session_cookie_is_secure_behind_a_configured_tls_proxy(settings: Settings) -> None:
    # TestClient connects as "testclient": here, the configured proxy.
    for proxies, secure in (("testclient", True), ("10.0.0.1", False)):
        app = create_app(settings.model_copy(update={"trusted_proxies": proxies}))
        with TestClient(app) as client:
            with app.state.db.transaction() as session:
                key = create_key(
                    SqlAccessStore(session), tenant_id="default", scope=Scope.read, name="r"
                ).token
            signed_in = client.post(
                "/dashboard/login",
                data={"key": key},
                headers={"X-Forwarded-Proto": "https"},
                follow_redirects=False,
            )
            assert signed_in.status_code == 303
            assert ("Secure" in signed_in.headers["set-cookie"]) is secure


def test_unauthenticated_requests_and_sign_ins_are_limited(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"unauthenticated_rate_limit": "20/minute", "login_rate_limit": "5/minute"}
    )
    app = create_app(limited)
    with TestClient(app) as client:
        bad = {"Authorization": "Bearer sp_0000000000000000_nope"}
        statuses = [client.get("/v1/skills", headers=bad).status_code for _ in range(25)]
        assert statuses == [401] * 20 + [429] * 5
        logins = [
            client.post("/dashboard/login", data={"key": "wrong"}).status_code for _ in range(7)
        ]
        assert logins == [401] * 5 + [429] * 2


def test_refusals_do_not_reveal_whether_a_student_exists(service: Service) -> None:
    c = service.client
    item = _item_ids(service, "a_read", 1)[0]
    c.post(
        "/v1/attempts", json=_attempt("exists-1", "real", item), headers=service.headers("a_ingest")
    )
    _drain(service, "default")
    for headers in ({}, {"Authorization": "Bearer sp_bad_key"}, service.headers("a_ingest")):
        real = c.get("/v1/students/real/profile", headers=headers)
        ghost = c.get("/v1/students/ghost/profile", headers=headers)
        assert real.status_code == ghost.status_code in (401, 403)
        assert real.json() == ghost.json()


def test_keys_are_stored_only_as_salted_hashes(service: Service) -> None:
    token = service.keys["a_admin"]
    secret = token.split("_", 2)[2]
    with service.root.transaction() as session:
        rows = session.scalars(select(ApiKey)).all()
        assert len(rows) == 6
        for row in rows:
            assert secret not in " ".join(str(v) for v in vars(row).values())
        assert len({row.salt for row in rows}) == 6


# Tenants


def test_tenants_cannot_see_each_others_students_events_or_items(service: Service) -> None:
    c = service.client
    item = _item_ids(service, "a_read", 1)[0]
    for n in range(3):
        body = _attempt(f"shared-{n}", "same-id", item, score=0.0)
        assert (
            c.post("/v1/attempts", json=body, headers=service.headers("a_ingest")).status_code
            == 202
        )
    _drain(service, "default")
    # Tenant B: the same student id is a stranger, the event ids are free, A's events unknown.
    assert (
        c.get("/v1/students/same-id/profile", headers=service.headers("b_read")).status_code == 404
    )
    assert c.get("/v1/attempts/shared-0", headers=service.headers("b_ingest")).status_code == 404
    own = _attempt("shared-0", "same-id", item, score=1.0)  # same id, other content: no 409
    assert c.post("/v1/attempts", json=own, headers=service.headers("b_ingest")).status_code == 202
    _drain(service, "school_b")
    a = c.get("/v1/students/same-id/skills", headers=service.headers("a_read")).json()
    b = c.get("/v1/students/same-id/skills", headers=service.headers("b_read")).json()
    assert (a["attempts"], b["attempts"]) == (3, 1)
    # An item only tenant A has.
    only_a = {"items": [_item_like(c, service, item, "only-in-a")]}
    assert c.post("/v1/items", json=only_a, headers=service.headers("a_admin")).status_code == 200
    assert c.get("/v1/items/only-in-a", headers=service.headers("a_read")).status_code == 200
    imported = c.get("/v1/audit", headers=service.headers("a_admin")).json()["data"][0]
    assert (imported["action"], imported["detail"]) == ("items.import", {"upserted": 1})
    assert c.get("/v1/items/only-in-a", headers=service.headers("b_read")).status_code == 404
    b_items = c.get("/v1/items", params={"limit": 1000}, headers=service.headers("b_read")).json()
    assert "only-in-a" not in {i["item_id"] for i in b_items["data"]}
    foreign = _attempt("b-uses-a-item", "x", "only-in-a")
    refused = c.post("/v1/attempts", json=foreign, headers=service.headers("b_ingest"))
    assert refused.status_code == 422
    # B's picks come from B's bank alone, and A's item stats did not move for B.
    with service.root.for_tenant("school_b").transaction() as session:
        b_attempts_on_item = session.scalar(
            select(ItemSkill.attempts).where(ItemSkill.item_id == item).limit(1)
        )
    assert b_attempts_on_item == 1


def _item_like(c: TestClient, svc: Service, item_id: str, new_id: str) -> dict[str, Any]:
    found = c.get(f"/v1/items/{item_id}", headers=svc.headers("a_read")).json()
    return {
        "item_id": new_id,
        "source": found["source"],
        "subject": found["subject"],
        "chapter": found["chapter"],
        "topic": found["topic"],
        "skills": dict.fromkeys(found["skills"]),
    }


def test_a_tutor_chat_is_invisible_to_another_tenant(service: Service) -> None:
    chat = {
        "session_id": "chat-1",
        "student_id": "s1",
        "messages": [{"role": "student", "content": "I am stuck on the chain rule"}],
    }
    c = service.client
    assert (
        c.post("/v1/tutor-sessions", json=chat, headers=service.headers("a_ingest")).status_code
        == 202
    )
    assert c.get("/v1/tutor-sessions/chat-1", headers=service.headers("a_read")).status_code == 200
    assert c.get("/v1/tutor-sessions/chat-1", headers=service.headers("b_read")).status_code == 404


# Deletion and audit


def _rows_mentioning(db: Database, needle: str) -> list[str]:
    """Every (table, column) of the tenant's tables whose text holds `needle`."""
    found = []
    with db.transaction() as session:
        names = set(inspect(session.connection()).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name in SERVICE_TABLES or table.name not in names:
                continue
            for column in table.columns:
                as_text = cast(column, Text if not isinstance(column.type, String) else String)
                hits = session.scalar(
                    select(text("count(*)")).select_from(table).where(as_text.contains(needle))
                )
                if hits:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_deleting_a_student_leaves_no_row_behind(service: Service) -> None:
    c = service.client
    items = _item_ids(service, "a_read", 3)
    student = "pupil-ZQX-7"
    for n, item in enumerate(items):
        body = _attempt(f"del-{n}", student, item, score=n % 2)
        c.post("/v1/attempts", json=body, headers=service.headers("a_ingest"))
    other = _attempt("keep-1", "classmate", items[0])
    c.post("/v1/attempts", json=other, headers=service.headers("a_ingest"))
    chat = {
        "session_id": "del-chat",
        "student_id": student,
        "messages": [{"role": "student", "content": "I do not get fractions"}],
    }
    c.post("/v1/tutor-sessions", json=chat, headers=service.headers("a_ingest"))
    _drain(service, "default")
    c.get(f"/v1/students/{student}/next-question", headers=service.headers("a_read"))
    c.get(f"/v1/students/{student}/profile", headers=service.headers("a_read"))
    db = service.root.for_tenant("default")
    assert _rows_mentioning(db, student)
    cache = redis.Redis.from_url(str(service.settings.cache_url))
    cached = f"{ProfileCache.prefix('default', student)}*"
    assert len(cache.keys(cached)) == 1
    with db.transaction() as session:
        before = {(r.item_id, r.skill_id): r.difficulty for r in session.scalars(select(ItemSkill))}

    answer = c.delete(f"/v1/students/{student}", headers=service.headers("a_admin"))

    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"]["events"] == 3
    assert _rows_mentioning(db, student) == []
    assert cache.keys(cached) == []
    assert answer.json()["rows"]["cached_profiles"] == 1
    assert (
        c.get(f"/v1/students/{student}/profile", headers=service.headers("a_read")).status_code
        == 404
    )
    assert (
        c.get("/v1/students/classmate/profile", headers=service.headers("a_read")).status_code
        == 200
    )
    with db.transaction() as session:
        after = {(r.item_id, r.skill_id): r.difficulty for r in session.scalars(select(ItemSkill))}
    assert after == before  # items keep what they learned
    with db.transaction() as session:
        # Replay still rebuilds every rating exactly, from what the erasure left.
        store = SqlEventStore(session)
        replayed = replay_event_log(store, config=service.settings.model)
        assert compare_with_live(store, replayed) == []
    again = c.delete(f"/v1/students/{student}", headers=service.headers("a_admin"))
    assert again.status_code == 404
    audit = c.get("/v1/audit", headers=service.headers("a_admin")).json()["data"]
    assert audit[0]["action"] == "student.delete"
    assert audit[0]["key_name"] == "admin"
    assert student not in str(audit)
    # Tenant B's audit log is its own.
    assert c.get("/v1/audit", headers=service.headers("b_admin")).json()["data"] == []


def test_the_audit_log_is_append_only(service: Service) -> None:
    service.client.delete("/v1/students/nobody", headers=service.headers("a_admin"))
    with service.root.transaction() as session:
        session.add(
            AuditEntry(
                at=datetime.now(UTC), tenant_id="default", key_name="t", action="x", detail={}
            )
        )
    statements = ["UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"]
    if service.root.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with (
            pytest.raises(DBAPIError, match="append-only"),
            service.root.transaction() as session,
        ):
            session.execute(text(statement))


# Hostile input


def test_rate_limit_answers_429_and_spares_other_keys(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit": "50/minute"})
    app = create_app(limited, notify_worker=lambda *_: None)
    with TestClient(app) as client:
        root: Database = app.state.db
        with root.transaction() as session:
            noisy = create_key(
                SqlAccessStore(session), tenant_id="default", scope=Scope.read, name="noisy"
            ).token
            calm = create_key(
                SqlAccessStore(session), tenant_id="default", scope=Scope.read, name="calm"
            ).token
        statuses = []
        for n in range(200):
            answer = client.get("/v1/skills", headers={"Authorization": f"Bearer {noisy}"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert 1 <= int(answer.headers["retry-after"]) <= 60
            if n % 20 == 0:
                other = client.get("/v1/skills", headers={"Authorization": f"Bearer {calm}"})
                assert other.status_code == 200
        assert statuses.count(200) == 50
        assert statuses.count(429) == 150


def test_oversized_bodies_are_refused_with_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 2_000})
    with TestClient(create_app(small, demo=True, notify_worker=lambda *_: None)) as client:
        big = {"attempts": [_attempt(f"e{n}", "s", "i") for n in range(100)]}
        answer = client.post("/v1/attempts", json=big)
        assert answer.status_code == 413
        # In the JSON error shape of every other error, naming the setting.
        assert answer.headers["content-type"] == "application/json"
        assert "max_body_bytes" in answer.json()["detail"]

        def chunks() -> Iterator[bytes]:
            yield b'{"attempts": ['
            for n in range(100):
                yield b'{"event_id": "x%d"},' % n
            yield b"]}"

        streamed = client.post(
            "/v1/attempts", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert "max_body_bytes" in streamed.json()["detail"]


def test_an_internal_error_shows_no_trace(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr("smartpractice.api.routes.catalog.list_skills", explode)
    app = create_app(settings, demo=True, notify_worker=lambda *_: None)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/v1/skills")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error"}


# Retention


def test_the_retention_sweep_drops_old_events_and_chat_text_but_never_pending_ones(
    service: Service,
) -> None:
    c = service.client
    items = _item_ids(service, "a_read", 3)
    for n, item in enumerate(items):
        body = _attempt(f"ret-{n}", "old-timer", item)
        assert (
            c.post("/v1/attempts", json=body, headers=service.headers("a_ingest")).status_code
            == 202
        )
    chat = {
        "session_id": "ret-chat",
        "student_id": "old-timer",
        "messages": [{"role": "student", "content": "what is a derivative"}],
    }
    c.post("/v1/tutor-sessions", json=chat, headers=service.headers("a_ingest"))
    _drain(service, "default")
    late = _attempt("ret-late", "old-timer", items[0])
    c.post("/v1/attempts", json=late, headers=service.headers("a_ingest"))  # stays pending
    db = service.root.for_tenant("default")
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with db.transaction() as session:
        session.execute(update(Event).values(received_at=long_ago))
        session.execute(update(TutorSession).values(received_at=long_ago))
    keep = service.settings.model_copy(update={"event_retention_days": None})
    enforce_retention_everywhere(service.root, keep)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 4
        assert session.scalar(select(TutorSession.messages)) is None  # 30-day chat retention
    expiring = service.settings.model_copy(update={"event_retention_days": 365})
    enforce_retention_everywhere(service.root, expiring)
    with db.transaction() as session:
        assert session.scalars(select(Event.event_id)).all() == ["ret-late"]
        assert session.scalar(select(TutorSession.analysis)) is not None
    skills = c.get("/v1/students/old-timer/skills", headers=service.headers("a_read")).json()
    assert skills["attempts"] == 3  # ratings keep what the deleted events taught them


def test_metrics_count_every_tenant(service: Service) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    item = _item_ids(service, "b_read", 1)[0]
    for n in range(3):
        posted = service.client.post(
            "/v1/attempts", json=_attempt(f"e{n}", "s", item), headers=service.headers("b_ingest")
        )
        assert posted.status_code == 202
    response = service.client.get("/metrics", headers=service.headers("a_admin"))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    other = (("tenant", "school_b"),)
    assert samples[("smartpractice_events_accepted_total", other)] == 3
    assert samples[("smartpractice_events_pending", other)] == 3
    assert samples[("smartpractice_events_pending", (("tenant", "default"),))] == 0


def test_a_next_question_for_an_unknown_student_stores_nothing(service: Service) -> None:
    from smartpractice.storage.models import SelectionLog

    db = service.root.for_tenant("default")

    def logged() -> int:
        with db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(SelectionLog)) or 0)

    c, read = service.client, service.headers("a_read")
    answer = c.get("/v1/students/nobody-yet/next-question", headers=read)
    assert answer.status_code == 200 and answer.json()["selection_id"] is None
    assert logged() == 0
    item = _item_ids(service, "a_read", 1)[0]
    body = _attempt("known-1", "known", item)
    assert c.post("/v1/attempts", json=body, headers=service.headers("a_ingest")).status_code == 202
    _drain(service, "default")
    answer = c.get("/v1/students/known/next-question", headers=read)
    assert answer.status_code == 200 and answer.json()["selection_id"] is not None
    assert logged() == 1


def test_an_experiment_is_invisible_to_another_tenant(service: Service) -> None:
    c = service.client
    plan = {
        "experiment_id": "only-a",
        "hypothesis": "a higher target success helps",
        "arms": [
            {"name": "control", "share": 0.5},
            {"name": "easier", "share": 0.5, "overrides": {"selection": {"target_success": 0.8}}},
        ],
        "minimum_detectable_effect": 0.05,
        "planned_students": 100,
    }
    assert (
        c.post("/v1/experiments", json=plan, headers=service.headers("a_read")).status_code == 403
    )
    created = c.post("/v1/experiments", json=plan, headers=service.headers("a_admin"))
    assert created.status_code == 201, created.text
    for path in ("", "/outcomes.csv"):
        own = c.get(f"/v1/experiments/only-a{path}", headers=service.headers("a_read"))
        assert own.status_code == 200
        other = c.get(f"/v1/experiments/only-a{path}", headers=service.headers("b_read"))
        assert other.status_code == 404
    started = c.post("/v1/experiments/only-a/start", headers=service.headers("b_admin"))
    assert started.status_code == 404
    assert c.get("/v1/experiments", headers=service.headers("b_read")).json() == {"data": []}
