"""Run every requested model on the same rows and collect what the report needs."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from smartpractice.core.config import ModelConfig
from smartpractice_lab.evaluation.baselines import CustomerSketch, PlainElo
from smartpractice_lab.evaluation.bkt import PyBKT
from smartpractice_lab.evaluation.bulk import collector_paused
from smartpractice_lab.evaluation.calibrated import CalibratedProductionModel
from smartpractice_lab.evaluation.dataset import ReplayData, Response
from smartpractice_lab.evaluation.irt import Irt1PL
from smartpractice_lab.evaluation.metrics import Metrics, compute_metrics
from smartpractice_lab.evaluation.production import ProductionModel
from smartpractice_lab.evaluation.protocol import (
    LearnerModel,
    ModelRun,
    ModelUnavailable,
    run_model,
)

__all__ = [
    "DEFAULT_MODELS",
    "MODEL_NAMES",
    "EvaluationResult",
    "build_model",
    "default_jobs",
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


def default_jobs() -> int:
    """One process per CPU core this process may run on (`run_evaluation`'s `jobs`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


_Outcome = ModelRun | str
"""A model's run, or why it could not run."""

_FORKED: tuple[ReplayData, ModelConfig] | None = None
"""What forked processes evaluate: set just before they are forked, so nothing is pickled."""


def _run_one(name: str, data: ReplayData, config: ModelConfig, *, progress: bool) -> _Outcome:
    try:
        with collector_paused():  # a catalogue of 17k items is 50k small records
            model = build_model(name, data, config)
    except ModelUnavailable as reason:
        return str(reason)
    return run_model(model, data, progress=progress)


def _run_forked(name: str) -> _Outcome:
    if _FORKED is None:  # pragma: no cover - only reachable by a misuse of the pool
        raise RuntimeError("no evaluation to run in this process")
    return _run_one(name, *_FORKED, progress=False)


def _run_models(
    names: list[str], data: ReplayData, config: ModelConfig, *, progress: bool, jobs: int
) -> dict[str, _Outcome]:
    """Each model's outcome, in the order of `names`; see `run_evaluation` for `jobs`."""
    for name in names:  # unknown names fail before any work starts
        if name not in MODEL_NAMES:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    if jobs <= 1 or len(names) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return {name: _run_one(name, data, config, progress=progress) for name in names}
    global _FORKED
    _FORKED = (data, config)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs - 1, len(names) - 1)) as pool:
            others = pool.map_async(_run_forked, names[1:], chunksize=1)
            here = _run_one(names[0], data, config, progress=progress)
            return dict(zip(names, [here, *others.get()], strict=True))
    finally:
        _FORKED = None


def run_evaluation(
    data: ReplayData,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    config: ModelConfig | None = None,
    progress: bool = False,
    first: int | None = None,
    jobs: int = 1,
) -> EvaluationResult:
    """Run each model through the protocol on `data`.

    Args:
        data: Train and test responses in answer order.
        models: Model names (see `MODEL_NAMES`).
        config: Constants of the production model; the defaults when None.
        progress: Progress bars on stderr.
        first: Score only each test user's first `first` responses (cold start); every
            test response is still predicted and learned from, in order.
        jobs: Processes to run the models in at the same time (`default_jobs` is one per
            CPU core): the first model runs in this one, the others in up to ``jobs - 1``
            forked copies of it (where the platform can fork; progress bars for the first
            model only). Each model still runs alone through the protocol, so the
            predictions are the same whatever `jobs` is.

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
    outcomes = _run_models(list(models), data, config, progress=progress, jobs=jobs)
    runs: list[ModelRun] = []
    skipped: dict[str, str] = {}
    for name, outcome in outcomes.items():
        if isinstance(outcome, str):
            skipped[name] = outcome
        else:
            runs.append(replace(outcome, predictions=outcome.predictions[scored]))
    scores = np.fromiter((r.score for r in data.test), dtype=np.float64, count=len(data.test))
    return EvaluationResult(
        source=source,
        scores=scores[scored],
        skills=[r.skills for r, keep in zip(data.test, scored, strict=True) if keep],
        runs=runs,
        skipped=skipped,
    )
