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
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState
from smartpractice.evaluation.dataset import ItemInfo, Response
from smartpractice.evaluation.production import ProductionModel
from smartpractice.services.rating import AppliedAttempt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_splits import load, scores


class SkillMeanStart(ProductionModel):
    """The production model; a fresh item starts at its skills' mean item difficulty."""

    def __init__(
        self,
        items: Mapping[str, ItemInfo],
        config: ModelConfig,
        *,
        min_items: int,
        shrink: float,
        **model_options: Any,
    ) -> None:
        # Options of the next model in a subclass's order (the combined prototype puts
        # the calibrated model there) pass through.
        super().__init__(items, config, **model_options)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-items", type=int, default=5)
    parser.add_argument("--shrink", type=float, default=1.0)
    args = parser.parse_args()
    config = ModelConfig()
    for name in ("assistments09", "assistments17"):
        data = load(name)
        base = scores(data, ProductionModel(data.items, config))
        seeded = scores(
            data,
            SkillMeanStart(data.items, config, min_items=args.min_items, shrink=args.shrink),
        )
        print(f"{name} validation AUC / log-loss: production {base}, skill-mean start {seeded}")


if __name__ == "__main__":
    main()
