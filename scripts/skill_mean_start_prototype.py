"""Would a never-answered item predict better starting at its skills' mean difficulty?

A prototype outside the store, measured on validation splits of train users only (the
`evaluate --validation` splits: assistments09's train users 80/20 with seed 0;
assistments17 split 80/20 with seed 0, its train side again 80/20 with seed 0). The
production model runs unchanged through `apply_graded_attempt`; before an item's first
answer, each of its skills' difficulties is set to the current mean difficulty of that
skill's items answered at least once (when there are at least `--min-items` of them),
moved `--shrink` of the way from the unlabelled default. Keeping it in the service would
need a per-skill running sum and count of item difficulties in the store (a table and a
migration), so this only measures what it would be worth (docs/evaluation.md).

    .venv/bin/python scripts/skill_mean_start_prototype.py [--min-items 5] [--shrink 1.0]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState
from smartpractice.evaluation.dataset import ItemInfo, ReplayData, Response
from smartpractice.evaluation.metrics import compute_metrics
from smartpractice.evaluation.production import ProductionModel
from smartpractice.evaluation.protocol import run_model
from smartpractice.evaluation.sources import from_one_file, from_train_and_test, validation_split
from smartpractice.services.rating import AppliedAttempt

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


class SkillMeanStart(ProductionModel):
    """The production model; a fresh item starts at its skills' mean item difficulty."""

    def __init__(
        self, items: Mapping[str, ItemInfo], config: ModelConfig, *, min_items: int, shrink: float
    ) -> None:
        super().__init__(items, config)
        self._sum: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._min_items = min_items
        self._shrink = shrink
        self._default = config.elo.label_difficulty(None)

    def _seeded(self, difficulties: Mapping[str, RatingState]) -> dict[str, RatingState]:
        seeded = dict(difficulties)
        for skill in difficulties:
            count = self._count.get(skill, 0)
            if count >= self._min_items:
                mean = self._sum[skill] / count
                seeded[skill] = RatingState(self._default + self._shrink * (mean - self._default))
        return seeded

    def apply(self, response: Response) -> AppliedAttempt:
        items = self.store.items
        context = items[response.item_id]
        fresh = all(state.attempts == 0 for state in context.ratings.difficulties.values())
        if fresh:
            seeded = self._seeded(context.ratings.difficulties)
            context = items[response.item_id] = replace(context, ratings=ItemRatings(seeded))
        before = {s: state.value for s, state in context.ratings.difficulties.items()}
        applied = super().apply(response)
        for skill, state in items[response.item_id].ratings.difficulties.items():
            if fresh:
                self._count[skill] = self._count.get(skill, 0) + 1
                self._sum[skill] = self._sum.get(skill, 0.0) + state.value
            else:
                self._sum[skill] += state.value - before[skill]
        return applied


def _scores(data: ReplayData, model: ProductionModel) -> str:
    run = run_model(model, data)
    observed = np.fromiter((r.score for r in data.test), dtype=np.float64)
    metrics = compute_metrics(observed, run.predictions)
    return f"{metrics.auc:.5f} / {metrics.log_loss:.5f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-items", type=int, default=5)
    parser.add_argument("--shrink", type=float, default=1.0)
    args = parser.parse_args()
    a09 = DATA / "assistments09"
    splits = {
        "assistments09": validation_split(
            from_train_and_test(
                a09 / "preprocessed_data_train.csv", a09 / "preprocessed_data_test.csv"
            ),
            test_fraction=0.2,
            seed=0,
        ),
        "assistments17": validation_split(
            from_one_file(
                DATA / "assistments17" / "preprocessed_data_test.csv", test_fraction=0.2, seed=0
            ),
            test_fraction=0.2,
            seed=0,
        ),
    }
    config = ModelConfig()
    for name, data in splits.items():
        base = _scores(data, ProductionModel(data.items, config))
        seeded = _scores(
            data,
            SkillMeanStart(data.items, config, min_items=args.min_items, shrink=args.shrink),
        )
        print(f"{name} validation AUC / log-loss: production {base}, skill-mean start {seeded}")


if __name__ == "__main__":
    main()
