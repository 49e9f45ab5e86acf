"""The learner families and their parameters (docs/simulation.md, "Learner families").

A family is a learner model: `elo` (the default, `LearnerConfig`), `bkt`, `prerequisite_gated`,
`compensatory` and `forgetting` (the `elo` model with strong forgetting). Every family also
reads the shared part of a `LearnerConfig`: sessions (`session_questions`,
`session_gap_days`), time on items (`time_sd`, `failure_time_factor`), label noise
(`label_noise_sd`) and the memory of a recent item (`repeat_learning`, `item_memory_days`).

Units: Elo points for levels and difficulties (the service's scale), probabilities in
[0, 1], days.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from smartpractice_lab.simulation.config import LEARNER_PRESETS, LearnerConfig, SimulationError

__all__ = [
    "ELO_FAMILIES",
    "FAMILY_NAMES",
    "BktConfig",
    "CompensatoryConfig",
    "FamilyParams",
    "FamilySetup",
    "GatedConfig",
    "family_setups",
]

FAMILY_NAMES = ("elo", "bkt", "prerequisite_gated", "compensatory", "forgetting")
"""The learner families, in report order (`elo` is the default)."""
ELO_FAMILIES = ("elo", "forgetting")
"""Families whose learner is `smartpractice_lab.simulation.learner.Learner` (the `planner`
diagnostic models only those)."""


def _check_probabilities(config: object, names: tuple[str, ...], *, open_interval: bool) -> None:
    for name in names:
        value = getattr(config, name)
        inside = 0.0 < value < 1.0 if open_interval else 0.0 <= value <= 1.0
        if not (math.isfinite(value) and inside):
            bounds = "(0, 1)" if open_interval else "[0, 1]"
            raise SimulationError(f"{name}: must be in {bounds}, got {value}")


def _check_non_negative(config: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(config, name)
        if not math.isfinite(value) or value < 0:
            raise SimulationError(f"{name}: must be a finite number >= 0, got {value}")


@dataclass(frozen=True, slots=True)
class BktConfig:
    """Bayesian knowledge tracing learners (Corbett & Anderson 1995), all-or-none learning.

    Each skill is known or not. Per student and skill, p(L0), `learn`, `guess` and `slip`
    are drawn around the family means below: ``sigmoid(logit(mean) + Normal(0, spread))``
    (guess and slip capped at `max_guess_slip`). An item is answered right with probability
    ``prod_s (1 - slip_s if known_s else guess_s)`` (every skill must be applied: a
    multi-skill item needs all of them known to be likely right). After each answer, every
    unknown skill of the item becomes known with probability ``learn_s * outcome * repeat``
    (``outcome`` 1 right, `failure_learning` wrong; ``repeat`` the memory of a recent item).
    Mastered means known.
    """

    initial_known: float = 0.2
    """Mean p(L0) (0-1) on the skills the practised topic teaches (new material) ..."""
    prior_known: float = 0.85
    """... and on every other skill (learnt before)."""
    learn: float = 0.15
    """Mean chance (0-1) that practising an unknown skill makes it known."""
    guess: float = 0.15
    """Mean chance (0-1) of applying an unknown skill right."""
    slip: float = 0.1
    """Mean chance (0-1) of applying a known skill wrong."""
    spread: float = 0.5
    """Spread (logits, standard deviation) of each student's parameters around the means."""
    max_guess_slip: float = 0.45
    """Cap (0-0.5) on a drawn guess or slip, so a known skill always beats an unknown one."""
    failure_learning: float = 0.7
    """Learning chance after a wrong answer relative to a right one (0-1)."""

    def validate(self) -> None:
        """Raise `SimulationError` naming the first impossible parameter."""
        _check_probabilities(
            self, ("initial_known", "prior_known", "learn", "guess", "slip"), open_interval=True
        )
        _check_probabilities(self, ("failure_learning",), open_interval=False)
        _check_non_negative(self, ("spread",))
        if not 0.0 < self.max_guess_slip < 0.5:
            raise SimulationError(f"max_guess_slip: must be in (0, 0.5), got {self.max_guess_slip}")


@dataclass(frozen=True, slots=True)
class GatedConfig:
    """Prerequisite-gated conjunctive learners: learning needs the prerequisites known.

    A latent level per skill (Elo points). An item with skills S is solved with probability
    ``prod_s p_s``, ``p_s = 1/(1 + 10^((d_s - theta_s)/400))`` (conjunctive) and answered
    right with ``guess + (1 - guess - slip) prod_s p_s``. Practising skill s raises its
    level by ``rate * outcome * repeat`` if every prerequisite of s is known (its latent
    chance on its typical item at least `known_probability`) and not at all otherwise: a
    gate, not a slowdown. ``outcome`` is 1 solved, `failure_learning` failed, 0 a lucky
    guess. Unlike `elo`, learning does not depend on the challenge. Mastered: latent chance
    on the skill's typical item at least `mastery_probability`.
    """

    start_gap_mean: float = -150.0
    """Mean starting level minus the skill's typical true difficulty (Elo points) on the
    skills the topic teaches ..."""
    prior_gap_mean: float = 150.0
    """... and on every other skill (learnt before)."""
    start_gap_sd_student: float = 120.0
    """Spread (Elo points) of the starting level between students."""
    start_gap_sd_skill: float = 80.0
    """Spread (Elo points) of one student's starting level across skills."""
    learning_rate: float = 60.0
    """Level gained (Elo points) by one solved attempt on an ungated skill."""
    learning_rate_sd: float = 0.35
    """Spread of the students' learning-rate multiplier (sigma of a log-normal, mean 1)."""
    failure_learning: float = 0.7
    """Learning from a failed attempt relative to a solved one (0-1)."""
    known_probability: float = 0.5
    """A prerequisite is known (opens the gate) at this latent chance on its typical item."""
    guess: float = 0.15
    """Chance (0-1) of a correct answer without solving."""
    slip: float = 0.05
    """Chance (0-1) of a wrong answer despite solving."""
    mastery_probability: float = 0.8
    """Mastered at this latent chance (0-1) on the skill's typical item."""

    def validate(self) -> None:
        """Raise `SimulationError` naming the first impossible parameter."""
        _check_non_negative(
            self,
            ("start_gap_sd_student", "start_gap_sd_skill", "learning_rate", "learning_rate_sd"),
        )
        _check_probabilities(self, ("failure_learning", "guess", "slip"), open_interval=False)
        _check_probabilities(self, ("known_probability", "mastery_probability"), open_interval=True)
        if self.guess + self.slip >= 1.0:
            raise SimulationError(f"guess + slip: must be below 1, got {self.guess + self.slip}")


@dataclass(frozen=True, slots=True)
class CompensatoryConfig:
    """Additive-factors learners (AFM, Cen et al. 2006; success/failure counts as in PFA,
    Pavlik et al. 2009): skills add up, so a strong skill makes up for a weak one.

    ``logit P(correct) = ln(10)/400 * (theta + sum_s w_s * beta_s - delta_i)`` over the
    item's skills with weights ``w_s = 1/|S|`` (a two-skill item is on the one-skill scale)
    and ``delta_i = sum_s w_s * d_s`` (the item's true difficulties), in Elo points: theta
    the student offset, beta_s the skill strength. Each practice opportunity adds
    ``gamma_s * repeat`` to beta_s after a right answer and ``failure_learning * gamma_s *
    repeat`` after a wrong one, gamma_s drawn per student and skill. Mastered: predicted
    success on the skill's typical item (one skill, its mean true difficulty) at least
    `mastery_probability`.
    """

    start_gap_mean: float = -150.0
    """Mean theta + beta_s minus the skill's typical true difficulty (Elo points) on the
    skills the topic teaches ..."""
    prior_gap_mean: float = 50.0
    """... and on every other skill."""
    start_gap_sd_student: float = 120.0
    """Spread (Elo points) of theta between students."""
    start_gap_sd_skill: float = 80.0
    """Spread (Elo points) of one student's beta across skills."""
    learning_rate: float = 45.0
    """Mean gamma (Elo points per right answer)."""
    learning_rate_sd: float = 0.35
    """Spread of gamma per student and skill (sigma of a log-normal, mean 1)."""
    failure_learning: float = 0.5
    """Gain after a wrong answer relative to a right one (0-1)."""
    mastery_probability: float = 0.8
    """Mastered at this predicted success (0-1) on the skill's typical item."""

    def validate(self) -> None:
        """Raise `SimulationError` naming the first impossible parameter."""
        _check_non_negative(
            self,
            ("start_gap_sd_student", "start_gap_sd_skill", "learning_rate", "learning_rate_sd"),
        )
        _check_probabilities(self, ("failure_learning",), open_interval=False)
        _check_probabilities(self, ("mastery_probability",), open_interval=True)


FamilyParams = BktConfig | GatedConfig | CompensatoryConfig
"""A non-Elo family's own parameters."""

FORGETTING = LearnerConfig(forgetting_half_life_days=5.0, session_gap_days=3.0)
"""The `forgetting` family: the `elo` learner whose gains halve every 5 days, with sessions
3 days apart on average, so practice spaced across sessions matters."""


@dataclass(frozen=True, slots=True)
class FamilySetup:
    """One family as a run needs it.

    Attributes:
        name: The family (one of `FAMILY_NAMES`).
        learner: The shared parameters, and the whole model for the Elo families.
        params: The family's own parameters (None for the Elo families).
    """

    name: str
    learner: LearnerConfig
    params: FamilyParams | None = None


def _override(config: Any, values: Mapping[str, str]) -> Any:
    """`config` (a parameter dataclass) with the `values` it has a field for, validated."""
    own = {f.name for f in fields(config)}
    changes: dict[str, float | int] = {}
    for name, text in values.items():
        if name not in own:
            continue
        kind = int if isinstance(getattr(config, name), int) else float
        try:
            changes[name] = kind(text)
        except ValueError:
            raise SimulationError(f"{name}: expected a number, got {text!r}") from None
    updated = dataclasses.replace(config, **changes)
    updated.validate()
    return updated


def _default_setup(name: str) -> FamilySetup:
    if name == "bkt":
        return FamilySetup(name, LearnerConfig(), BktConfig())
    if name == "prerequisite_gated":
        return FamilySetup(name, LearnerConfig(), GatedConfig())
    if name == "compensatory":
        return FamilySetup(name, LearnerConfig(), CompensatoryConfig())
    if name == "forgetting":
        return FamilySetup(name, FORGETTING)
    return FamilySetup("elo", LearnerConfig())


def family_setups(choice: str, overrides: Mapping[str, str]) -> list[FamilySetup]:
    """The families `--learners` names, with `--learner-param` overrides applied.

    `choice` is ``all``, a family name, or an `elo` preset (``baseline``, ``fast``, ...).
    An override applies to every chosen family that has the parameter (its own parameters
    first, else the shared `LearnerConfig`).

    Raises:
        SimulationError: unknown choice, a parameter no chosen family has, or an impossible
            value (the message starts with the option).
    """
    if choice == "all":
        setups = [_default_setup(n) for n in FAMILY_NAMES]
    elif choice in FAMILY_NAMES:
        setups = [_default_setup(choice)]
    elif choice in LEARNER_PRESETS:
        setups = [FamilySetup("elo", LEARNER_PRESETS[choice])]
    else:
        raise SimulationError(
            f"--learners: unknown {choice!r}; choose all, a family ({', '.join(FAMILY_NAMES)}) "
            f"or an elo preset ({', '.join(LEARNER_PRESETS)})"
        )
    known = {f.name for f in fields(LearnerConfig)}
    for setup in setups:
        if setup.params is not None:
            known |= {f.name for f in fields(setup.params)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SimulationError(
            f"--learner-param {unknown[0]}: not a parameter of the chosen learners; choose "
            f"from {sorted(known)}"
        )
    try:
        return [_with_overrides(setup, overrides) for setup in setups]
    except SimulationError as error:
        raise SimulationError(f"--learner-param {error}") from None


def _with_overrides(setup: FamilySetup, overrides: Mapping[str, str]) -> FamilySetup:
    if setup.params is None:
        return FamilySetup(setup.name, _override(setup.learner, overrides))
    own = {f.name for f in fields(setup.params)}
    params = _override(setup.params, overrides)
    rest = {k: v for k, v in overrides.items() if k not in own}
    return FamilySetup(setup.name, _override(setup.learner, rest), params)
