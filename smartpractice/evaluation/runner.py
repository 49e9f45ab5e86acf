"""Run every requested model on the same rows and collect what the report needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from smartpractice.core.config import ModelConfig
from smartpractice.evaluation.baselines import CustomerSketch, PlainElo
from smartpractice.evaluation.bkt import PyBKT
from smartpractice.evaluation.calibrated import CalibratedProductionModel
from smartpractice.evaluation.dataset import ReplayData, Response
from smartpractice.evaluation.irt import Irt1PL
from smartpractice.evaluation.metrics import Metrics, compute_metrics
from smartpractice.evaluation.production import ProductionModel
from smartpractice.evaluation.protocol import LearnerModel, ModelRun, ModelUnavailable, run_model

__all__ = [
    "DEFAULT_MODELS",
    "MODEL_NAMES",
    "EvaluationResult",
    "build_model",
    "first_responses",
    "run_evaluation",
]

DEFAULT_MODELS = ("smartpractice", "elo", "customer_sketch", "bkt", "irt_1pl")
"""The models `evaluate` runs unless told otherwise, in report order; ``smartpractice`` is
the production model."""

MODEL_NAMES = (*DEFAULT_MODELS, "smartpractice_calibrated")
"""Every model `evaluate` knows: the defaults plus the production model with difficulties
seeded by `calibrate` on the train users (docs/evaluation.md, "Calibration and cold
start")."""


def build_model(name: str, data: ReplayData, config: ModelConfig) -> LearnerModel:
    """A fresh model by name.

    Raises:
        ValueError: unknown name.
        ModelUnavailable: the model cannot run here (pyBKT missing).
    """
    factories: dict[str, Callable[[], LearnerModel]] = {
        "smartpractice": lambda: ProductionModel(data.items, config),
        "smartpractice_calibrated": lambda: CalibratedProductionModel(data.items, config),
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


def first_responses(test: Sequence[Response], count: int) -> npt.NDArray[np.bool_]:
    """Which test responses are among their student's first `count` (>= 1), in replay order.

    Raises:
        ValueError: `count` < 1.
    """
    if count < 1:
        raise ValueError("the number of first responses must be at least 1")
    seen: dict[str, int] = {}
    chosen = np.zeros(len(test), dtype=np.bool_)
    for index, response in enumerate(test):
        answered = seen.get(response.student_id, 0)
        chosen[index] = answered < count
        seen[response.student_id] = answered + 1
    return chosen


def run_evaluation(
    data: ReplayData,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    config: ModelConfig | None = None,
    progress: bool = False,
    first: int | None = None,
) -> EvaluationResult:
    """Run each model through the protocol on `data`.

    Args:
        data: Train and test responses in answer order.
        models: Model names (see `MODEL_NAMES`).
        config: Constants of the production model; the defaults when None.
        progress: Progress bars on stderr.
        first: Score only each test user's first `first` responses (cold start); every
            test response is still predicted and learned from, in order.

    Raises:
        ValueError: an unknown model name, or `first` < 1.
    """
    config = config or ModelConfig()
    if first is None:
        scored = np.ones(len(data.test), dtype=np.bool_)
        source = data.source
    else:
        scored = first_responses(data.test, first)
        source = f"{data.source} (each test user's first {first})"
    runs: list[ModelRun] = []
    skipped: dict[str, str] = {}
    for name in models:
        try:
            model = build_model(name, data, config)
        except ModelUnavailable as reason:
            skipped[name] = str(reason)
            continue
        run = run_model(model, data, progress=progress)
        runs.append(replace(run, predictions=run.predictions[scored]))
    scores = np.fromiter((r.score for r in data.test), dtype=np.float64, count=len(data.test))
    return EvaluationResult(
        source=source,
        scores=scores[scored],
        skills=[r.skills for r, keep in zip(data.test, scored, strict=True) if keep],
        runs=runs,
        skipped=skipped,
    )
