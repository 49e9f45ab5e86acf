"""Prediction metrics, computed with scikit-learn (no hand-written AUC or log-loss).

The outcome of a response is its score (0-1); it counts as a success when the score is at
least 0.5. AUC, log-loss, accuracy and calibration use the success label; RMSE uses the
score itself (the same number for right/wrong data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ECE_BINS",
    "PROBABILITY_FLOOR",
    "Metrics",
    "ReliabilityBins",
    "SkillRow",
    "compute_metrics",
    "expected_calibration_error",
    "per_skill_rows",
    "reliability_bins",
]

FloatArray = npt.NDArray[np.float64]

ECE_BINS = 10
"""Equal-width bins of predicted probability for the calibration error and the diagram."""

PROBABILITY_FLOOR = 1e-6
"""Predictions are clipped to [floor, 1 - floor] for the log-loss, so one certain mistake
costs at most -log(1e-6) = 13.8 nats instead of infinity."""


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well one model predicted the test responses.

    Attributes:
        auc: Area under the ROC curve (0-1; 0.5 = chance); NaN with one class only.
        log_loss: Mean negative log-likelihood (nats per response, lower is better).
        rmse: Root mean squared error of the prediction against the score (0-1).
        accuracy: Share of responses whose success the 0.5 threshold gets right (0-1).
        ece: Expected calibration error: mean |observed - predicted| over `ECE_BINS`
            equal-width bins, weighted by the responses in each bin (0-1).
    """

    auc: float
    log_loss: float
    rmse: float
    accuracy: float
    ece: float


@dataclass(frozen=True, slots=True)
class ReliabilityBins:
    """Filled bins of a reliability diagram.

    Attributes:
        counts: Responses per bin.
        observed: Success rate per bin (0-1).
        predicted: Mean prediction per bin (0-1).
    """

    counts: FloatArray
    observed: FloatArray
    predicted: FloatArray


def reliability_bins(
    labels: FloatArray, predictions: FloatArray, *, bins: int = ECE_BINS
) -> ReliabilityBins:
    """Group predictions into equal-width bins, as
    ``sklearn.calibration.calibration_curve(strategy="uniform")`` does, keeping the counts
    that function does not return (needed to weight the calibration error)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges[1:-1], predictions)
    counts = np.bincount(which, minlength=bins).astype(np.float64)
    observed = np.bincount(which, weights=labels, minlength=bins)
    predicted = np.bincount(which, weights=predictions, minlength=bins)
    filled = counts > 0
    return ReliabilityBins(
        counts=counts[filled],
        observed=observed[filled] / counts[filled],
        predicted=predicted[filled] / counts[filled],
    )


def expected_calibration_error(
    labels: FloatArray, predictions: FloatArray, *, bins: int = ECE_BINS
) -> float:
    """Mean |success rate - mean prediction| over equal-width bins, weighted by the share of
    responses in each bin (0-1; Naeini et al. 2015)."""
    if len(labels) == 0:
        return float("nan")
    grouped = reliability_bins(labels, predictions, bins=bins)
    gaps = np.abs(grouped.observed - grouped.predicted)
    return float(np.sum(gaps * grouped.counts) / len(labels))


def compute_metrics(scores: FloatArray, predictions: FloatArray) -> Metrics:
    """All metrics of one model.

    Args:
        scores: Observed outcome per response, 0-1.
        predictions: Predicted success per response, 0-1.

    Raises:
        ValueError: the arrays are empty or of different lengths.
    """
    from sklearn.metrics import (  # type: ignore[import-untyped]
        accuracy_score,
        log_loss,
        mean_squared_error,
        roc_auc_score,
    )

    if len(scores) == 0 or len(scores) != len(predictions):
        raise ValueError(f"need equal non-empty arrays, got {len(scores)} and {len(predictions)}")
    labels = (scores >= 0.5).astype(np.float64)
    clipped = np.clip(predictions, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    one_class = labels.min() == labels.max()
    return Metrics(
        auc=float("nan") if one_class else float(roc_auc_score(labels, predictions)),
        log_loss=float(log_loss(labels, clipped, labels=[0.0, 1.0])),
        rmse=float(np.sqrt(mean_squared_error(scores, predictions))),
        accuracy=float(accuracy_score(labels, predictions >= 0.5)),
        ece=expected_calibration_error(labels, predictions),
    )


@dataclass(frozen=True, slots=True)
class SkillRow:
    """Metrics of every model on the test responses to items testing one skill.

    Attributes:
        skill: The skill.
        responses: Test responses whose item tests it.
        success_rate: Share of them that succeeded (0-1).
        metrics: Per model, its metrics on those responses.
    """

    skill: str
    responses: int
    success_rate: float
    metrics: dict[str, Metrics]


def per_skill_rows(
    skills: Sequence[tuple[str, ...]],
    scores: FloatArray,
    predictions: dict[str, FloatArray],
    *,
    min_responses: int = 1,
) -> list[SkillRow]:
    """Per-skill metrics (a response to a multi-skill item counts for each of its skills),
    most answered skill first.

    Args:
        skills: Skills of each test response's item.
        scores: Observed outcome per test response, 0-1.
        predictions: Per model, predicted success per test response.
        min_responses: Skills with fewer test responses are left out.
    """
    rows_of: dict[str, list[int]] = {}
    for index, item_skills in enumerate(skills):
        for skill in item_skills:
            rows_of.setdefault(skill, []).append(index)
    table: list[SkillRow] = []
    for skill, rows in rows_of.items():
        if len(rows) < min_responses:
            continue
        picked = np.asarray(rows, dtype=np.int64)
        table.append(
            SkillRow(
                skill=skill,
                responses=len(rows),
                success_rate=float(np.mean(scores[picked] >= 0.5)),
                metrics={
                    name: compute_metrics(scores[picked], values[picked])
                    for name, values in predictions.items()
                },
            )
        )
    table.sort(key=lambda row: (-row.responses, row.skill))
    return table
