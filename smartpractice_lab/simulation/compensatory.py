"""The `compensatory` learner family: additive factors, a strong skill makes up for a weak
one (`CompensatoryConfig` has the model)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from smartpractice_lab.simulation.bank import BankItem, SimBank
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.family import answer_seconds, repeat_factor, start_levels
from smartpractice_lab.simulation.family_config import CompensatoryConfig
from smartpractice_lab.simulation.learner import SCALE, Answer, elo_chance

__all__ = ["CompensatoryLearner"]


class CompensatoryLearner:
    """One additive-factors student: theta + beta_s per skill (`strength`, Elo points) and a
    learning rate gamma_s per skill."""

    def __init__(
        self,
        bank: SimBank,
        params: CompensatoryConfig,
        shared: LearnerConfig,
        rng: np.random.Generator,
        *,
        new_skills: Iterable[str] = (),
    ) -> None:
        """Draw theta + beta_s (`start_levels`) and gamma_s (log-normal around
        `learning_rate`, skills in sorted order) from `rng`."""
        self.bank = bank
        self.params = params
        self.shared = shared
        self.strength = start_levels(
            bank.typical_true,
            new_skills=new_skills,
            new_gap=params.start_gap_mean,
            prior_gap=params.prior_gap_mean,
            sd_student=params.start_gap_sd_student,
            sd_skill=params.start_gap_sd_skill,
            rng=rng,
        )
        skills = sorted(bank.typical_true)
        sigma = params.learning_rate_sd
        factors = np.exp(rng.normal(-0.5 * sigma * sigma, sigma, size=len(skills)))
        self.gamma = {s: params.learning_rate * float(factors[k]) for k, s in enumerate(skills)}
        self.seen: dict[str, float] = {}
        p = params.mastery_probability
        self._mastery_margin = SCALE * math.log10(p / (1.0 - p))

    def chance(self, item: BankItem) -> float:
        """``1/(1 + 10^(-(mean_s (strength_s - d_s))/400))``: the logistic of the summed,
        1/|S|-weighted skill margins (the AFM logit on the Elo scale)."""
        skills = item.true_difficulties
        margin = sum(self.strength[s] - d for s, d in skills.items()) / len(skills)
        return elo_chance(margin, 0.0)

    def answer(self, item: BankItem, rng: np.random.Generator) -> Answer:
        """Right with `chance` (one uniform draw); `solved` is `correct` (no guessing)."""
        chance = self.chance(item)
        correct = bool(rng.random() < chance)
        return Answer(
            chance=chance,
            solved=correct,
            correct=correct,
            seconds=answer_seconds(item, correct=correct, config=self.shared, rng=rng),
        )

    def _gains(self, item: BankItem, *, day: float, outcome: float) -> dict[str, float]:
        repeat = repeat_factor(last=self.seen.get(item.item_id), day=day, config=self.shared)
        return {s: self.gamma[s] * outcome * repeat for s in item.true_difficulties}

    def learn(self, item: BankItem, answer: Answer, *, day: float) -> None:
        """Add ``gamma_s * repeat`` (right) or ``failure_learning * gamma_s * repeat``
        (wrong) to each skill of `item` (Elo points)."""
        outcome = 1.0 if answer.correct else self.params.failure_learning
        for skill, gain in self._gains(item, day=day, outcome=outcome).items():
            self.strength[skill] += gain
        self.seen[item.item_id] = day

    def forget(self, days: float) -> None:
        """Additive-factors learners do not forget."""

    def mastery_level(self, skill: str) -> float:
        """Strength (Elo points) at which `skill` is mastered."""
        return self.bank.typical_true[skill] + self._mastery_margin

    def mastered(self, skills: Iterable[str]) -> bool:
        """Predicted success on each skill's typical item at least `mastery_probability`."""
        return all(self.strength[s] >= self.mastery_level(s) for s in skills)

    def shortfall(self, skill: str) -> float:
        """Strength (Elo points, >= 0) still missing to master `skill`."""
        return max(0.0, self.mastery_level(skill) - self.strength[skill])

    def proficiency(self, skill: str) -> float:
        """Predicted success on the skill's typical one-skill item."""
        return elo_chance(self.strength[skill], self.bank.typical_true[skill])

    def expected_gains(self, item: BankItem, *, day: float) -> dict[str, float]:
        """Expected strength gain per skill (Elo points) of answering `item` on `day`."""
        chance = self.chance(item)
        outcome = chance + (1.0 - chance) * self.params.failure_learning
        return self._gains(item, day=day, outcome=outcome)
