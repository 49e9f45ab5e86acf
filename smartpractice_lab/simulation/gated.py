"""The `prerequisite_gated` learner family: conjunctive items, learning gated by
prerequisites (`GatedConfig` has the model)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from smartpractice_lab.simulation.bank import BankItem, SimBank
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.family import answer_seconds, repeat_factor, start_levels
from smartpractice_lab.simulation.family_config import GatedConfig
from smartpractice_lab.simulation.learner import SCALE, Answer, elo_chance

__all__ = ["GatedLearner"]


class GatedLearner:
    """One gated student: a latent level per skill (Elo points) and a learning rate."""

    def __init__(
        self,
        bank: SimBank,
        params: GatedConfig,
        shared: LearnerConfig,
        rng: np.random.Generator,
        *,
        new_skills: Iterable[str] = (),
    ) -> None:
        """Draw the starting levels (`start_levels`) and the learning-rate multiplier
        (log-normal, mean 1) from `rng`."""
        self.bank = bank
        self.params = params
        self.shared = shared
        self.ability = start_levels(
            bank.typical_true,
            new_skills=new_skills,
            new_gap=params.start_gap_mean,
            prior_gap=params.prior_gap_mean,
            sd_student=params.start_gap_sd_student,
            sd_skill=params.start_gap_sd_skill,
            rng=rng,
        )
        sigma = params.learning_rate_sd
        self.rate = params.learning_rate * float(np.exp(rng.normal(-0.5 * sigma * sigma, sigma)))
        self.seen: dict[str, float] = {}
        self._known_margin = _margin(params.known_probability)
        self._mastery_margin = _margin(params.mastery_probability)

    def _solve(self, item: BankItem) -> float:
        solve = 1.0
        for skill, difficulty in item.true_difficulties.items():
            solve *= elo_chance(self.ability[skill], difficulty)
        return solve

    def chance(self, item: BankItem) -> float:
        """``guess + (1 - guess - slip) * prod_s p_s``."""
        params = self.params
        return params.guess + (1.0 - params.guess - params.slip) * self._solve(item)

    def answer(self, item: BankItem, rng: np.random.Generator) -> Answer:
        """Solve (probability ``prod_s p_s``), then slip or guess (two uniform draws)."""
        params = self.params
        solve = self._solve(item)
        draws = rng.random(2)
        solved = bool(draws[0] < solve)
        correct = bool(draws[1] >= params.slip) if solved else bool(draws[1] < params.guess)
        return Answer(
            chance=params.guess + (1.0 - params.guess - params.slip) * solve,
            solved=solved,
            correct=correct,
            seconds=answer_seconds(item, correct=correct, config=self.shared, rng=rng),
        )

    def gate_open(self, skill: str) -> bool:
        """Whether every prerequisite of `skill` is known (latent chance on its typical item
        at least `known_probability`)."""
        typical = self.bank.typical_true
        return all(
            self.ability[p] >= typical[p] + self._known_margin
            for p in self.bank.prerequisites.get(skill, ())
            if p in self.ability
        )

    def _gains(self, item: BankItem, *, day: float, outcome: float) -> dict[str, float]:
        last = self.seen.get(item.item_id)
        scale = self.rate * outcome * repeat_factor(last=last, day=day, config=self.shared)
        return {s: scale if self.gate_open(s) else 0.0 for s in item.true_difficulties}

    def learn(self, item: BankItem, answer: Answer, *, day: float) -> None:
        """Raise each ungated skill of `item` by ``rate * outcome * repeat`` (Elo points)."""
        if not (answer.correct and not answer.solved):  # a lucky guess teaches nothing
            outcome = 1.0 if answer.solved else self.params.failure_learning
            for skill, gain in self._gains(item, day=day, outcome=outcome).items():
                self.ability[skill] += gain
        self.seen[item.item_id] = day

    def forget(self, days: float) -> None:
        """Gated learners do not forget."""

    def mastery_level(self, skill: str) -> float:
        """Level (Elo points) at which `skill` is mastered."""
        return self.bank.typical_true[skill] + self._mastery_margin

    def mastered(self, skills: Iterable[str]) -> bool:
        """Every skill's latent chance on its typical item at least `mastery_probability`."""
        return all(self.ability[s] >= self.mastery_level(s) for s in skills)

    def shortfall(self, skill: str) -> float:
        """Level (Elo points, >= 0) still missing to master `skill`."""
        return max(0.0, self.mastery_level(skill) - self.ability[skill])

    def proficiency(self, skill: str) -> float:
        """Chance of a correct answer on the skill's typical item."""
        params = self.params
        solve = elo_chance(self.ability[skill], self.bank.typical_true[skill])
        return params.guess + (1.0 - params.guess - params.slip) * solve

    def expected_gains(self, item: BankItem, *, day: float) -> dict[str, float]:
        """Expected level gain per skill (Elo points) of answering `item` on `day`."""
        params = self.params
        solve = self._solve(item)
        outcome = solve + (1.0 - solve) * (1.0 - params.guess) * params.failure_learning
        return self._gains(item, day=day, outcome=outcome)


def _margin(probability: float) -> float:
    """Elo points above a difficulty at which it is solved with `probability`."""
    return SCALE * math.log10(probability / (1.0 - probability))
