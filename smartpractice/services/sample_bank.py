"""The NCERT-style sample bank shipped with the package (for `serve --demo` and tests)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from smartpractice.core.config import EloConfig
from smartpractice.services.catalog import upsert_items, upsert_skills
from smartpractice.services.ports import CatalogStore
from smartpractice.services.schemas import ItemIn, SkillIn

__all__ = ["load_sample_bank", "read_sample_bank"]


def read_sample_bank() -> tuple[list[SkillIn], list[ItemIn]]:
    """The sample bank's skills and items, validated."""
    raw: dict[str, Any] = json.loads(
        (resources.files("smartpractice") / "data" / "sample_bank.json").read_text("utf-8")
    )
    skills = [SkillIn.model_validate(s) for s in raw["skills"]]
    items = [ItemIn.model_validate(i) for i in raw["items"]]
    return skills, items


def load_sample_bank(store: CatalogStore, *, elo: EloConfig) -> bool:
    """Import the sample bank into an empty catalogue; False if items already exist."""
    if store.count_items():
        return False
    skills, items = read_sample_bank()
    upsert_skills(store, skills)
    upsert_items(store, items, elo=elo)
    return True
