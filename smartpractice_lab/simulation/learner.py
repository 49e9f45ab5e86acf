"""A synthetic learner: hidden abilities per skill that grow with practice and fade between
sessions (docs/simulation.md, "Learner model").

Answering an item (skills S, hidden true difficulties d_s):

* the learner *solves* it with probability ``prod_s p_s``, ``p_s = 1/(1 + 10^((d_s -
  theta_s)/400))`` (conjunctive: every skill is needed);
* the answer is correct when solved (unless a slip, probability `slip`) or, when not solved,
  by a lucky guess (probability `guess`): overall ``guess + (1 - guess - slip) prod_s p_s``;
* learning on each skill s of the item, in Elo points: ``rate * zone(p_s) * outcome *
  prerequisites * repeat * frustration``, where ``zone(p) = exp(-((logit p - logit
  best_challenge) / challenge_width)^2 / 2)`` (an attempt teaches most at the right
  challenge), ``outcome`` is 1 when solved, `failure_learning` when not solved and corrected
  by the worked solution, 0 for a lucky guess (no feedback); ``prerequisites`` runs from
  `prerequisite_floor` (weakest prerequisite unknown) to 1 (its chance on a typical item at
  least `prerequisite_ready`); ``repeat = 1 - (1 - repeat_learning) * 0.5^(days since this
  item was answered / item_memory_days)``; ``frustration`` is `frustration_learning` after
  `frustration_streak` failures in a row, else 1;
* between sessions, the ability gained above the starting level halves every
  `forgetting_half_life_days`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from smartpractice_lab.simulation.bank import BankItem, SimBank
from smartpractice_lab.simulation.config import LearnerConfig

__all__ = ["Answer", "Learner", "elo_chance"]

SCALE = 400.0
"""Elo points for 10:1 odds: the learner model shares the service's scale."""


def elo_chance(ability: float, difficulty: float) -> float:
    """Probability (0-1) that `ability` beats `difficulty` (Elo points)."""
    exponent = min(max((difficulty - ability) / SCALE, -300.0), 300.0)
    return 1.0 / (1.0 + math.pow(10.0, exponent))


@dataclass(frozen=True, slots=True)
class Answer:
    """One simulated answer.

    Attributes:
        chance: Probability (0-1) of a correct answer before answering (the truth).
        solved: Whether the learner really solved it (not a lucky guess).
        correct: What the grader saw.
        seconds: Time spent on the item.
    """

    chance: float
    solved: bool
    correct: bool
    seconds: float


class Learner:
    """One synthetic student's hidden state and dynamics (mutable: a simulation object)."""

    def __init__(
        self,
        bank: SimBank,
        config: LearnerConfig,
        rng: np.random.Generator,
        *,
        new_skills: Iterable[str] = (),
    ) -> None:
        """Draw the student's starting levels and learning rate from `rng`.

        Starting ability on skill s: typical true difficulty of s + `start_gap_mean` (for
        `new_skills`, what the practised topic teaches) or `prior_gap_mean` (any other
        skill) + a student offset ``Normal(0, start_gap_sd_student)`` +
        ``Normal(0, start_gap_sd_skill)``; learning-rate multiplier: log-normal with mean 1
        and sigma `learning_rate_sd`.
        """
        self.bank = bank
        self.config = config
        skills = sorted(bank.typical_true)
        new = set(new_skills)
        offset = rng.normal(0.0, config.start_gap_sd_student)
        spread = rng.normal(0.0, config.start_gap_sd_skill, size=len(skills))
        self.start = {
            s: bank.typical_true[s]
            + (config.start_gap_mean if s in new else config.prior_gap_mean)
            + offset
            + float(spread[k])
            for k, s in enumerate(skills)
        }
        self.ability = dict(self.start)
        sigma = config.learning_rate_sd
        self.rate = config.learning_rate * float(np.exp(rng.normal(-0.5 * sigma * sigma, sigma)))
        self.seen: dict[str, float] = {}
        """Day (simulated clock) each item was last answered."""
        self.failures_in_a_row = 0
        margin = SCALE * math.log10(config.mastery_probability / (1.0 - config.mastery_probability))
        self._mastery_level = {s: bank.typical_true[s] + margin for s in skills}
        best = config.best_challenge
        self._best_logit = math.log(best / (1.0 - best))

    def chance(self, item: BankItem) -> float:
        """Probability (0-1) of a correct answer on `item` now."""
        solve = 1.0
        for skill, difficulty in item.true_difficulties.items():
            solve *= elo_chance(self.ability[skill], difficulty)
        config = self.config
        return config.guess + (1.0 - config.guess - config.slip) * solve

    def proficiency(self, skill: str) -> float:
        """Probability (0-1) of a correct answer on the skill's typical item (the truth the
        service's proficiency estimates)."""
        config = self.config
        solve = elo_chance(self.ability[skill], self.bank.typical_true[skill])
        return config.guess + (1.0 - config.guess - config.slip) * solve

    def mastery_level(self, skill: str) -> float:
        """Ability (Elo points) at which `skill` counts as mastered: the latent chance on its
        typical item reaches `mastery_probability`."""
        return self._mastery_level[skill]

    def mastered(self, skills: Iterable[str]) -> bool:
        """Whether every skill's latent chance on its typical item is at least
        `mastery_probability`."""
        return all(self.ability[s] >= self._mastery_level[s] for s in skills)

    def answer(self, item: BankItem, rng: np.random.Generator) -> Answer:
        """Answer `item` (draws: solve, slip or guess, time); the state is not changed."""
        config = self.config
        solve = 1.0
        for skill, difficulty in item.true_difficulties.items():
            solve *= elo_chance(self.ability[skill], difficulty)
        draws = rng.random(2)
        solved = bool(draws[0] < solve)
        correct = bool(draws[1] >= config.slip) if solved else bool(draws[1] < config.guess)
        seconds = item.expected_time_seconds * math.exp(rng.normal(0.0, config.time_sd))
        if not correct:
            seconds *= config.failure_time_factor
        return Answer(
            chance=config.guess + (1.0 - config.guess - config.slip) * solve,
            solved=solved,
            correct=correct,
            seconds=min(seconds, 86_400.0),
        )

    def _prerequisite_factor(self, skill: str) -> float:
        config = self.config
        known = [p for p in self.bank.prerequisites.get(skill, ()) if p in self.ability]
        if not known:
            return 1.0
        weakest = min(elo_chance(self.ability[p], self.bank.typical_true[p]) for p in known)
        ready = min(1.0, weakest / config.prerequisite_ready)
        return config.prerequisite_floor + (1.0 - config.prerequisite_floor) * ready

    def _zone(self, chance: float) -> float:
        chance = min(max(chance, 1e-9), 1.0 - 1e-9)
        distance = (math.log(chance / (1.0 - chance)) - self._best_logit) / (
            self.config.challenge_width
        )
        return math.exp(-0.5 * distance * distance)

    def _gains(self, item: BankItem, *, day: float, outcome: float) -> dict[str, float]:
        """Ability gained per skill of `item` for an outcome multiplier (1 solved,
        `failure_learning` failed and corrected)."""
        config = self.config
        scale = self.rate * outcome
        last = self.seen.get(item.item_id)
        if last is not None:
            remembered = 0.5 ** ((day - last) / config.item_memory_days)
            scale *= 1.0 - (1.0 - config.repeat_learning) * remembered
        if self.failures_in_a_row >= config.frustration_streak:
            scale *= config.frustration_learning
        return {
            skill: scale
            * self._zone(elo_chance(self.ability[skill], difficulty))
            * self._prerequisite_factor(skill)
            for skill, difficulty in item.true_difficulties.items()
        }

    def learn(self, item: BankItem, answer: Answer, *, day: float) -> None:
        """Update the abilities after answering `item` on `day` (simulated days since the
        start; see the module docstring)."""
        if not (answer.correct and not answer.solved):  # a lucky guess teaches nothing
            outcome = 1.0 if answer.solved else self.config.failure_learning
            for skill, gain in self._gains(item, day=day, outcome=outcome).items():
                self.ability[skill] += gain
        self.seen[item.item_id] = day
        self.failures_in_a_row = 0 if answer.correct else self.failures_in_a_row + 1

    def expected_gains(self, item: BankItem, *, day: float) -> dict[str, float]:
        """Expected ability gain per skill of answering `item` on `day` (the hidden truth;
        only the diagnostic policies may look)."""
        config = self.config
        solve = 1.0
        for skill, difficulty in item.true_difficulties.items():
            solve *= elo_chance(self.ability[skill], difficulty)
        outcome = solve + (1.0 - solve) * (1.0 - config.guess) * config.failure_learning
        return self._gains(item, day=day, outcome=outcome)

    def shortfall(self, skill: str) -> float:
        """Ability (Elo points, >= 0) still missing to master `skill`."""
        return max(0.0, self._mastery_level[skill] - self.ability[skill])

    def forget(self, days: float) -> None:
        """Between sessions: the ability gained above the start halves every half-life."""
        keep = 0.5 ** (days / self.config.forgetting_half_life_days)
        for skill, start in self.start.items():
            gained = self.ability[skill] - start
            if gained > 0.0:
                self.ability[skill] = start + gained * keep
