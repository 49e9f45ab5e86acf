"""Named dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from smartpractice.config import Settings
from smartpractice.storage.db import Database

__all__ = ["DatabaseDep", "SettingsDep", "notify_worker", "parse_body"]

Model = TypeVar("Model", bound=BaseModel)


def parse_body(model: type[Model], body: Any) -> Model:
    """Validate a JSON body against `model`; errors become a 422 naming each field."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def notify_worker(request: Request) -> None:
    """Tell whatever applies events that new ones are waiting."""
    notify = request.app.state.notify_worker
    notify()


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
