"""The validation splits the model prototypes in scripts/ are measured on.

They are the splits of `smartpractice evaluate --validation` (train users only, never a
test file): assistments09's train users split 80/20 with seed 0, and assistments17's
non-test users (80%, seed 0) split again 80/20 with seed 0. One place, so that every
prototype's figures in docs/evaluation.md are measured on the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from smartpractice_lab.evaluation.dataset import ReplayData, Response
from smartpractice_lab.evaluation.metrics import compute_metrics
from smartpractice_lab.evaluation.production import ProductionModel
from smartpractice_lab.evaluation.protocol import LearnerModel, run_model
from smartpractice_lab.evaluation.sources import (
    from_one_file,
    from_train_and_test,
    validation_split,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def load(name: str) -> ReplayData:
    """The validation split `evaluate --validation` uses for `name`
    (`assistments09` or `assistments17`)."""
    if name == "assistments09":
        a09 = DATA / "assistments09"
        full = from_train_and_test(
            a09 / "preprocessed_data_train.csv", a09 / "preprocessed_data_test.csv"
        )
    else:
        full = from_one_file(
            DATA / "assistments17" / "preprocessed_data_test.csv", test_fraction=0.2, seed=0
        )
    return validation_split(full, test_fraction=0.2, seed=0)


def scores(data: ReplayData, model: LearnerModel) -> str:
    """`model`'s validation AUC / log-loss on `data`, through the `evaluate` protocol."""
    run = run_model(model, data)
    observed = np.fromiter((r.score for r in data.test), dtype=np.float64)
    metrics = compute_metrics(observed, run.predictions)
    return f"{metrics.auc:.5f} / {metrics.log_loss:.5f}"


class LearnsWhilePredicting(ProductionModel):
    """A prototype whose own state (beside the ratings) learns in `predict_then_learn`.

    `ProductionModel.fit` only applies the train responses, so such state would start
    empty on the scored users; here the train users go through the same step as the
    scored ones, their predictions discarded.
    """

    def fit(self, train: Iterable[Response]) -> None:
        for response in train:
            self.predict_then_learn(response)
