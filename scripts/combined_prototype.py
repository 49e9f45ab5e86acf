"""The fourth round's candidates measured together, not just one at a time.

On the `evaluate --validation` splits (train users only), the production model with any
of: the skill-mean start of fresh items (`skill_mean_start_prototype.py`), a full
calibration with a wider difficulty prior after the train users (`calibrate --all`,
difficulty sd 200), a per-item discrimination (`discrimination_prototype.py`, rate 0.05)
and the student momentum (`momentum_prototype.py`, decay 0.2, weight 1.0, prediction
only). Each piece is what its own prototype measures; this only answers whether their
gains add up (docs/evaluation.md, "Fourth round").

    .venv/bin/python scripts/combined_prototype.py [--no-calibration] [--no-skill-mean]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from smartpractice.core.calibration import CalibrationPriors
from smartpractice.core.config import ModelConfig
from smartpractice.core.elo import logit
from smartpractice.evaluation.calibrated import CalibratedProductionModel
from smartpractice.evaluation.dataset import ItemInfo, Response
from smartpractice.evaluation.production import ProductionModel
from smartpractice.services.rating import AppliedAttempt

# The sibling prototypes (scripts/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from skill_mean_start_prototype import SkillMeanStart
from validation_splits import load, scores


class Combined(SkillMeanStart, CalibratedProductionModel):
    """Calibration after the train users (optional), skill-mean start of fresh items
    (optional), then a per-item slope and a student momentum on the logit."""

    def __init__(
        self,
        items: Mapping[str, ItemInfo],
        config: ModelConfig,
        *,
        calibrate: bool,
        skill_mean: bool,
        slope_rate: float = 0.05,
        alpha: float = 0.2,
        beta: float = 1.0,
    ) -> None:
        # The calibration measured: `calibrate --all` with difficulty sd 200.
        super().__init__(
            items,
            config,
            min_items=5 if skill_mean else 10**12,
            shrink=1.0,
            refit_all=True,
            priors=CalibrationPriors(difficulty_sd=200.0),
        )
        self._calibrate = calibrate
        self._slope_rate, self._alpha, self._beta = slope_rate, alpha, beta
        self._slope: dict[str, float] = {}
        self._momentum: dict[str, float] = {}
        self._predicted = 0.5

    def fit(self, train: Iterable[Response]) -> None:
        if self._calibrate:
            super().fit(train)
        else:
            ProductionModel.fit(self, train)

    def apply(self, response: Response) -> AppliedAttempt:
        applied = super().apply(response)
        z = logit(applied.predicted)
        a = self._slope.get(response.item_id, 1.0)
        m = self._momentum.get(response.student_id, 0.0)
        predicted = 1.0 / (1.0 + math.exp(-(a * z + self._beta * m)))
        y = 1.0 if response.correct else 0.0
        a += self._slope_rate * (y - predicted) * z
        self._slope[response.item_id] = min(max(a, 0.2), 3.0)
        self._momentum[response.student_id] = (1 - self._alpha) * m + self._alpha * (y - predicted)
        self._predicted = predicted
        return applied

    def predict_then_learn(self, response: Response) -> float:
        self.apply(response)
        return self._predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-calibration", action="store_true")
    parser.add_argument("--no-skill-mean", action="store_true")
    parser.add_argument("--datasets", default="assistments09,assistments17")
    args = parser.parse_args()
    for name in args.datasets.split(","):
        data = load(name)
        model = Combined(
            data.items,
            ModelConfig(),
            calibrate=not args.no_calibration,
            skill_mean=not args.no_skill_mean,
        )
        print(
            f"{name} validation, calibration {not args.no_calibration}, skill-mean start"
            f" {not args.no_skill_mean}, item slope and momentum: {scores(data, model)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
