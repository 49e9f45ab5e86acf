"""A whole simulation study: options -> world -> every policy -> metrics.

The `simulate` command and the tuning search both go through `build_world` and
`run_study`; parameters given as text (``NAME=VALUE``) are checked here, and every error
names the option it came from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from smartpractice.core.config import ModelConfig, SelectionConfig
from smartpractice_lab.simulation.bank import load_bank
from smartpractice_lab.simulation.config import (
    LEARNER_PRESETS,
    LearnerConfig,
    SimulationConfig,
    SimulationError,
)
from smartpractice_lab.simulation.family_config import ELO_FAMILIES, FamilyParams
from smartpractice_lab.simulation.metrics import PolicyMetrics, summarize
from smartpractice_lab.simulation.runner import World, run_policies

__all__ = [
    "build_world",
    "learner_config",
    "parse_assignments",
    "run_study",
    "selection_config",
    "supported_policies",
]


def parse_assignments(values: Iterable[str], *, option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` (or ``"a=1,b=2"`` items) -> ``{"a": "1", "b": "2"}``.

    Raises:
        SimulationError: an item is not NAME=VALUE.
    """
    found: dict[str, str] = {}
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            name, sep, text = part.partition("=")
            if not sep or not name.strip() or not text.strip():
                raise SimulationError(f"{option}: expected NAME=VALUE, got {part!r}")
            found[name.strip()] = text.strip()
    return found


def learner_config(preset: str, overrides: Mapping[str, str]) -> LearnerConfig:
    """The named learner preset with `overrides` (``--learner-param``) applied.

    Raises:
        SimulationError: unknown preset or an impossible parameter.
    """
    if preset not in LEARNER_PRESETS:
        raise SimulationError(
            f"--learners: unknown configuration {preset!r}; choose from "
            f"{', '.join(LEARNER_PRESETS)}"
        )
    try:
        return LEARNER_PRESETS[preset].with_overrides(dict(overrides))
    except SimulationError as error:
        raise SimulationError(f"--learner-param {error}") from None


def _check_selection(config: SelectionConfig) -> None:
    weights = [
        config.weight_elo_match,
        config.weight_thompson,
        config.weight_weak_skill,
        config.weight_recency,
    ]
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise SimulationError("weights: must be finite, >= 0 and not all 0")
    for name in ("target_success", "prerequisite_gate", "prerequisite_mastered"):
        value = getattr(config, name)
        if not 0.0 < value < 1.0:
            raise SimulationError(f"{name}: must be in (0, 1), got {value}")
    positive = ("match_width", "difficulty_window", "recency_half_life_hours", "prior_strength_min")
    for name in positive:
        if not getattr(config, name) > 0:
            raise SimulationError(f"{name}: must be above 0, got {getattr(config, name)}")
    if config.prior_strength_max < config.prior_strength_min:
        raise SimulationError("prior_strength_max: must be >= prior_strength_min")
    if config.max_candidates < 1 or config.remediation_candidates < 0:
        raise SimulationError("max_candidates >= 1 and remediation_candidates >= 0 required")


def selection_config(base: SelectionConfig, overrides: Mapping[str, str]) -> SelectionConfig:
    """`base` with selector constants given as text (``--selection``), checked.

    Raises:
        SimulationError: unknown constant, not a number, or an impossible value.
    """
    known = {f.name: f for f in dataclasses.fields(base)}
    values: dict[str, Any] = {}
    for name, text in overrides.items():
        if name not in known:
            raise SimulationError(f"--selection {name}: not a selector constant; see docs/model.md")
        kind = int if isinstance(getattr(base, name), int) else float
        try:
            values[name] = kind(text)
        except ValueError:
            raise SimulationError(f"--selection {name}: expected a number, got {text!r}") from None
    config = dataclasses.replace(base, **values)
    try:
        _check_selection(config)
    except SimulationError as error:
        raise SimulationError(f"--selection {error}") from None
    return config


def build_world(
    *,
    model: ModelConfig,
    learner: LearnerConfig,
    simulation: SimulationConfig,
    bank_path: Path | None = None,
    subject: str | None = None,
    chapter: str | None = None,
    topic: str | None = None,
    family: str = "elo",
    params: FamilyParams | None = None,
) -> World:
    """Load the bank (hidden truths seeded by the run seed) and choose the topics.

    Args:
        family: The learner family (`FAMILY_NAMES`); `params` its own parameters (None for
            the Elo families, whose model is `learner`).

    Raises:
        SimulationError: bad bank, no topic in scope, or impossible parameters.
    """
    learner.validate()
    if params is not None:
        params.validate()
    simulation.validate()
    bank, _, _ = load_bank(
        bank_path, label_noise_sd=learner.label_noise_sd, seed=simulation.seed, elo=model.elo
    )
    topics = bank.select_topics(subject=subject, chapter=chapter, topic=topic)
    if not topics:
        raise SimulationError("--bank: no topic has an item testing a single skill")
    return World(bank, tuple(topics), learner, model, simulation, family, params)


def supported_policies(family: str, policies: Sequence[str]) -> list[str]:
    """`policies` without those the family's learner cannot serve (``planner`` models the
    Elo learner only)."""
    return [p for p in policies if p != "planner" or family in ELO_FAMILIES]


def run_study(
    world: World,
    policies: Sequence[str],
    *,
    jobs: int = 1,
    progress: Callable[[int], object] | None = None,
) -> dict[str, PolicyMetrics]:
    """Run every policy on the world's students; metrics in `policies` order."""
    results = run_policies(world, policies, jobs=jobs, progress=progress)
    simulation = world.simulation
    return {
        name: summarize(
            results[name],
            questions=simulation.questions,
            checkpoint_every=simulation.checkpoint_every,
        )
        for name in policies
    }
