"""`create_app(settings)`: the FastAPI application, built at start-up, never at import."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from limits import parse as parse_limit
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as ASGIScope

from smartpractice import __version__
from smartpractice.adapters.redis_cache import ProfileCache
from smartpractice.api.dashboard import install_dashboard
from smartpractice.api.demo import demo_rounds
from smartpractice.api.deps import require_json
from smartpractice.api.docs import install_docs
from smartpractice.api.observability import install_metrics
from smartpractice.api.routes import (
    admin,
    attempts,
    catalog,
    exams,
    experiments,
    health,
    students,
    tutor,
)
from smartpractice.api.schemas import KEY_RESPONSES, AttemptBatch, ExamBatch, ItemBatch, SkillBatch
from smartpractice.api.security import KeyChecker, RateLimiter, require_operator
from smartpractice.services.access import ensure_tenant, list_tenants
from smartpractice.services.demo_students import set_up_demo
from smartpractice.services.ports import Conflict, InvalidInput, NotFound
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import DEFAULT_TENANT, Database, upgrade_schema
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.worker.celery_app import PartitionNotifier, make_celery
from smartpractice.worker.embedded import EmbeddedWorker

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger(__name__)


def _json_safe(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by its name ("nan", "inf"):
    strict JSON cannot carry them, and a 422 echoes the input it refuses."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def unprocessable(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = _json_safe(jsonable_encoder(error.errors()))
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, error: InvalidInput) -> JSONResponse:
        detail = [{"type": "value_error", **e} for e in error.errors]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        detail = [
            {
                "loc": ["body", error.field],
                "msg": "already used with different content",
                "type": "conflict",
                "input": e,
            }
            for e in error.event_ids
        ]
        return JSONResponse({"detail": detail}, status_code=409)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": f"not found: {error}"}, status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # A browser on a dashboard page without a valid key goes to the sign-in form.
        page = request.url.path.startswith("/dashboard") and request.method == "GET"
        if error.status_code == 401 and page and not request.url.path.endswith(".json"):
            return RedirectResponse("/dashboard/login", status_code=303)
        return await http_exception_handler(request, error)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        # The trace goes to the log, never to the caller: no code, SQL or data in the body.
        log.error(
            "unhandled error",
            exc_info=error,
            extra={"action": "internal_error", "path": request.url.path},
        )
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(OperationalError)
    async def unavailable(_: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable", extra={"action": "db_unavailable"})
        return JSONResponse(
            {"detail": "database unavailable, retry shortly"},
            status_code=503,
            headers={"Retry-After": "2"},
        )


class RejectNul:
    """422 for a NUL character in the path or query: PostgreSQL text cannot hold one, so
    no lookup could match it, and the database would fail on it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote(scope["query_string"].decode("latin-1"))
            where = "path" if "\x00" in scope["path"] else "query" if "\x00" in query else None
            if where is not None:
                msg = "must not contain NUL (U+0000) characters"
                detail = [{"type": "value_error", "loc": [where], "msg": msg}]
                await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class BodyTooLarge(StarletteHTTPException):
    """A request body over `max_body_bytes`: a 413 in the service's JSON error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than max_body_bytes ({limit} bytes)")


class LimitBody:
    """413 for a body over `max_body_bytes`, declared or streamed (chunked), in the JSON
    shape of every other error (Starlette's own limit answers in plain text)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = BodyTooLarge(self.max_bytes)
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(too_large, scope, receive, send)
            return
        total = 0
        started = False

        async def counted() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_bytes:
                    # An HTTPException, so that FastAPI passes it on while reading a body.
                    raise too_large
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(too_large, scope, receive, send)

    @staticmethod
    async def _refuse(error: BodyTooLarge, scope: ASGIScope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)


class RequireUtf8Body:
    """422 for a body in UTF-16 or UTF-32, or with a byte-order mark: JSON bodies are UTF-8
    (RFC 8259), and Python's json module would otherwise guess the encoding. Such a body
    starts with a mark or has a NUL byte among its first four (a JSON text starts with
    an ASCII character, and UTF-8 JSON never holds a raw NUL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first = await receive()
        head = first.get("body", b"")[:4] if first["type"] == "http.request" else b""
        if head.startswith(_BYTE_ORDER_MARKS) or b"\x00" in head:
            msg = "must be UTF-8 JSON without a byte-order mark"
            detail = [{"type": "value_error", "loc": ["body"], "msg": msg}]
            await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await self.app(scope, replay, send)


def create_app(
    settings: Settings,
    *,
    demo: bool = False,
    auth: bool | None = None,
    notify_worker: Callable[[str, set[int]], None] | None = None,
) -> FastAPI:
    """The API over `settings.database_url`.

    Args:
        settings: Deployment settings and model constants.
        demo: Load the sample bank into an empty catalogue at start-up.
        auth: Require API keys; by default off only in `demo` mode (which the CLI binds to
            loopback). Tests pass False to exercise routes without keys.
        notify_worker: Called with a tenant and the partitions that have new events, after
            they are stored. When omitted: with the ``embedded`` queue an in-process worker
            thread is started and woken; with ``celery`` a message is sent.
    """
    auth_required = (not demo) if auth is None else auth

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            upgrade_schema(settings.database_url)
        db = Database(settings.database_url)
        with db.transaction() as session:
            ensure_tenant(SqlAccessStore(session), DEFAULT_TENANT)
            tenants = list_tenants(SqlAccessStore(session))
        if settings.migrate_on_start:
            for tenant_id in tenants[1:]:
                upgrade_schema(settings.database_url, tenant_id)
        if demo:
            set_up_demo(demo_rounds(db, settings))
        metrics.attach(db)
        worker: EmbeddedWorker | None = None
        notifier: PartitionNotifier | None = None
        if notify_worker is not None:
            app.state.notify_worker = notify_worker
        elif settings.queue == "embedded":
            worker = EmbeddedWorker(db, settings)
            worker.start()
            app.state.notify_worker = lambda _tenant, _partitions: worker.wake()
        else:
            notifier = PartitionNotifier(make_celery(settings, with_tasks=False), settings)
            app.state.notify_worker = notifier.notify
        app.state.profile_cache = (
            ProfileCache(settings.cache_url, ttl_seconds=settings.profile_cache_seconds)
            if settings.cache_url
            else None
        )
        app.state.db = db
        app.state.settings = settings
        app.state.scope_caches = {}
        app.state.experiment_caches = {}
        app.state.auth_required = auth_required
        app.state.key_checker = KeyChecker(db, settings.key_cache_seconds)
        app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_limit_url)
        app.state.event_limit = parse_limit(settings.event_rate_limit)
        app.state.unauthenticated_limit = parse_limit(settings.unauthenticated_rate_limit)
        app.state.login_limit = parse_limit(settings.login_rate_limit)
        if not auth_required:
            log.warning(
                "AUTHENTICATION IS OFF: every caller is an admin of the default tenant. "
                "Demo use only, on loopback.",
                extra={"action": "auth_off"},
            )
        try:
            yield
        finally:
            metrics.detach()
            if worker is not None:
                worker.stop()
            if notifier is not None:
                notifier.close()
            if app.state.profile_cache is not None:
                app.state.profile_cache.close()
            db.dispose()

    app = FastAPI(
        title="smartpractice",
        version=__version__,
        summary="What each student knows, skill by skill, and the next question for them.",
        lifespan=lifespan,
        # Served from the package by install_docs, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    _error_handlers(app)
    app.add_middleware(RejectNul)
    app.add_middleware(RequireUtf8Body)
    # Outermost of ours: the body limit counts every byte the others read.
    app.add_middleware(LimitBody, max_bytes=settings.max_body_bytes)
    metrics = install_metrics(
        app, dependencies=[Depends(require_operator)], responses=KEY_RESPONSES
    )
    for module in (attempts, catalog, students, exams, tutor, admin, experiments):
        app.include_router(
            module.router, responses=KEY_RESPONSES, dependencies=[Depends(require_json)]
        )
    app.include_router(health.router)
    install_dashboard(app)
    _document_bodies(app)
    return app


_BODY_MODELS = (
    AttemptIn,
    AttemptBatch,
    SkillBatch,
    ItemBatch,
    ExamBatch,
    tutor.MisconceptionBatch,
)
"""Models that hand-written request bodies name by `$ref` (routes that take a list or an
object declare their body in `openapi_extra`, so FastAPI does not emit these itself)."""


def _document_bodies(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _, definitions = models_json_schema(
                [(model, "validation") for model in _BODY_MODELS],
                ref_template="#/components/schemas/{model}",
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in definitions.get("$defs", {}).items():
                schemas.setdefault(name, schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several API processes: settings from the
    environment, the sample bank when ``SMARTPRACTICE_DEMO=1``."""
    import os

    from smartpractice.api.observability import configure_service_logging

    configure_service_logging()
    return create_app(Settings(), demo=os.environ.get("SMARTPRACTICE_DEMO") == "1")
