"""Every parameter of the synthetic learners and of a simulation run, in one place.

Units: Elo points for abilities and difficulties (the service's scale), probabilities in
[0, 1], seconds, days. docs/simulation.md explains each effect and where its default comes
from; `LEARNER_PRESETS` names the documented learner configurations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import UTC, datetime

__all__ = [
    "DIAGNOSTIC_POLICIES",
    "LEARNER_PRESETS",
    "POLICY_NAMES",
    "START",
    "LearnerConfig",
    "SimulationConfig",
    "SimulationError",
]

POLICY_NAMES = (
    "random",
    "textbook",
    "elo_match",
    "mastery_threshold",
    "weakest_skill",
    "bkt_mastery",
    "smart_practice",
)
"""The policies, in report order."""
DIAGNOSTIC_POLICIES = ("oracle", "planner", "mastery_informed")
"""Not real policies: they read the learner's hidden state (`oracle`: the best next item,
one step ahead; `planner`: the best next item after a roll-out of the following questions;
`mastery_informed`: Smart Practice told which taught skills are already mastered)."""
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""When every simulated student starts (the learner's day 0)."""


class SimulationError(ValueError):
    """A bad simulation parameter; the message starts with the option it concerns."""


@dataclass(frozen=True, slots=True)
class LearnerConfig:
    """The synthetic learner model (docs/simulation.md, "Learner model").

    A learner has a latent ability per skill (Elo points). The chance of solving an item is
    ``guess + (1 - guess - slip) * prod_s p_s`` with ``p_s = 1 / (1 + 10^((d_s - theta_s)/400))``
    over the item's skills (a multi-skill item needs every skill: conjunctive) and ``d_s``
    the item's hidden true difficulty on skill s.
    """

    start_gap_mean: float = -150.0
    """Mean starting ability minus the skill's typical true difficulty (Elo points) on the
    skills the practised topic teaches (new material) ..."""
    prior_gap_mean: float = 50.0
    """... and on every other skill (learnt before, so usually better known; with the
    spreads below, some students still start weak on a prerequisite)."""
    start_gap_sd_student: float = 120.0
    """Spread (Elo points, standard deviation) of the starting level between students."""
    start_gap_sd_skill: float = 80.0
    """Spread (Elo points) of one student's starting level across skills."""
    learning_rate: float = 80.0
    """Ability gained (Elo points) by one attempt at full learning efficiency."""
    learning_rate_sd: float = 0.35
    """Spread of the students' learning-rate multiplier (sigma of a log-normal, mean 1)."""
    best_challenge: float = 0.7
    """Latent chance of solving (0-1) at which an attempt teaches most: the centre of the
    zone of proximal development. Pelanek's adaptive-practice systems target 0.65-0.75
    success; Wilson et al. (2019) derive 0.85 for gradient learners."""
    challenge_width: float = 1.5
    """Width (logits) of that zone: learning falls as a Gaussian in the log-odds distance
    between the item's chance and `best_challenge`."""
    failure_learning: float = 0.7
    """Learning from a failed attempt (with the worked solution as feedback) relative to a
    solved one; a lucky guess teaches nothing."""
    prerequisite_floor: float = 0.3
    """Learning multiplier (0-1) on a skill whose weakest prerequisite is not known at all."""
    prerequisite_ready: float = 0.7
    """A prerequisite solved this often (latent probability on its typical item, 0-1) no
    longer slows learning; below it, learning scales linearly down to the floor."""
    repeat_learning: float = 0.3
    """Learning multiplier (0-1) on an item answered moments ago (the answer is still
    remembered) ..."""
    item_memory_days: float = 1.0
    """... recovering towards 1 with this half-life (days): the same question a week later
    is real practice again."""
    frustration_streak: int = 3
    """Consecutive failures after which the learner is frustrated ..."""
    frustration_learning: float = 0.5
    """... and learns only this share (0-1) until the next success."""
    guess: float = 0.1
    """Chance (0-1) of a correct answer without the skills."""
    slip: float = 0.05
    """Chance (0-1) of a wrong answer despite the skills."""
    time_sd: float = 0.35
    """Spread of time on an item around its expected time (sigma of a log-normal)."""
    failure_time_factor: float = 1.3
    """A failed attempt takes this many times longer (struggling before giving up)."""
    session_questions: int = 20
    """Questions per practice session."""
    session_gap_days: float = 2.0
    """Mean days between sessions (exponentially distributed)."""
    forgetting_half_life_days: float = 30.0
    """Days after which half of what was gained above the starting level is forgotten."""
    label_noise_sd: float = 150.0
    """Spread (Elo points) of an item's hidden true difficulty around its label value: the
    service's label difficulties are noisy estimates of the truth."""
    mastery_probability: float = 0.8
    """A skill is mastered when the learner's latent chance on its typical item (mean true
    difficulty of its items) reaches this (0-1)."""

    def validate(self) -> None:
        """Raise `SimulationError` naming the first impossible parameter."""
        non_negative = (
            "start_gap_sd_student",
            "start_gap_sd_skill",
            "learning_rate",
            "learning_rate_sd",
            "failure_learning",
            "time_sd",
            "label_noise_sd",
            "session_gap_days",
        )
        for name in non_negative:
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise SimulationError(f"{name}: must be a finite number >= 0, got {value}")
        if not 0.0 < self.best_challenge < 1.0:
            raise SimulationError(f"best_challenge: must be in (0, 1), got {self.best_challenge}")
        for name in (
            "prerequisite_floor",
            "prerequisite_ready",
            "repeat_learning",
            "frustration_learning",
            "guess",
            "slip",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SimulationError(f"{name}: must be a probability in [0, 1], got {value}")
        if self.guess + self.slip >= 1.0:
            raise SimulationError(f"guess + slip: must be below 1, got {self.guess + self.slip}")
        if not 0.0 < self.mastery_probability < 1.0:
            raise SimulationError(
                f"mastery_probability: must be in (0, 1), got {self.mastery_probability}"
            )
        if self.prerequisite_ready <= 0.0:
            raise SimulationError("prerequisite_ready: must be above 0")
        if not self.challenge_width > 0.0:
            raise SimulationError(f"challenge_width: must be above 0, got {self.challenge_width}")
        if self.failure_time_factor <= 0.0:
            raise SimulationError("failure_time_factor: must be above 0")
        if self.item_memory_days <= 0.0:
            raise SimulationError(f"item_memory_days: must be above 0, got {self.item_memory_days}")
        if self.forgetting_half_life_days <= 0.0:
            raise SimulationError("forgetting_half_life_days: must be above 0 (inf: no forgetting)")
        if self.session_questions < 1 or self.frustration_streak < 1:
            raise SimulationError("session_questions and frustration_streak: must be >= 1")

    def with_overrides(self, overrides: dict[str, str]) -> LearnerConfig:
        """A copy with parameters given as text (``{"guess": "0.2"}``), validated."""
        known = {f.name: f for f in fields(self)}
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, text in overrides.items():
            if name not in known:
                raise SimulationError(
                    f"{name}: not a learner parameter; choose from {sorted(known)}"
                )
            kind = int if isinstance(values[name], int) else float
            try:
                values[name] = kind(text)
            except ValueError:
                raise SimulationError(f"{name}: expected a number, got {text!r}") from None
        config = LearnerConfig(**values)
        config.validate()
        return config


LEARNER_PRESETS: dict[str, LearnerConfig] = {
    "baseline": LearnerConfig(),
    "fast": LearnerConfig(learning_rate=120.0, start_gap_mean=-100.0),
    "slow": LearnerConfig(learning_rate=50.0, start_gap_mean=-200.0),
    "forgetful": LearnerConfig(forgetting_half_life_days=7.0, session_gap_days=3.0),
}
"""Documented learner configurations: selector defaults are tuned on ``baseline`` and the
ranking of policies is confirmed on the other three."""


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One run: who practises what, for how long, and how the work is split.

    Attributes:
        students: Synthetic students per policy (the same students for every policy).
        questions: Question budget per student.
        seed: Seed of everything random (students, answers, Thompson draws).
        cohort_size: Students practising side by side on one service state (their answers
            calibrate the items for each other); cohorts are independent, so results do not
            depend on how many processes run them.
        checkpoint_every: Questions between two estimate-error measurements.
    """

    students: int = 1000
    questions: int = 200
    seed: int = 0
    cohort_size: int = 100
    checkpoint_every: int = 10

    def validate(self) -> None:
        """Raise `SimulationError` naming the first impossible parameter."""
        if self.students < 1:
            raise SimulationError(f"--students: must be >= 1, got {self.students}")
        if self.questions < 1:
            raise SimulationError(f"--questions: must be >= 1, got {self.questions}")
        if self.cohort_size < 1:
            raise SimulationError(f"--cohort-size: must be >= 1, got {self.cohort_size}")
        if self.checkpoint_every < 1:
            raise SimulationError(f"checkpoint_every: must be >= 1, got {self.checkpoint_every}")
        if self.seed < 0:
            raise SimulationError(f"--seed: must be >= 0, got {self.seed}")
