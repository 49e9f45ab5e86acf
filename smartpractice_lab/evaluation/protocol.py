"""The evaluation protocol: learn from the train users, then predict each test response
before the model sees it.

1. ``fit`` gets the train users' responses in answer order (online models replay them one
   by one; batch models such as 1PL IRT fit on them). Nothing is scored.
2. The test users' responses follow in answer order. For each one the model returns its
   predicted success (0-1) *and then* learns from it (``predict_then_learn``), so a
   prediction depends only on the train data and the earlier test responses. A
   multi-skill item is one response, predicted once.

Every model of a run sees exactly the same rows in the same order.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from smartpractice_lab.evaluation.bulk import collector_paused
from smartpractice_lab.evaluation.dataset import ReplayData, Response

__all__ = [
    "BatchPredictor",
    "LearnerModel",
    "ModelRun",
    "ModelUnavailable",
    "OnlineModel",
    "run_model",
]

T = TypeVar("T")


class ModelUnavailable(RuntimeError):
    """The model cannot run here (for example an optional package is missing)."""


class LearnerModel(Protocol):
    """A learner model under the replay protocol."""

    @property
    def name(self) -> str:
        """Name in reports, e.g. ``"elo"``."""
        ...

    def fit(self, train: Iterable[Response]) -> None:
        """Learn from the train users' responses, in answer order (not scored)."""
        ...

    def predict_then_learn(self, response: Response) -> float:
        """Predicted success (0-1) on `response`, made before looking at its score; then
        learn from it."""
        ...


@runtime_checkable
class BatchPredictor(Protocol):
    """A learner model that can predict the whole test side at once.

    Only for models whose prediction of a test response depends on the train data and on
    that student's earlier test responses alone (no learning across test students), so the
    result equals ``predict_then_learn`` on each test response in order.
    """

    def predict_test(self, test: Sequence[Response]) -> npt.NDArray[np.float64]:
        """Predicted success (0-1) per test response, in order."""
        ...


class OnlineModel(ABC):
    """Base of models that learn one response at a time: ``fit`` replays the train rows."""

    name = "online"

    def fit(self, train: Iterable[Response]) -> None:
        """Replay the train responses through `predict_then_learn`, ignoring predictions."""
        for response in train:
            self.predict_then_learn(response)

    @abstractmethod
    def predict_then_learn(self, response: Response) -> float:
        """Predicted success (0-1) before learning from `response`."""


@dataclass(frozen=True, slots=True)
class ModelRun:
    """One model's predictions on the test responses.

    Attributes:
        name: The model.
        predictions: Predicted success (0-1) per test response, in replay order.
        seconds: Wall time of fitting on train plus predicting the test rows (s).
    """

    name: str
    predictions: npt.NDArray[np.float64]
    seconds: float


def _progress(rows: Sequence[T], label: str, enabled: bool) -> Iterable[T]:
    if not enabled:
        return rows
    from tqdm import tqdm

    return tqdm(rows, desc=label, unit="rows", leave=False, mininterval=0.5)


def run_model(model: LearnerModel, data: ReplayData, *, progress: bool = False) -> ModelRun:
    """Run `model` through the protocol on `data`.

    Args:
        model: A fresh model (it has learned nothing yet).
        data: Train and test responses in answer order.
        progress: Show a progress bar on stderr.

    Raises:
        ValueError: the model predicted something outside [0, 1].
    """
    with collector_paused():
        return _run(model, data, progress=progress)


def _run(model: LearnerModel, data: ReplayData, *, progress: bool) -> ModelRun:
    started = time.perf_counter()
    model.fit(_progress(data.train, f"{model.name}: train", progress))
    if isinstance(model, BatchPredictor):
        predictions = model.predict_test(data.test)
        outside = np.flatnonzero(~((predictions >= 0.0) & (predictions <= 1.0)))
        if outside.size:
            index = int(outside[0])
            raise ValueError(f"{model.name} predicted {predictions[index]} for test row {index}")
        return ModelRun(
            name=model.name, predictions=predictions, seconds=time.perf_counter() - started
        )
    predictions = np.empty(len(data.test), dtype=np.float64)
    for index, response in enumerate(_progress(data.test, f"{model.name}: test", progress)):
        predicted = model.predict_then_learn(response)
        if not 0.0 <= predicted <= 1.0 or math.isnan(predicted):
            raise ValueError(f"{model.name} predicted {predicted} for test row {index}")
        predictions[index] = predicted
    return ModelRun(name=model.name, predictions=predictions, seconds=time.perf_counter() - started)
