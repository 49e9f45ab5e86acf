"""The NCERT-style sample bank shipped with the package (for `serve --demo` and tests)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartpractice.core.config import EloConfig
from smartpractice.services.catalog import upsert_items, upsert_skills
from smartpractice.services.schemas import ItemIn, SkillIn
from smartpractice.storage.models import Item

__all__ = ["load_sample_bank", "read_sample_bank"]


def read_sample_bank() -> tuple[list[SkillIn], list[ItemIn]]:
    """The sample bank's skills and items, validated."""
    raw: dict[str, Any] = json.loads(
        (resources.files("smartpractice") / "data" / "sample_bank.json").read_text("utf-8")
    )
    skills = [SkillIn.model_validate(s) for s in raw["skills"]]
    items = [ItemIn.model_validate(i) for i in raw["items"]]
    return skills, items


def load_sample_bank(session: Session, *, elo: EloConfig) -> bool:
    """Import the sample bank into an empty catalogue; False if items already exist."""
    if session.execute(select(func.count()).select_from(Item)).scalar_one():
        return False
    skills, items = read_sample_bank()
    upsert_skills(session, skills)
    session.flush()
    upsert_items(session, items, elo=elo)
    return True
