"""Would a student-level short-term state across all skills predict better?

A prototype outside the store, measured on the `evaluate --validation` splits (train
users only). Each student carries a momentum ``m``, an exponentially decayed mean of
their recent residuals over every skill: after each answer ``m <- (1 - alpha) m +
alpha (y - p)``, with ``y`` the answer (0/1) and ``p`` the prediction made for it; it
decays with attempts, not with time. The next prediction adds ``beta * m`` to its logit,
plus ``last_beta`` times the student's last answer (+1 right, -1 wrong, any skill).

Two ways in:

* ``predicted``: only the reported prediction moves; the Elo update (and so every rating,
  the profile and the product rule) is exactly the production model's.
* ``expected``: the momentum also shifts every per-skill expectation ``E_s`` of the update
  (it acts as a transient global ability, added before the update and taken off after),
  so the ratings learn only what the momentum did not already predict.

Keeping either in the service would need a new per-student column (a migration and the
worker's set-based write path), so this only measures what it would be worth
(docs/evaluation.md, "Fourth round").

    .venv/bin/python scripts/momentum_prototype.py --alpha 0.2 --beta 1.0 --mode predicted
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from smartpractice.core.config import ModelConfig
from smartpractice.core.elo import logit
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.evaluation.dataset import ItemInfo, Response

# The shared validation splits and base class (scripts/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_splits import LearnsWhilePredicting, load, scores

_LN10 = math.log(10.0)


class Momentum(LearnsWhilePredicting):
    """The production model plus a per-student decayed residual added to the prediction."""

    def __init__(
        self,
        items: Mapping[str, ItemInfo],
        config: ModelConfig,
        *,
        alpha: float,
        beta: float,
        mode: str,
        last_beta: float = 0.0,
    ) -> None:
        super().__init__(items, config)
        self._alpha, self._beta, self._mode = alpha, beta, mode
        self._last_beta = last_beta
        self._momentum: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._points = config.elo.scale / _LN10  # Elo points per unit of logit

    def _shifted(self, student_id: str, shift: float) -> None:
        students = self.store.students
        found = students.get(student_id)
        if found is None:
            found = StudentRatings(ability=RatingState(value=self.store.initial_ability))
        ability = found.ability
        students[student_id] = replace(found, ability=replace(ability, value=ability.value + shift))

    def predict_then_learn(self, response: Response) -> float:
        m = self._momentum.get(response.student_id, 0.0)
        shift = self._beta * m + self._last_beta * self._last.get(response.student_id, 0.0)
        if self._mode == "expected" and shift:
            self._shifted(response.student_id, shift * self._points)
            predicted = self.apply(response).predicted
            self._shifted(response.student_id, -shift * self._points)
        else:
            predicted = self.apply(response).predicted
            if shift:
                predicted = 1.0 / (1.0 + math.exp(-(logit(predicted) + shift)))
        y = 1.0 if response.correct else 0.0
        self._momentum[response.student_id] = (1 - self._alpha) * m + self._alpha * (y - predicted)
        self._last[response.student_id] = 2.0 * y - 1.0
        return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=0.2)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--last-beta", type=float, default=0.0)
    parser.add_argument("--mode", choices=("predicted", "expected"), default="predicted")
    parser.add_argument("--datasets", default="assistments09,assistments17")
    args = parser.parse_args()
    config = ModelConfig()
    for name in args.datasets.split(","):
        data = load(name)
        model = Momentum(
            data.items,
            config,
            alpha=args.alpha,
            beta=args.beta,
            mode=args.mode,
            last_beta=args.last_beta,
        )
        print(
            f"{name} validation, momentum alpha {args.alpha} beta {args.beta}"
            f" last answer {args.last_beta} ({args.mode}):"
            f" {scores(data, model)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
