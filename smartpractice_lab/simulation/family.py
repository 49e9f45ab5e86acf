"""What every learner family implements, and the pieces they share.

The runner, the metrics and the diagnostic policies use a learner only through
`SimLearner`; `smartpractice_lab.simulation.learner.Learner` (families `elo` and `forgetting`),
`BktLearner`, `GatedLearner` and `CompensatoryLearner` implement it.

Shared effects (docs/simulation.md, "Learner families"):

* **memory of a recent item**: learning from an item answered ``t`` days before is
  multiplied by ``repeat = 1 - (1 - repeat_learning) * 0.5^(t / item_memory_days)``
  (`repeat_factor`): moments later the answer is still remembered and teaches
  `repeat_learning` of a fresh item's worth;
* **time on an item**: its expected time times ``exp(Normal(0, time_sd))``, times
  `failure_time_factor` when wrong (`answer_seconds`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Protocol

import numpy as np

from smartpractice_lab.simulation.bank import BankItem, SimBank
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.learner import Answer

__all__ = ["SimLearner", "answer_seconds", "draw_probability", "repeat_factor", "start_levels"]


class SimLearner(Protocol):
    """One synthetic student of any family (mutable: a simulation object).

    Attributes:
        bank: The item bank with the hidden true difficulties.
        seen: Day (simulated days since the start) each item was last answered.
    """

    bank: SimBank
    seen: dict[str, float]

    def chance(self, item: BankItem) -> float:
        """Probability (0-1) of a correct answer on `item` now."""
        ...

    def answer(self, item: BankItem, rng: np.random.Generator) -> Answer:
        """Answer `item` (random draws from `rng`); the state is not changed."""
        ...

    def learn(self, item: BankItem, answer: Answer, *, day: float) -> None:
        """Update the hidden state after `answer` on `item` on `day` (simulated days)."""
        ...

    def forget(self, days: float) -> None:
        """Let `days` pass between sessions (a no-op for families that do not forget)."""
        ...

    def mastered(self, skills: Iterable[str]) -> bool:
        """Whether every skill of `skills` is mastered (the family's definition)."""
        ...

    def shortfall(self, skill: str) -> float:
        """How far (>= 0, 0 exactly when mastered) `skill` is from mastery, in the
        family's own unit (Elo points, or 1 for an unknown all-or-none skill)."""
        ...

    def proficiency(self, skill: str) -> float:
        """Probability (0-1) of a correct answer on the skill's typical one-skill item:
        the truth the service's proficiency estimates."""
        ...

    def expected_gains(self, item: BankItem, *, day: float) -> dict[str, float]:
        """Expected reduction of each skill's shortfall scale (same unit as `shortfall`)
        from answering `item` on `day`; only the diagnostic policies may look."""
        ...


def repeat_factor(*, last: float | None, day: float, config: LearnerConfig) -> float:
    """Learning multiplier (`repeat_learning`-1) for an item last answered on day `last`
    (None: never) and answered again on `day` (simulated days)."""
    if last is None:
        return 1.0
    remembered = math.pow(0.5, (day - last) / config.item_memory_days)
    return 1.0 - (1.0 - config.repeat_learning) * remembered


def answer_seconds(
    item: BankItem, *, correct: bool, config: LearnerConfig, rng: np.random.Generator
) -> float:
    """Seconds (at most a day) spent on `item`: expected time times a log-normal factor,
    longer when wrong."""
    seconds = item.expected_time_seconds * math.exp(rng.normal(0.0, config.time_sd))
    if not correct:
        seconds *= config.failure_time_factor
    return min(seconds, 86_400.0)


def draw_probability(
    mean: float, *, spread: float, rng: np.random.Generator, size: int
) -> np.ndarray:
    """`size` probabilities ``sigmoid(logit(mean) + Normal(0, spread))`` (mean in (0, 1),
    spread in logits)."""
    centre = math.log(mean / (1.0 - mean))
    return np.asarray(1.0 / (1.0 + np.exp(-(centre + rng.normal(0.0, spread, size=size)))))


def start_levels(
    typical: Mapping[str, float],
    *,
    new_skills: Iterable[str],
    new_gap: float,
    prior_gap: float,
    sd_student: float,
    sd_skill: float,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Starting level (Elo points) per skill: its typical true difficulty + `new_gap` (the
    topic's new skills) or `prior_gap` (others) + ``Normal(0, sd_student)`` shared by the
    student + ``Normal(0, sd_skill)`` per skill; skills in sorted order for the draws."""
    skills = sorted(typical)
    new = set(new_skills)
    offset = rng.normal(0.0, sd_student)
    spread = rng.normal(0.0, sd_skill, size=len(skills))
    return {
        s: typical[s] + (new_gap if s in new else prior_gap) + offset + float(spread[k])
        for k, s in enumerate(skills)
    }
