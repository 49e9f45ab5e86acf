"""Skills and items: validated bulk upserts, listings and per-item statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from smartpractice.core.config import EloConfig
from smartpractice.services.ports import InvalidInput, NotFound
from smartpractice.services.schemas import ItemIn, SkillIn
from smartpractice.storage.models import Item, ItemSkill, Skill, SkillPrerequisite

__all__ = [
    "ItemFilter",
    "get_item",
    "item_place_conditions",
    "list_items",
    "list_skills",
    "prerequisite_map",
    "upsert_items",
    "upsert_skills",
]


@dataclass(frozen=True, slots=True)
class ItemFilter:
    subject: str | None = None
    chapter: str | None = None
    topic: str | None = None
    skill: str | None = None


def prerequisite_map(session: Session) -> dict[str, list[str]]:
    """Every skill's prerequisites."""
    edges: dict[str, list[str]] = {}
    for skill_id, prerequisite_id in session.execute(
        select(SkillPrerequisite.skill_id, SkillPrerequisite.prerequisite_id)
    ):
        edges.setdefault(skill_id, []).append(prerequisite_id)
    return edges


def upsert_skills(session: Session, skills: Sequence[SkillIn]) -> int:
    """Create or replace skills and their prerequisite edges; all or nothing.

    Raises:
        InvalidInput: a prerequisite is unknown, a skill requires itself, a skill id repeats,
            or the edges would form a cycle.
    """
    errors: list[dict[str, Any]] = []
    batch_ids = [s.skill_id for s in skills]
    known = set(session.scalars(select(Skill.skill_id)).all()) | set(batch_ids)
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
    graph = {k: set(v) for k, v in prerequisite_map(session).items()}
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
    for skill in skills:
        session.merge(
            Skill(skill_id=skill.skill_id, name=skill.name, description=skill.description)
        )
    session.flush()
    if batch_ids:
        session.execute(delete(SkillPrerequisite).where(SkillPrerequisite.skill_id.in_(batch_ids)))
    session.add_all(
        SkillPrerequisite(skill_id=s.skill_id, prerequisite_id=p)
        for s in skills
        for p in s.prerequisites
    )
    return len(skills)


def upsert_items(session: Session, items: Sequence[ItemIn], *, elo: EloConfig) -> int:
    """Create or update items; learned difficulties of skills an item keeps are preserved.

    Raises:
        InvalidInput: an item names an unknown skill or an item id repeats in the batch.
    """
    known = set(session.scalars(select(Skill.skill_id)).all())
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
    ids = sorted(i.item_id for i in items)
    # The workers' locks, in the workers' order (items' rows by id, then their skills by
    # (item, skill)): an import waits for a batch applying these items, or the batch for
    # the import, instead of deadlocking with it or overwriting a difficulty it just moved.
    session.execute(
        select(Item.item_id)
        .where(Item.item_id.in_(ids))
        .order_by(Item.item_id)
        .with_for_update(key_share=True)
    ).all()
    existing = {
        (row.item_id, row.skill_id): row
        for row in session.scalars(
            select(ItemSkill)
            .where(ItemSkill.item_id.in_(ids))
            .order_by(ItemSkill.item_id, ItemSkill.skill_id)
            .with_for_update()
        )
    }
    for item in items:
        fields = item.model_dump(exclude={"skills"})
        row = session.get(Item, item.item_id)
        if row is None:
            session.add(Item(**fields, attempts=0, correct=0))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        session.flush()
        for skill_id, explicit in item.skills.items():
            initial = (
                explicit if explicit is not None else elo.label_difficulty(item.difficulty_label)
            )
            current = existing.pop((item.item_id, skill_id), None)
            if current is None:
                session.add(
                    ItemSkill(
                        item_id=item.item_id,
                        skill_id=skill_id,
                        initial_difficulty=initial,
                        difficulty=initial,
                        attempts=0,
                        correct=0,
                    )
                )
            else:
                if current.attempts == 0:
                    current.difficulty = initial
                current.initial_difficulty = initial
    for dropped in existing.values():
        session.delete(dropped)
    return len(items)


def list_skills(session: Session, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    total = int(session.execute(select(func.count()).select_from(Skill)).scalar_one())
    skills = session.scalars(
        select(Skill).order_by(Skill.skill_id).offset(offset).limit(limit)
    ).all()
    edges = prerequisite_map(session)
    return (
        [
            {
                "skill_id": s.skill_id,
                "name": s.name,
                "description": s.description,
                "prerequisites": sorted(edges.get(s.skill_id, [])),
            }
            for s in skills
        ],
        total,
    )


def item_place_conditions(
    *, subject: str | None, chapter: str | None, topic: str | None
) -> list[ColumnElement[bool]]:
    """SQL conditions on `Item` for whichever of subject, chapter and topic are given.
    Names match whatever their case ("derivatives" finds "Derivatives"); the exact name
    always matches (the database's lower() may know only ASCII)."""
    return [
        or_(column == value, func.lower(column) == value.lower())
        for column, value in ((Item.subject, subject), (Item.chapter, chapter), (Item.topic, topic))
        if value
    ]


def _filtered(query: Select[Any], where: ItemFilter) -> Select[Any]:
    query = query.where(
        *item_place_conditions(subject=where.subject, chapter=where.chapter, topic=where.topic)
    )
    if where.skill:
        query = query.where(
            Item.item_id.in_(select(ItemSkill.item_id).where(ItemSkill.skill_id == where.skill))
        )
    return query


def _item_dict(item: Item, skills: Sequence[ItemSkill]) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "source": item.source,
        "subject": item.subject,
        "chapter": item.chapter,
        "topic": item.topic,
        "grade": item.grade,
        "difficulty_label": item.difficulty_label,
        "expected_time_seconds": item.expected_time_seconds,
        "marks": item.marks,
        "text": item.text,
        "attempts": item.attempts,
        "success_rate": (item.correct / item.attempts) if item.attempts else None,
        "skills": {
            s.skill_id: {
                "difficulty": s.difficulty,
                "initial_difficulty": s.initial_difficulty,
                "attempts": s.attempts,
                "success_rate": (s.correct / s.attempts) if s.attempts else None,
            }
            for s in skills
        },
    }


def list_items(
    session: Session, where: ItemFilter, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    total = int(
        session.execute(_filtered(select(func.count()).select_from(Item), where)).scalar_one()
    )
    items = session.scalars(
        _filtered(select(Item), where).order_by(Item.item_id).offset(offset).limit(limit)
    ).all()
    skills: dict[str, list[ItemSkill]] = {}
    for row in session.scalars(
        select(ItemSkill).where(ItemSkill.item_id.in_([i.item_id for i in items]))
    ):
        skills.setdefault(row.item_id, []).append(row)
    return [_item_dict(i, skills.get(i.item_id, [])) for i in items], total


def get_item(session: Session, item_id: str) -> dict[str, Any]:
    """One item with per-skill difficulty, attempts and success rate.

    Raises:
        NotFound: no such item.
    """
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id!r}")
    rows = session.scalars(select(ItemSkill).where(ItemSkill.item_id == item_id)).all()
    return _item_dict(item, rows)
