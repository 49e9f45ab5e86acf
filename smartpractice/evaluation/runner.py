"""Run every requested model on the same rows and collect what the report needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from smartpractice.core.config import ModelConfig
from smartpractice.evaluation.baselines import CustomerSketch, PlainElo
from smartpractice.evaluation.bkt import PyBKT
from smartpractice.evaluation.dataset import ReplayData
from smartpractice.evaluation.irt import Irt1PL
from smartpractice.evaluation.metrics import Metrics, compute_metrics
from smartpractice.evaluation.production import ProductionModel
from smartpractice.evaluation.protocol import LearnerModel, ModelRun, ModelUnavailable, run_model

__all__ = ["MODEL_NAMES", "EvaluationResult", "build_model", "run_evaluation"]

MODEL_NAMES = ("smartpractice", "elo", "customer_sketch", "bkt", "irt_1pl")
"""Every model `evaluate` knows, in report order; ``smartpractice`` is the production model."""


def build_model(name: str, data: ReplayData, config: ModelConfig) -> LearnerModel:
    """A fresh model by name.

    Raises:
        ValueError: unknown name.
        ModelUnavailable: the model cannot run here (pyBKT missing).
    """
    factories: dict[str, Callable[[], LearnerModel]] = {
        "smartpractice": lambda: ProductionModel(data.items, config),
        "elo": PlainElo,
        "customer_sketch": CustomerSketch,
        "bkt": PyBKT,
        "irt_1pl": Irt1PL,
    }
    factory = factories.get(name)
    if factory is None:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return factory()


@dataclass(frozen=True)
class EvaluationResult:
    """Predictions of every model that ran, on the same test responses.

    Attributes:
        source: Where the test data came from.
        scores: Observed outcome per test response (0-1), in replay order.
        skills: The item's skills per test response.
        runs: One run per model that ran, in the requested order.
        skipped: Models that could not run, with the reason.
    """

    source: str
    scores: npt.NDArray[np.float64]
    skills: list[tuple[str, ...]]
    runs: list[ModelRun]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Number of scored (test) responses."""
        return len(self.scores)

    def metrics(self) -> dict[str, Metrics]:
        """Metrics per model that ran."""
        return {run.name: compute_metrics(self.scores, run.predictions) for run in self.runs}

    def predictions(self) -> dict[str, npt.NDArray[np.float64]]:
        """Predictions per model that ran."""
        return {run.name: run.predictions for run in self.runs}


def run_evaluation(
    data: ReplayData,
    *,
    models: Sequence[str] = MODEL_NAMES,
    config: ModelConfig | None = None,
    progress: bool = False,
) -> EvaluationResult:
    """Run each model through the protocol on `data`.

    Args:
        data: Train and test responses in answer order.
        models: Model names (see `MODEL_NAMES`).
        config: Constants of the production model; the defaults when None.
        progress: Progress bars on stderr.

    Raises:
        ValueError: an unknown model name.
    """
    config = config or ModelConfig()
    runs: list[ModelRun] = []
    skipped: dict[str, str] = {}
    for name in models:
        try:
            model = build_model(name, data, config)
        except ModelUnavailable as reason:
            skipped[name] = str(reason)
            continue
        runs.append(run_model(model, data, progress=progress))
    return EvaluationResult(
        source=data.source,
        scores=np.fromiter((r.score for r in data.test), dtype=np.float64, count=len(data.test)),
        skills=[r.skills for r in data.test],
        runs=runs,
        skipped=skipped,
    )
