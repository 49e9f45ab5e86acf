"""Named dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from smartpractice.adapters.redis_cache import ProfileCache
from smartpractice.services.access import Principal, record_audit
from smartpractice.services.experiment_results import ExperimentResults, record_guardrail_stop
from smartpractice.services.ports import InvalidInput
from smartpractice.services.schemas import JSON_BODY
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import ScopeSkillsCache
from smartpractice.storage.sql_experiments import RunningExperimentsCache

__all__ = [
    "SettingsDep",
    "audit",
    "audit_guardrail_stop",
    "located_in_body",
    "notify_worker",
    "parse_body",
    "profile_cache",
    "require_json",
    "running_experiments",
    "scope_cache",
]

Model = TypeVar("Model", bound=BaseModel)


def parse_body(model: type[Model], body: Any) -> Model:
    """Validate a JSON body against `model`; errors become a 422 naming each field."""
    try:
        return model.model_validate(body, context=JSON_BODY)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def require_json(request: Request) -> None:
    """415 for a body sent as anything but JSON (a form, text, XML), saying so; a request
    without a content type is read as JSON."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    what = "a form body" if media in _FORMS else "a body"
    raise HTTPException(
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        f"{what} of type {media or 'unknown'!r}: this API takes JSON; send the body with "
        "content-type: application/json",
    )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def notify_worker(request: Request, db: Database, partitions: set[int]) -> None:
    """Tell whatever applies events which of `db`'s tenant's partitions have new ones."""
    if partitions:
        request.app.state.notify_worker(db.tenant_id, partitions)


def scope_cache(request: Request, db: Database) -> ScopeSkillsCache:
    """The catalogue cache of `db`'s tenant (tenants never share catalogue facts)."""
    caches: dict[str, ScopeSkillsCache] = request.app.state.scope_caches
    found = caches.get(db.tenant_id)
    if found is None:
        settings: Settings = request.app.state.settings
        found = caches.setdefault(db.tenant_id, ScopeSkillsCache(settings.scope_cache_seconds))
    return found


def running_experiments(request: Request, db: Database) -> RunningExperimentsCache:
    """The running experiments of `db`'s tenant, kept as long as the catalogue cache."""
    caches: dict[str, RunningExperimentsCache] = request.app.state.experiment_caches
    found = caches.get(db.tenant_id)
    if found is None:
        settings: Settings = request.app.state.settings
        found = caches.setdefault(
            db.tenant_id, RunningExperimentsCache(settings.scope_cache_seconds)
        )
    return found


def audit(request: Request, principal: Principal, action: str, detail: dict[str, Any]) -> None:
    """Append an admin action to the audit log (which lives with the default tenant)."""
    root: Database = request.app.state.db
    with root.transaction() as session:
        record_audit(
            SqlAccessStore(session),
            tenant_id=principal.tenant_id,
            key_name=principal.key_name,
            action=action,
            detail=detail,
        )


def audit_guardrail_stop(request: Request, db: Database, results: ExperimentResults) -> None:
    """Append the stop to `db`'s tenant's audit log when computing `results` stopped the
    experiment on a guardrail breach (actor `system`)."""
    if results.breach_action != "stopped":
        return
    root: Database = request.app.state.db
    with root.transaction() as session:
        record_guardrail_stop(SqlAccessStore(session), results, tenant_id=db.tenant_id)


def profile_cache(request: Request) -> ProfileCache | None:
    cache: ProfileCache | None = request.app.state.profile_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]


@contextmanager
def located_in_body(list_key: str | None) -> Iterator[None]:
    """Give a service's row errors the same locations as request validation errors:
    ``["body", list_key, row, field]`` for a batch, ``["body", field]`` for one record."""
    try:
        yield
    except InvalidInput as error:
        located = []
        for e in error.errors:
            loc = list(e["loc"])
            if list_key is not None:
                loc = ["body", list_key, *loc] if isinstance(loc[0], int) else ["body", *loc]
            else:
                loc = ["body", *(loc[1:] if isinstance(loc[0], int) else loc)]
            located.append({**e, "loc": loc})
        raise InvalidInput(located) from None
