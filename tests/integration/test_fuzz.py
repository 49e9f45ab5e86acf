"""A property-based fuzz of the whole OpenAPI surface (schemathesis), as a second tenant.

Tenant A (the default tenant) holds the sample bank plus students, an item, a skill, a
misconception, attempts, a tutor chat and an audit entry whose every id and text carries
the marker ``ZZSECRETA``. Tenant B gets the sample bank and a few students of its own.
Schemathesis then generates requests for every operation of the OpenAPI document the
service serves, sent with tenant B's admin key (so every route is reachable), positive and
negative. Path and query parameters are often set to tenant A's real ids (the cross-tenant
reads and deletes that matter) or to tenant B's (so reads get past "not found"), and ids in
generated bodies often name tenant B's real students, items and skills (so writes get past
"unknown item"); the events written are applied after each operation. Every response is
checked:

- no 5xx, and no stack trace, driver name or SQL in an error body;
- status code, content type, headers and body as the OpenAPI document says;
- no marked token the request did not carry itself: one would be tenant A's data read
  across the boundary (a 404 may echo the id it was asked for, nothing more).

Afterwards tenant A's rows must be exactly as they were (no cross-tenant write). A smaller
pass sends a malformed key, a well-formed unknown key, no key and tenant B's read key, and
expects the same 401 for every secured route and the same 403 where the read scope is not
enough.

Findings are collected over the whole run, one (shortest) reproduction per operation, kind
and status, and reported together rather than stopping at the first. The number of
generated requests is printed in the terminal summary, so it shows in CI's plain pytest
output.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import unquote, urlencode

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send

from smartpractice.api.app import create_app
from smartpractice.services.access import Scope as KeyScope
from smartpractice.services.access import create_key, ensure_tenant
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.models import Event, Student
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice.worker.embedded import drain_pending

pytestmark = pytest.mark.integration

EXAMPLES = 30
"""Generated requests per operation and generation mode (positive, negative)."""
AUTH_EXAMPLES = 5
"""Generated requests per secured operation and credential in the authentication pass."""

MARKER = "ZZSECRETA"
_MARKED = re.compile(MARKER + r"\w*", re.IGNORECASE)
TENANT_B = "tenant_b"

A_SKILL = "zzsecreta_skill"  # skill ids are lowercase
A_STUDENTS = [f"{MARKER}stu1", f"{MARKER}stu2"]
A_DELETED_STUDENT = f"{MARKER}stu3"
A_PATH = {
    "student_id": A_STUDENTS[0],
    "item_id": f"{MARKER}item",
    "event_id": f"{MARKER}ev1",
    "session_id": f"{MARKER}chat",
}
"""Tenant A's ids, by the name of the path parameter that takes them."""
A_QUERY = {
    "subject": f"{MARKER}subject",
    "chapter": f"{MARKER}chapter",
    "topic": f"{MARKER}topic",
    "skill": A_SKILL,
    "skills": A_SKILL,
    "exam": f"{MARKER}exam",
}
"""Tenant A's catalogue scope (and an exam id), by the name of the query parameter that
takes it."""

B_STUDENTS = ["b-stu-1", "b-stu-2", "b-stu-3"]
B_ITEMS = ["ncert-eg-8-2-1", "vq-math-linear-equations-01", "ncert-ex-8-2.2-1"]
B_SKILLS = [
    "math:algebra:linear_equations:transpose_terms",
    "math:algebra:linear_equations:variables_both_sides",
]
B_PATH = {
    "student_id": B_STUDENTS[1],
    "item_id": B_ITEMS[0],
    "event_id": "b-ev-0-0",
    "session_id": "b-chat-1",
}
"""Tenant B's own ids (from its sample bank and seed), by path parameter name."""
_B_BODY_IDS = {
    "student_id": B_STUDENTS,
    "item_id": B_ITEMS,
    "skill_id": B_SKILLS,
    "tutor_session_id": [B_PATH["session_id"]],
    "attempt_event_id": [B_PATH["event_id"]],
}
"""Tenant B's ids, by the name of the body field that takes them."""
HOSTILE = ["a\x00b", "' OR '1'='1' --", "%"]
"""Ids that are valid strings but trouble for a careless store: NUL (which PostgreSQL text
refuses), SQL quoting, a LIKE wildcard."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Text that must never reach a caller: a Python trace, a driver's or the ORM's error (with
# the SQL statement SQLAlchemy puts in its messages).
_INTERNALS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|"
    r"\bsqlalchemy\.(exc|engine|orm)\b|\bpsycopg\.\w*(Error|errors)\b|\bsqlite3\.\w*Error\b|"
    r"\[SQL: |\(Background on this error",
    re.IGNORECASE,
)

Case: TypeAlias = "schemathesis.Case[Any]"
Judge: TypeAlias = Callable[[Case, schemathesis.Response], None]


# --- the count of generated requests, printed at the end of the run ------------------------


class _RequestTally:
    """Counts generated requests per backend and credential; prints them at the end."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.counts:
            return
        total = sum(self.counts.values())
        parts = ", ".join(f"{name}: {n}" for name, n in sorted(self.counts.items()))
        terminalreporter.write_sep("-", "schemathesis fuzz")
        terminalreporter.write_line(f"fuzz: {total} generated requests ({parts})")


@pytest.fixture(scope="session")
def request_tally(pytestconfig: pytest.Config) -> _RequestTally:
    tally = _RequestTally()
    pytestconfig.pluginmanager.register(tally, "smartpractice-fuzz-request-tally")
    return tally


# --- findings, collected over the whole run ------------------------------------------------


@dataclass
class Findings:
    """What the fuzz found: the shortest reproduction per (operation, kind, status)."""

    found: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, operation: str, kind: str, status: int | str, detail: str) -> None:
        key = (operation, kind, str(status))
        if key not in self.found or len(detail) < len(self.found[key]):
            self.found[key] = detail

    def report(self) -> str:
        lines = [f"{len(self.found)} distinct finding(s):"]
        lines += [f"  {op}  ->  {status}  {kind}" for op, kind, status in sorted(self.found)]
        for (operation, kind, status), detail in sorted(self.found.items()):
            lines += ["", f"=== {operation} -> {status}: {kind}", detail.strip()]
        return "\n".join(lines)


class _ServerErrors(logging.Handler):
    """Keeps the tracebacks the app logs for unhandled errors (never sent to the caller)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.traces: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.traces.append(_where(record.exc_info[1]))


def _where(error: BaseException) -> str:
    """The error and the service's frames it passed through, innermost last."""
    first_line = (str(error).splitlines() or [""])[0]
    lines = [f"{type(error).__module__}.{type(error).__qualname__}: {first_line}"]
    for frame in traceback.extract_tb(error.__traceback__):
        if "/smartpractice/" in frame.filename:
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}: {frame.line}")
    return "\n".join(lines)


@contextmanager
def _server_errors() -> Iterator[_ServerErrors]:
    handler = _ServerErrors()
    logger = logging.getLogger("smartpractice")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


# --- the two tenants -----------------------------------------------------------------------


@dataclass
class World:
    """The app with keys required; tenant A seeded with marked data, tenant B with its own."""

    app: FastAPI
    asgi: _InProcess
    client: TestClient
    settings: Settings
    root: Database
    tenant_b: Database
    keys: dict[str, str]
    a_rows: tuple[int, int]
    """Tenant A's students and events after seeding."""

    def check_tenant_a_untouched(self, findings: Findings) -> None:
        """No cross-tenant write: tenant A's rows are as seeded and still readable."""
        if (rows := _row_counts(self.root)) != self.a_rows:
            detail = f"students, events: {self.a_rows} before, {rows} after"
            findings.add("tenant A", "tenant B's requests changed tenant A's rows", "-", detail)
        a_admin = self.bearer(f"{MARKER}adminkey")
        for path in [
            f"/v1/students/{A_STUDENTS[0]}/profile",
            f"/v1/students/{A_STUDENTS[1]}/skills",
            f"/v1/items/{A_PATH['item_id']}",
            f"/v1/attempts/{A_PATH['event_id']}",
            f"/v1/tutor-sessions/{A_PATH['session_id']}",
        ]:
            response = self.client.get(path, headers=a_admin)
            if response.status_code != 200 or MARKER not in response.text:
                findings.add(f"GET {path}", "tenant A lost data", response.status_code, "")

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}


@dataclass
class _InProcess:
    """`app` for schemathesis' in-process transport. The TestClient owns the lifespan:
    refusing the lifespan scope at once tells the transport there is none to run. An error
    Starlette re-raises after sending its 500 is kept here, so that the 500 itself is
    checked like any other response."""

    app: FastAPI
    escaped: list[BaseException] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the lifespan is run by the test's TestClient")
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            self.escaped.append(error)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def _seed_tenant_a(client: TestClient, headers: dict[str, str], db: Database, s: Settings) -> None:
    """Marked data in everything a route reads: catalogue, events, students, chats, audit
    log and the catalogue-scope cache."""
    sample_item = B_ITEMS[0]  # the sample bank is in tenant A too
    skill = {
        "skill_id": A_SKILL,
        "name": f"{MARKER}skillname",
        "description": f"{MARKER}skilldescription",
    }
    _ok(client.post("/v1/skills", json=[skill], headers=headers))
    item = {
        "item_id": A_PATH["item_id"],
        "source": f"{MARKER}source",
        "subject": A_QUERY["subject"],
        "chapter": A_QUERY["chapter"],
        "topic": A_QUERY["topic"],
        "difficulty_label": "Medium",
        "text": f"{MARKER}itemtext",
        "skills": {A_SKILL: None},
    }
    _ok(client.post("/v1/items", json=[item], headers=headers))
    misconception = {
        "misconception_id": f"{MARKER}misconception",
        "skill_id": A_SKILL,
        "description": f"{MARKER}misconceptiondescription",
        "example_wrong_answers": [f"{MARKER}wronganswer"],
    }
    _ok(client.post("/v1/misconceptions", json=[misconception], headers=headers))
    chat = {
        "session_id": A_PATH["session_id"],
        "student_id": A_STUDENTS[0],
        "item_id": A_PATH["item_id"],
        "attempt_event_id": A_PATH["event_id"],
        "messages": [
            {"role": "student", "content": f"{MARKER}chatcontent i added the denominators"},
            {"role": "tutor", "content": f"{MARKER}tutorreply"},
        ],
    }
    _ok(client.post("/v1/tutor-sessions", json=chat, headers=headers), 202)
    attempts = [
        {
            "event_id": f"{MARKER}ev{1 + 2 * n + m}",
            "student_id": student,
            "item_id": item_id,
            "score": float(m),
            "mode": f"{MARKER}mode",
            "occurred_at": f"2026-11-0{1 + n}T10:00:00Z",
        }
        for n, student in enumerate([*A_STUDENTS, A_DELETED_STUDENT])
        for m, item_id in enumerate([A_PATH["item_id"], sample_item])
    ]
    _ok(client.post("/v1/attempts", json={"attempts": attempts}, headers=headers), 202)
    drain_pending(db, s)
    _ok(client.get(f"/v1/students/{A_STUDENTS[0]}/next-question", params=A_QUERY, headers=headers))
    _ok(client.delete(f"/v1/students/{A_DELETED_STUDENT}", headers=headers))


def _seed_tenant_b(client: TestClient, headers: dict[str, str], db: Database, s: Settings) -> None:
    attempts = [
        {
            "event_id": f"b-ev-{n}-{m}",
            "student_id": student,
            "item_id": item_id,
            "score": (n + m) % 2,
            "occurred_at": f"2026-11-0{1 + m}T10:00:00Z",
        }
        for n, student in enumerate(B_STUDENTS)
        for m, item_id in enumerate(B_ITEMS)
    ]
    _ok(client.post("/v1/attempts", json={"attempts": attempts}, headers=headers), 202)
    chat = {
        "session_id": B_PATH["session_id"],
        "student_id": B_STUDENTS[0],
        "item_id": B_ITEMS[0],
        "messages": [{"role": "student", "content": "i forgot to change the sign"}],
    }
    _ok(client.post("/v1/tutor-sessions", json=chat, headers=headers), 202)
    drain_pending(db, s)


def _row_counts(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        students = session.scalar(select(func.count()).select_from(Student))
        events = session.scalar(select(func.count()).select_from(Event))
    return int(students or 0), int(events or 0)


@contextmanager
def _world(settings: Settings) -> Iterator[World]:
    # No rate limit to speak of (it has tests of its own; here a 429 would only hide what
    # the fuzz is after) and the lexical chat backend (no model to load).
    fuzz_settings = settings.model_copy(
        update={
            "rate_limit": "1000000/minute",
            "unauthenticated_rate_limit": "1000000/minute",
            "event_rate_limit": "100000000/minute",
            "tutor_backend": "lexical",
        }
    )
    app = create_app(fuzz_settings, demo=False, notify_worker=lambda *_: None)
    with TestClient(app) as client:
        root: Database = app.state.db
        with root.transaction() as session:
            ensure_tenant(SqlAccessStore(session), TENANT_B)
        upgrade_schema(fuzz_settings.database_url, TENANT_B)
        tenant_b = root.for_tenant(TENANT_B)
        with tenant_b.transaction() as session:
            load_sample_bank(SqlCatalogStore(session), elo=fuzz_settings.model.elo)
        keys: dict[str, str] = {}
        with root.transaction() as session:
            for name, tenant, scope in [
                (f"{MARKER}adminkey", "default", KeyScope.admin),
                ("b-admin", TENANT_B, KeyScope.admin),
                ("b-read", TENANT_B, KeyScope.read),
            ]:
                keys[name] = create_key(
                    SqlAccessStore(session), tenant_id=tenant, scope=scope, name=name
                ).token
        a_admin = {"Authorization": f"Bearer {keys[f'{MARKER}adminkey']}"}
        _seed_tenant_a(client, a_admin, root, fuzz_settings)
        _seed_tenant_b(
            client, {"Authorization": f"Bearer {keys['b-admin']}"}, tenant_b, fuzz_settings
        )
        asgi = _InProcess(app)
        yield World(app, asgi, client, fuzz_settings, root, tenant_b, keys, _row_counts(root))


# --- generating cases, sending them, judging the responses ---------------------------------


def _operations(document: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(document)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    return operations


def _required_scope(operation: Any) -> str | None:
    for requirement in operation.definition.raw.get("security", []):
        for scopes in requirement.values():
            return str(scopes[0])
    return None


def _fixed(operation: Any, path: dict[str, str], query: dict[str, str]) -> dict[str, Any]:
    """`as_strategy` arguments setting the operation's id and scope parameters to `path` and
    `query` (all others are still generated); empty when it takes none of them."""
    fixed: dict[str, Any] = {}
    ids = {p.name: path[p.name] for p in operation.path_parameters if p.name in path}
    if ids:
        fixed["path_parameters"] = ids
    scope = {p.name: query[p.name] for p in operation.query if p.name in query}
    if scope:
        fixed["query"] = scope
    return fixed


def _with_b_ids(drawn: tuple[Case, int]) -> Case:
    """The case with every student, item, skill, chat and event id in its body replaced by
    one of tenant B's (item skill maps too), so that writes reach past the lookups; or, for
    pick 0, by a hostile id."""
    case, pick = drawn

    def replace(value: Any) -> Any:
        if isinstance(value, list):
            return [replace(v) for v in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, inner in value.items():
            ids = _B_BODY_IDS.get(key)
            if ids and isinstance(inner, str):
                out[key] = HOSTILE[0] if pick == 0 else ids[pick % len(ids)]
            elif key in ("skills", "skill_scores") and isinstance(inner, dict) and inner:
                out[key] = {B_SKILLS[(pick + n) % 2]: v for n, v in enumerate(inner.values())}
            else:
                out[key] = replace(inner)
        return out

    if isinstance(case.body, dict | list):
        case.body = replace(case.body)
    return case


def _positive(operation: Any, headers: dict[str, str]) -> st.SearchStrategy[Case]:
    """Valid requests: wholly generated, or with their ids aimed at tenant A's data, at
    tenant B's, or hostile."""
    mode = GenerationMode.POSITIVE
    generated = operation.as_strategy(mode, headers=headers)
    variants = [generated]
    if list(operation.body):
        variants.append(st.tuples(generated, st.integers(0, 5)).map(_with_b_ids))
    aims = [(A_PATH, A_QUERY), (B_PATH, {})]
    aims += [(dict.fromkeys(A_PATH, bad), dict.fromkeys(A_QUERY, bad)) for bad in HOSTILE]
    for path, query in aims:
        fixed = _fixed(operation, path, query)
        if fixed:
            variants.append(operation.as_strategy(mode, headers=headers, **fixed))
    return st.one_of(variants)


def _reproduction(case: Case, response: schemathesis.Response | None) -> str:
    if response is None:
        query = f"?{urlencode(case.query, doseq=True)}" if case.query else ""
        body = "" if isinstance(case.body, NotSet) else f"\n{json.dumps(case.body)[:1500]}"
        return f"{case.method} {case.formatted_path}{query}{body}"
    request = response.request
    text = _request_body(response)
    answer = response.content.decode("utf-8", "replace")
    lines = [f"{request.method} {unquote(str(request.url))}"]
    if text:
        lines.append(text[:1500])
    lines.append(f"-> {response.status_code} {answer[:800]}")
    return "\n".join(lines)


def _printable(text: str) -> str:
    """Control characters (NUL above all) spelled out, so the report stays text."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _request_body(response: schemathesis.Response) -> str:
    body = response.request.body
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")


def _request_text(response: schemathesis.Response) -> str:
    return unquote(str(response.request.url)) + "\n" + _request_body(response)


def _marked_tokens(text: str) -> set[str]:
    return {token.lower() for token in _MARKED.findall(text)}


@dataclass
class Fuzzer:
    world: World
    findings: Findings
    tally: _RequestTally
    backend: str
    errors: _ServerErrors

    def send(self, case: Case, *, tally: str, judge: Judge | None) -> None:
        label = case.operation.label
        self.tally.counts[f"{self.backend} {tally}"] += 1
        self.errors.traces.clear()
        self.world.asgi.escaped.clear()
        try:
            response = case.call(app=self.world.asgi)
        except Exception as error:  # no response at all
            detail = _printable(f"{_reproduction(case, None)}\n{_where(error)}")
            self.findings.add(label, "no response", "-", detail)
            return
        text = response.content.decode("utf-8", "replace")
        problems: list[tuple[str, str]] = []
        traces = self.errors.traces + [_where(e) for e in self.world.asgi.escaped]
        if response.status_code >= 500:  # the one finding for it, with where it happened
            problems.append(("server error", traces[0] if traces else ""))
        else:
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                problems += [(f.title or type(f).__name__, f.message) for f in group.exceptions]
        # What the request carried itself may come back (a 404 or a 422 names its input).
        request_text = _request_text(response).lower()
        leaked = _marked_tokens(text) - _marked_tokens(request_text)
        if leaked:
            problems.append((f"tenant A's data in tenant B's response: {sorted(leaked)}", ""))
        internals = {m.group(0) for m in _INTERNALS.finditer(text)}
        internals = {m for m in internals if m.lower() not in request_text}
        if response.status_code >= 400 and internals:
            problems.append(("internals in an error body", f"{sorted(internals)}"))
        if judge is not None:
            try:
                judge(case, response)
            except AssertionError as error:
                problems.append((str(error), ""))
        for kind, message in problems:
            detail = _printable(f"{message}\n{_reproduction(case, response)}")
            self.findings.add(label, kind, response.status_code, detail)

    def run(
        self,
        strategy: st.SearchStrategy[Case],
        examples: int,
        *,
        tally: str,
        judge: Judge | None = None,
    ) -> None:
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )
        @given(case=strategy)
        def fuzz(case: Case) -> None:
            self.send(case, tally=tally, judge=judge)

        fuzz()

    def apply_pending(self, after: str) -> None:
        """Apply the events the fuzz wrote, as the worker would: it must not fail on them."""
        try:
            drain_pending(self.world.tenant_b, self.world.settings)
        except Exception as error:
            kind = "worker failed on the events it accepted"
            self.findings.add(after, kind, "-", _where(error))


def _unfuzzed_bodies(document: dict[str, Any], operations: list[Any]) -> list[str]:
    """Operations whose request body the document declares but schemathesis cannot generate
    (it drops a body whose `$ref` points nowhere, silently)."""
    return [
        op.label
        for op in operations
        if "requestBody" in document["paths"][op.path][op.method.lower()] and not list(op.body)
    ]


def _dangling_refs(document: dict[str, Any]) -> list[str]:
    schemas = document.get("components", {}).get("schemas", {})
    named = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    return sorted(name for name in named if name not in schemas)


# --- the tests -----------------------------------------------------------------------------


def test_openapi_document_is_complete(tmp_path: Path) -> None:
    """Every `$ref` resolves, so the fuzz can generate every declared request body."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    document = create_app(settings, notify_worker=lambda *_: None).openapi()
    assert _dangling_refs(document) == [], "components named by $ref but not in the document"
    assert _unfuzzed_bodies(document, _operations(document)) == [], "bodies the fuzz cannot make"


def test_fuzz_every_operation_as_tenant_b(
    settings: Settings, request_tally: _RequestTally, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["settings"]
    findings = Findings()
    with _world(settings) as world, _server_errors() as errors:
        document = _ok(world.client.get("/openapi.json"))
        operations = _operations(document)
        for label in _unfuzzed_bodies(document, operations):
            findings.add(label, "request body not generated (dangling $ref)", "-", label)
        fuzzer = Fuzzer(world, findings, request_tally, backend, errors)
        admin = world.bearer("b-admin")
        for operation in operations:
            fuzzer.run(_positive(operation, admin), EXAMPLES, tally="B admin key")
            negative = operation.as_strategy(GenerationMode.NEGATIVE, headers=admin)
            with contextlib.suppress(Unsatisfiable):  # nothing in it can be made invalid
                fuzzer.run(negative, EXAMPLES, tally="B admin key")
            fuzzer.apply_pending(after=operation.label)
        world.check_tenant_a_untouched(findings)
    assert not findings.found, findings.report()


def test_keys_without_the_scope_get_the_same_401_or_403(
    settings: Settings, request_tally: _RequestTally, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["settings"]
    findings = Findings()
    refusals: dict[tuple[int, str], set[str]] = {}

    def refused(status: int, scope: str) -> Judge:
        def judge(case: Case, response: schemathesis.Response) -> None:
            assert response.status_code == status, f"expected {status}"
            body = response.json()
            assert set(body) == {"detail"} and isinstance(body["detail"], str), "error body"
            if status == 401:
                assert response.headers.get("www-authenticate") == ["Bearer"], "WWW-Authenticate"
            refusals.setdefault((status, scope), set()).add(body["detail"])

        return judge

    with _world(settings) as world, _server_errors() as errors:
        operations = _operations(_ok(world.client.get("/openapi.json")))
        fuzzer = Fuzzer(world, findings, request_tally, backend, errors)
        credentials: dict[str, dict[str, str]] = {
            "malformed key": {},  # schemathesis makes up an arbitrary bearer token
            "unknown key": {"Authorization": "Bearer sp_0123456789abcdef_notasecret"},
            "B read key": world.bearer("b-read"),
        }
        for operation in operations:
            scope = _required_scope(operation)
            if scope is None:
                continue
            aimed = _fixed(operation, A_PATH, A_QUERY)
            for name, headers in credentials.items():
                judge: Judge | None = refused(401, scope)
                if name == "B read key":
                    judge = refused(403, scope) if scope != "read" else None
                given_key = {"headers": headers} if headers else {}
                strategy = operation.as_strategy(GenerationMode.POSITIVE, **aimed, **given_key)
                fuzzer.run(strategy, AUTH_EXAMPLES, tally=name, judge=judge)
            keyless = operation.as_strategy(GenerationMode.POSITIVE, **aimed).map(_without_key)
            fuzzer.run(keyless, AUTH_EXAMPLES, tally="no key", judge=refused(401, scope))
        world.check_tenant_a_untouched(findings)
    for (status, scope), details in sorted(refusals.items()):
        # The same words whatever was asked for: a refusal says nothing about the data.
        if len(details) != 1:
            findings.add(f"routes needing {scope}", "refusals differ", status, repr(details))
    assert not findings.found, findings.report()


def _without_key(case: Case) -> Case:
    if case.headers:
        case.headers.pop("Authorization", None)
    return case
