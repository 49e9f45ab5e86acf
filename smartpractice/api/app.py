"""`create_app(settings)`: the FastAPI application, built at start-up, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from smartpractice import __version__
from smartpractice.api.routes import attempts, catalog, health, students, tutor
from smartpractice.cache import ProfileCache
from smartpractice.config import Settings
from smartpractice.dashboard import install_dashboard
from smartpractice.observability import install_metrics
from smartpractice.services.demo_students import simulate_demo_students
from smartpractice.services.errors import Conflict, InvalidInput, NotFound
from smartpractice.services.practice import ScopeSkillsCache
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.worker.celery_app import make_celery, send_partitions
from smartpractice.worker.embedded import EmbeddedWorker

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger(__name__)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, error: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": error.errors}, status_code=422)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        detail = [
            {"loc": ["body", "event_id"], "msg": "already used with different content", "input": e}
            for e in error.event_ids
        ]
        return JSONResponse({"detail": detail}, status_code=409)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": f"not found: {error}"}, status_code=404)

    @app.exception_handler(OperationalError)
    async def unavailable(_: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable", extra={"action": "db_unavailable"})
        return JSONResponse(
            {"detail": "database unavailable, retry shortly"},
            status_code=503,
            headers={"Retry-After": "2"},
        )


def create_app(
    settings: Settings,
    *,
    demo: bool = False,
    notify_worker: Callable[[set[int]], None] | None = None,
) -> FastAPI:
    """The API over `settings.database_url`.

    Args:
        settings: Deployment settings and model constants.
        demo: Load the sample bank into an empty catalogue at start-up.
        notify_worker: Called with the partitions that have new events, after they are
            stored. When omitted: with the ``embedded`` queue an in-process worker thread
            is started and woken; with ``celery`` a message per partition is sent.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            upgrade_schema(settings.database_url)
        db = Database(settings.database_url)
        if demo:
            with db.transaction() as session:
                loaded = load_sample_bank(session, elo=settings.model.elo)
            if loaded:
                log.info("sample bank loaded", extra={"action": "demo_load"})
                # Simulated classes, so that /dashboard shows real data at once.
                simulate_demo_students(db, settings)
        metrics.attach(db)
        worker: EmbeddedWorker | None = None
        if notify_worker is not None:
            app.state.notify_worker = notify_worker
        elif settings.queue == "embedded":
            worker = EmbeddedWorker(db, settings)
            worker.start()
            app.state.notify_worker = lambda _partitions: worker.wake()
        else:
            celery = make_celery(settings, with_tasks=False)
            app.state.notify_worker = lambda partitions: send_partitions(celery, partitions)
        app.state.profile_cache = (
            ProfileCache(settings.cache_url, ttl_seconds=settings.profile_cache_seconds)
            if settings.cache_url
            else None
        )
        app.state.db = db
        app.state.settings = settings
        app.state.scope_cache = ScopeSkillsCache(settings.scope_cache_seconds)
        try:
            yield
        finally:
            metrics.detach()
            if worker is not None:
                worker.stop()
            if app.state.profile_cache is not None:
                app.state.profile_cache.close()
            db.dispose()

    app = FastAPI(
        title="smartpractice",
        version=__version__,
        summary="What each student knows, skill by skill, and the next question for them.",
        lifespan=lifespan,
    )
    _error_handlers(app)
    metrics = install_metrics(app)
    for module in (attempts, catalog, students, tutor, health):
        app.include_router(module.router)
    install_dashboard(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several API processes: settings from the
    environment, the sample bank when ``SMARTPRACTICE_DEMO=1``."""
    import os

    return create_app(Settings(), demo=os.environ.get("SMARTPRACTICE_DEMO") == "1")
