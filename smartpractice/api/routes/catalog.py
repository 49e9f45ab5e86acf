"""Skills and items: bulk upsert, listing, one item's statistics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from smartpractice.api.deps import SettingsDep, audit, located_in_body, parse_body, scope_cache
from smartpractice.api.schemas import (
    BODY_RESPONSES,
    NOT_FOUND,
    ItemBatch,
    ItemOut,
    Page,
    SkillBatch,
    UpsertResult,
    encoded,
)
from smartpractice.api.security import AdminDatabase, AdminKey, ReadDatabase
from smartpractice.services.catalog import (
    ItemFilter,
    get_item,
    list_items,
    list_skills,
    upsert_items,
    upsert_skills,
)
from smartpractice.storage.sql_catalog import SqlCatalogStore

router = APIRouter(prefix="/v1", tags=["catalog"])

Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.post(
    "/skills",
    response_model=UpsertResult,
    responses=BODY_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SkillBatch"}}}
        }
    },
    summary="Create or replace skills (a list, or {'skills': [...]})",
)
def post_skills(
    request: Request, db: AdminDatabase, principal: AdminKey, body: Any = Body(...)
) -> UpsertResult:
    batch = parse_body(SkillBatch, {"skills": body} if isinstance(body, list) else body)
    with located_in_body("skills"), db.transaction() as session:
        upserted = upsert_skills(SqlCatalogStore(session), batch.skills)
    audit(request, principal, "skills.import", {"upserted": upserted})
    return UpsertResult(upserted=upserted)


@router.get("/skills", response_model=Page, summary="List skills")
def get_skills(db: ReadDatabase, offset: Offset = 0, limit: Limit = 100) -> Page:
    with db.transaction() as session:
        skills, total = list_skills(SqlCatalogStore(session), offset=offset, limit=limit)
    return Page(total=total, offset=offset, limit=limit, data=[encoded(s) for s in skills])


@router.post(
    "/items",
    response_model=UpsertResult,
    responses=BODY_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemBatch"}}}
        }
    },
    summary="Create or update items (a list, or {'items': [...]})",
)
def post_items(
    request: Request,
    db: AdminDatabase,
    principal: AdminKey,
    settings: SettingsDep,
    body: Any = Body(...),
) -> UpsertResult:
    batch = parse_body(ItemBatch, {"items": body} if isinstance(body, list) else body)
    with located_in_body("items"), db.transaction() as session:
        upserted = upsert_items(SqlCatalogStore(session), batch.items, elo=settings.model.elo)
    scope_cache(request, db).clear()
    audit(request, principal, "items.import", {"upserted": upserted})
    return UpsertResult(upserted=upserted)


@router.get("/items", response_model=Page, summary="List items, filtered and paginated")
def get_items(
    db: ReadDatabase,
    subject: str | None = None,
    chapter: str | None = None,
    topic: str | None = None,
    skill: str | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Page:
    where = ItemFilter(subject=subject, chapter=chapter, topic=topic, skill=skill)
    with db.transaction() as session:
        items, total = list_items(SqlCatalogStore(session), where, offset=offset, limit=limit)
    return Page(total=total, offset=offset, limit=limit, data=[encoded(i) for i in items])


@router.get(
    "/items/{item_id}",
    response_model=ItemOut,
    responses=NOT_FOUND,
    summary="One item: per-skill difficulty, attempts, success rate",
)
def get_one_item(item_id: str, db: ReadDatabase) -> dict[str, Any]:
    with db.transaction() as session:
        item = get_item(SqlCatalogStore(session), item_id)
    return encoded(item)
