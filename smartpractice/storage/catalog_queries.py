"""Catalogue facts read by several stores: prerequisite edges, skill names, typical
difficulties and the place conditions on items."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from smartpractice.storage.models import Item, ItemSkill, Skill, SkillPrerequisite

__all__ = ["item_place_conditions", "prerequisite_map", "skill_names", "typical_difficulties"]


def prerequisite_map(session: Session) -> dict[str, list[str]]:
    """Every skill's prerequisites."""
    edges: dict[str, list[str]] = {}
    for skill_id, prerequisite_id in session.execute(
        select(SkillPrerequisite.skill_id, SkillPrerequisite.prerequisite_id)
    ):
        edges.setdefault(skill_id, []).append(prerequisite_id)
    return edges


def skill_names(session: Session, skill_ids: Iterable[str]) -> dict[str, str]:
    """The name of each known skill among `skill_ids`."""
    query = select(Skill.skill_id, Skill.name).where(Skill.skill_id.in_(list(skill_ids)))
    return {skill_id: name for skill_id, name in session.execute(query)}


def typical_difficulties(session: Session, skill_ids: Iterable[str] | None) -> dict[str, float]:
    """Mean current difficulty (Elo points) of the items testing each skill (None: of every
    skill that has items)."""
    query = select(ItemSkill.skill_id, func.avg(ItemSkill.difficulty)).group_by(ItemSkill.skill_id)
    if skill_ids is not None:
        ids = list(set(skill_ids))
        if not ids:
            return {}
        query = query.where(ItemSkill.skill_id.in_(ids))
    return {skill_id: float(mean) for skill_id, mean in session.execute(query)}


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
