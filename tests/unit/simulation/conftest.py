"""A tiny bank for the simulator's unit tests: two topics, a prerequisite chain, one
multi-skill item, no label noise (true difficulty = label value) unless a test asks."""

from __future__ import annotations

import pytest

from smartpractice.core.config import EloConfig
from smartpractice.services.schemas import ItemIn, SkillIn
from smartpractice_lab.simulation.bank import SimBank, build_bank

BASIC = "math:algebra:basics:terms"
LINEAR = "math:algebra:linear:solve"
WORDS = "math:algebra:linear:words"


def tiny_skills() -> list[SkillIn]:
    return [
        SkillIn(skill_id=BASIC, name="Terms"),
        SkillIn(skill_id=LINEAR, name="Solve", prerequisites=[BASIC]),
        SkillIn(skill_id=WORDS, name="Words", prerequisites=[LINEAR]),
    ]


def _item(item_id: str, topic: str, skills: dict[str, float | None], label: str) -> ItemIn:
    return ItemIn(
        item_id=item_id,
        source="ncert_exercise",
        subject="Mathematics",
        chapter="Algebra" if topic != "Basics" else "Basics",
        topic=topic,
        difficulty_label=label,  # type: ignore[arg-type]
        expected_time_seconds=60,
        skills=skills,
    )


def tiny_items() -> list[ItemIn]:
    return [
        _item("b-1", "Basics", {BASIC: None}, "Easy"),
        _item("b-2", "Basics", {BASIC: None}, "Medium"),
        _item("l-1", "Linear", {LINEAR: None}, "Easy"),
        _item("l-2", "Linear", {LINEAR: None}, "Medium"),
        _item("l-3", "Linear", {LINEAR: 1350.0}, "Hard"),
        _item("w-1", "Linear", {WORDS: None}, "Medium"),
        _item("w-2", "Linear", {WORDS: None, LINEAR: None}, "Hard"),
    ]


def tiny_bank(*, label_noise_sd: float = 0.0, seed: int = 0) -> SimBank:
    return build_bank(
        tiny_skills(), tiny_items(), label_noise_sd=label_noise_sd, seed=seed, elo=EloConfig()
    )


@pytest.fixture
def bank() -> SimBank:
    return tiny_bank()
