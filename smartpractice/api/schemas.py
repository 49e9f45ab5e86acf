"""Request and response bodies of the HTTP API beyond the shared input records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartpractice.schemas import AttemptIn, ItemIn, SkillIn

__all__ = [
    "AttemptBatch",
    "AttemptsAccepted",
    "EventStatusOut",
    "ItemBatch",
    "Page",
    "SkillBatch",
    "UpsertResult",
]

MAX_BATCH = 1000


class AttemptBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempts: list[AttemptIn] = Field(min_length=1, max_length=MAX_BATCH)


class SkillBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skills: list[SkillIn] = Field(min_length=1, max_length=10000)


class ItemBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(min_length=1, max_length=10000)


class AttemptsAccepted(BaseModel):
    accepted: int
    duplicates: int
    event_ids: list[str]


class EventStatusOut(BaseModel):
    event_id: str
    status: Literal["pending", "applied", "rejected"]
    reason: str | None
    received_at: datetime
    applied_at: datetime | None


class UpsertResult(BaseModel):
    upserted: int


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    data: list[dict[str, Any]]
