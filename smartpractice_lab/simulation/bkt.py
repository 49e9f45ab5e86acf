"""The `bkt` learner family: all-or-none knowledge per skill (`BktConfig` has the model)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from smartpractice_lab.simulation.bank import BankItem, SimBank
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.family import answer_seconds, draw_probability, repeat_factor
from smartpractice_lab.simulation.family_config import BktConfig
from smartpractice_lab.simulation.learner import Answer

__all__ = ["BktLearner"]


class BktLearner:
    """One BKT student: which skills are known, and their own learn, guess and slip."""

    def __init__(
        self,
        bank: SimBank,
        params: BktConfig,
        shared: LearnerConfig,
        rng: np.random.Generator,
        *,
        new_skills: Iterable[str] = (),
    ) -> None:
        """Draw the student's parameters per skill (sorted order) and starting knowledge
        (known with probability p(L0)) from `rng`; `rng` then draws the learning events."""
        self.bank = bank
        self.params = params
        self.shared = shared
        skills = sorted(bank.typical_true)
        new = set(new_skills)
        n = len(skills)
        cap = params.max_guess_slip
        spread = params.spread
        first_new = draw_probability(params.initial_known, spread=spread, rng=rng, size=n)
        first_prior = draw_probability(params.prior_known, spread=spread, rng=rng, size=n)
        learn = draw_probability(params.learn, spread=spread, rng=rng, size=n)
        guess = np.minimum(draw_probability(params.guess, spread=spread, rng=rng, size=n), cap)
        slip = np.minimum(draw_probability(params.slip, spread=spread, rng=rng, size=n), cap)
        start = rng.random(n)
        self.learn_chance = {s: float(learn[k]) for k, s in enumerate(skills)}
        self.guess = {s: float(guess[k]) for k, s in enumerate(skills)}
        self.slip = {s: float(slip[k]) for k, s in enumerate(skills)}
        self.known = {
            s: bool(start[k] < (first_new[k] if s in new else first_prior[k]))
            for k, s in enumerate(skills)
        }
        self.seen: dict[str, float] = {}
        self.rng = rng

    def _apply(self, skill: str) -> float:
        return 1.0 - self.slip[skill] if self.known[skill] else self.guess[skill]

    def chance(self, item: BankItem) -> float:
        """``prod_s (1 - slip_s if known_s else guess_s)`` over the item's skills."""
        result = 1.0
        for skill in item.true_difficulties:
            result *= self._apply(skill)
        return result

    def answer(self, item: BankItem, rng: np.random.Generator) -> Answer:
        """Right with `chance`; `solved` when every skill of the item is known."""
        chance = self.chance(item)
        correct = bool(rng.random() < chance)
        return Answer(
            chance=chance,
            solved=all(self.known[s] for s in item.true_difficulties),
            correct=correct,
            seconds=answer_seconds(item, correct=correct, config=self.shared, rng=rng),
        )

    def _learn_chance(self, skill: str, *, scale: float) -> float:
        return 0.0 if self.known[skill] else self.learn_chance[skill] * scale

    def learn(self, item: BankItem, answer: Answer, *, day: float) -> None:
        """Each unknown skill of `item` becomes known with probability ``learn_s * outcome *
        repeat`` (one draw per skill of the item, in sorted order, from the student's
        stream)."""
        outcome = 1.0 if answer.correct else self.params.failure_learning
        scale = outcome * repeat_factor(
            last=self.seen.get(item.item_id), day=day, config=self.shared
        )
        for skill in sorted(item.true_difficulties):
            if self.rng.random() < self._learn_chance(skill, scale=scale):
                self.known[skill] = True
        self.seen[item.item_id] = day

    def forget(self, days: float) -> None:
        """BKT learners do not forget."""

    def mastered(self, skills: Iterable[str]) -> bool:
        """Every skill known."""
        return all(self.known[s] for s in skills)

    def shortfall(self, skill: str) -> float:
        """1 while `skill` is unknown, else 0."""
        return 0.0 if self.known[skill] else 1.0

    def proficiency(self, skill: str) -> float:
        """Chance on a one-skill item of `skill`: ``1 - slip`` known, ``guess`` unknown."""
        return self._apply(skill)

    def expected_gains(self, item: BankItem, *, day: float) -> dict[str, float]:
        """Chance that answering `item` on `day` makes each of its skills known (0 for a
        skill already known)."""
        chance = self.chance(item)
        outcome = chance + (1.0 - chance) * self.params.failure_learning
        scale = outcome * repeat_factor(
            last=self.seen.get(item.item_id), day=day, config=self.shared
        )
        return {s: self._learn_chance(s, scale=scale) for s in item.true_difficulties}
