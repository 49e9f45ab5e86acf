"""Would a per-item discrimination learned online (2PL-Elo) predict better?

A prototype outside the store, on the `evaluate --validation` splits (train users only).
Each item carries a slope ``a`` (1 at first); the prediction becomes
``sigmoid(a * z)``, ``z`` the production model's logit, and after each answer ``a``
takes one stochastic-gradient step on the log-likelihood, ``a += rate * (y - p) * z``,
clipped to [`--low`, `--high`]. By default only the prediction moves and the ratings are
the production model's; with `--mode expected` the slope also enters the update
(2PL-Elo): the attempt is applied with the Elo scale divided by the slope, so every
per-skill expectation, and with it each rating's step, uses ``a * z`` too. With
`--per-skill` the slope belongs to the item's skill set instead (one per combination of
skills; a per-skill row would be updated by every attempt on the skill, the hot row
issue 3 avoids). Keeping it would need a column on `items` (a migration and the worker's
write path) (docs/evaluation.md, "Fourth round").

    .venv/bin/python scripts/discrimination_prototype.py --rate 0.05
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
from smartpractice.evaluation.dataset import ItemInfo, Response

# The shared validation splits and base class (scripts/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_splits import LearnsWhilePredicting, load, scores


class Discrimination(LearnsWhilePredicting):
    """The production model with an online slope per item (or per skill set) on its logit."""

    def __init__(
        self,
        items: Mapping[str, ItemInfo],
        config: ModelConfig,
        *,
        rate: float,
        low: float,
        high: float,
        per_skill: bool,
        mode: str = "predicted",
    ) -> None:
        super().__init__(items, config)
        self._rate, self._low, self._high = rate, low, high
        self._mode = mode
        self._base = config
        self._key = (
            {i: "+".join(sorted(info.skills)) for i, info in items.items()} if per_skill else None
        )
        self._slope: dict[str, float] = {}

    def predict_then_learn(self, response: Response) -> float:
        key = response.item_id if self._key is None else self._key[response.item_id]
        a = self._slope.get(key, 1.0)
        if self._mode == "expected":
            elo = self._base.elo
            self._config = replace(self._base, elo=replace(elo, scale=elo.scale / a))
            predicted = self.apply(response).predicted
            self._config = self._base
            z = logit(predicted) / a
        else:
            z = logit(self.apply(response).predicted)
            predicted = 1.0 / (1.0 + math.exp(-a * z))
        y = 1.0 if response.correct else 0.0
        a += self._rate * (y - predicted) * z
        self._slope[key] = min(max(a, self._low), self._high)
        return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--low", type=float, default=0.2)
    parser.add_argument("--high", type=float, default=3.0)
    parser.add_argument("--per-skill", action="store_true")
    parser.add_argument("--mode", choices=("predicted", "expected"), default="predicted")
    parser.add_argument("--datasets", default="assistments09,assistments17")
    args = parser.parse_args()
    config = ModelConfig()
    for name in args.datasets.split(","):
        data = load(name)
        model = Discrimination(
            data.items,
            config,
            rate=args.rate,
            low=args.low,
            high=args.high,
            per_skill=args.per_skill,
            mode=args.mode,
        )
        kind = "skill set" if args.per_skill else "item"
        print(
            f"{name} validation, slope per {kind}, rate {args.rate} ({args.mode}):"
            f" {scores(data, model)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
