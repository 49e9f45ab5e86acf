"""The NCERT-style sample bank shipped with the package (for `serve --demo` and tests), and
its sample exam blueprints (invented numbers)."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from smartpractice.core.config import EloConfig
from smartpractice.services.catalog import upsert_items, upsert_skills
from smartpractice.services.exams import upsert_exams
from smartpractice.services.ports import CatalogStore, ExamStore
from smartpractice.services.schemas import ExamIn, ItemIn, SkillIn

__all__ = ["load_sample_bank", "load_sample_exams", "read_sample_bank", "read_sample_exams"]


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


def read_sample_exams() -> list[ExamIn]:
    """The sample bank's exam blueprints (a CBSE class 12 board-style paper and a JEE
    Main-style paper; invented numbers), validated."""
    raw: dict[str, Any] = json.loads(
        (resources.files("smartpractice") / "data" / "sample_exams.json").read_text("utf-8")
    )
    return [ExamIn.model_validate(e) for e in raw["exams"]]


def load_sample_exams(store: ExamStore) -> int:
    """Import the sample blueprints (over the sample bank's chapters, which must be loaded).
    Their dates are fixed in the file, so they are not refused once past: readiness and
    mock tests still work, exam mode then says the date is past."""
    return upsert_exams(store, read_sample_exams(), today=date.min)
