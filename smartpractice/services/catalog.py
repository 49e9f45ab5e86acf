"""Skills and items: validated bulk upserts, listings and per-item statistics."""

from __future__ import annotations

from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter
from typing import Any

from smartpractice.core.config import EloConfig
from smartpractice.services.ports import (
    CatalogStore,
    InvalidInput,
    ItemContent,
    ItemFilter,
    ItemRecord,
    NotFound,
    SkillRecord,
)
from smartpractice.services.schemas import ItemIn, SkillIn

__all__ = [
    "ItemFilter",
    "get_item",
    "list_items",
    "list_skills",
    "upsert_items",
    "upsert_skills",
]


def upsert_skills(store: CatalogStore, skills: Sequence[SkillIn]) -> int:
    """Create or replace skills and their prerequisite edges; all or nothing.

    Raises:
        InvalidInput: a prerequisite is unknown, a skill requires itself, a skill id repeats,
            or the edges would form a cycle.
    """
    errors: list[dict[str, Any]] = []
    batch_ids = [s.skill_id for s in skills]
    known = store.skill_ids() | set(batch_ids)
    seen: set[str] = set()
    for index, skill in enumerate(skills):
        if skill.skill_id in seen:
            errors.append({"loc": [index, "skill_id"], "msg": "repeats an earlier row"})
        seen.add(skill.skill_id)
        for prerequisite in skill.prerequisites:
            if prerequisite == skill.skill_id:
                errors.append(
                    {"loc": [index, "prerequisites"], "msg": "a skill cannot require itself"}
                )
            elif prerequisite not in known:
                errors.append(
                    {"loc": [index, "prerequisites"], "msg": f"unknown skill {prerequisite!r}"}
                )
    graph = {k: set(v) for k, v in store.prerequisites().items()}
    for skill in skills:
        graph[skill.skill_id] = set(skill.prerequisites)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        nodes = [str(node) for node in cycle.args[1]]
        path = " -> ".join(nodes)
        # Point at the first row of this batch on the cycle (the rest may be stored).
        on_cycle = [i for i, s in enumerate(skills) if s.skill_id in set(nodes)]
        loc: list[Any] = [on_cycle[0], "prerequisites"] if on_cycle else ["prerequisites"]
        errors.append({"loc": loc, "msg": f"prerequisite cycle: {path}"})
    if errors:
        raise InvalidInput(errors)
    store.save_skills(
        [
            SkillRecord(
                skill_id=s.skill_id,
                name=s.name,
                description=s.description,
                prerequisites=list(s.prerequisites),
            )
            for s in skills
        ]
    )
    return len(skills)


def upsert_items(store: CatalogStore, items: Sequence[ItemIn], *, elo: EloConfig) -> int:
    """Create or update items; learned difficulties of skills an item keeps are preserved.

    Raises:
        InvalidInput: an item names an unknown skill or an item id repeats in the batch.
    """
    known = store.skill_ids()
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.item_id in seen:
            errors.append({"loc": [index, "item_id"], "msg": "repeats an earlier row"})
        seen.add(item.item_id)
        for skill_id in item.skills:
            if skill_id not in known:
                errors.append({"loc": [index, "skills", skill_id], "msg": "unknown skill"})
    if errors:
        raise InvalidInput(errors)
    store.save_items(
        [
            ItemContent(
                **item.model_dump(exclude={"skills"}),
                initial_difficulties={
                    skill_id: explicit
                    if explicit is not None
                    else elo.label_difficulty(item.difficulty_label)
                    for skill_id, explicit in item.skills.items()
                },
            )
            for item in items
        ]
    )
    return len(items)


def list_skills(store: CatalogStore, *, offset: int, limit: int) -> tuple[list[SkillRecord], int]:
    """Skills in id order from `offset` (at most `limit`), and how many there are."""
    return store.skills_page(offset=offset, limit=limit)


def list_items(
    store: CatalogStore, where: ItemFilter, *, offset: int, limit: int
) -> tuple[list[ItemRecord], int]:
    """Matching items in id order from `offset` (at most `limit`), and how many match."""
    return store.items_page(where, offset=offset, limit=limit)


def get_item(store: CatalogStore, item_id: str) -> ItemRecord:
    """One item with per-skill difficulty, attempts and success rate.

    Raises:
        NotFound: no such item.
    """
    item = store.item(item_id)
    if item is None:
        raise NotFound(f"item {item_id!r}")
    return item
