"""Metrics of the transcript evaluation and their bootstrap intervals (resampled by problem).

AUROC and the precision-recall curve come from scikit-learn, Spearman's rho from SciPy; this
module only arranges the data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DialogueResult",
    "Interval",
    "bootstrap",
    "credit_scores",
    "precision_at_recall",
    "precision_recall_f1",
    "severity_auroc",
    "severity_spearman",
    "step_accuracy",
]


@dataclass(frozen=True, slots=True)
class DialogueResult:
    """The detector's output on one dialogue next to its labels.

    Attributes:
        qid: The problem (bootstrap unit).
        step_label: Majority first wrong step (0-based), None if not annotated.
        predicted_step: The step the detector says the struggle began at (None: unannotated).
        step_scores: Per annotated step, the detector's doubt 0-1 (empty: unannotated).
        severity: 0 resolved, 1 revealed, 2 unresolved; None if not labelled.
        struggle: The detector's transcript-level struggle, 0-1.
    """

    qid: int
    step_label: int | None
    predicted_step: int | None
    step_scores: tuple[float, ...]
    severity: int | None
    struggle: float


Metric = Callable[[Sequence[DialogueResult]], float]


@dataclass(frozen=True, slots=True)
class Interval:
    """A metric's value with its bootstrap 95% interval (NaN when undefined)."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float | list[float] | None]:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)

        return {"value": clean(self.value), "ci95": [clean(self.low), clean(self.high)]}  # type: ignore[list-item]


def _steps(results: Sequence[DialogueResult]) -> list[DialogueResult]:
    return [r for r in results if r.step_label is not None and r.predicted_step is not None]


def step_accuracy(results: Sequence[DialogueResult], *, tolerance: int = 0) -> float:
    """Share of annotated dialogues whose predicted step is within `tolerance` steps of the
    majority label (0 = exact)."""
    annotated = _steps(results)
    if not annotated:
        return float("nan")
    hits = sum(abs(r.predicted_step - r.step_label) <= tolerance for r in annotated)  # type: ignore[operator]
    return hits / len(annotated)


def credit_scores(results: Sequence[DialogueResult]) -> tuple[list[int], list[float]]:
    """Per-step decisions: the first wrong step is a positive, every step before it a real
    negative (steps after it are not judged). Returns (labels, scores)."""
    labels: list[int] = []
    scores: list[float] = []
    for r in _steps(results):
        assert r.step_label is not None
        for step in range(min(r.step_label + 1, len(r.step_scores))):
            labels.append(int(step == r.step_label))
            scores.append(r.step_scores[step])
    return labels, scores


def precision_recall_f1(
    results: Sequence[DialogueResult], *, threshold: float
) -> tuple[float, float, float]:
    """Precision, recall and F1 of "lower credit here" (score >= threshold)."""
    labels, scores = credit_scores(results)
    flagged = [s >= threshold for s in scores]
    true_pos = sum(f and y for f, y in zip(flagged, labels, strict=True))
    precision = true_pos / sum(flagged) if any(flagged) else float("nan")
    recall = true_pos / sum(labels) if any(labels) else float("nan")
    if math.isnan(precision) or math.isnan(recall) or precision + recall == 0:
        return precision, recall, float("nan") if math.isnan(precision) else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall)


def precision_at_recall(results: Sequence[DialogueResult], *, recall: float = 0.5) -> float:
    """Best precision at any threshold whose recall is at least `recall` (interpolated
    precision, from scikit-learn's precision-recall curve)."""
    from sklearn.metrics import precision_recall_curve  # type: ignore[import-untyped]

    labels, scores = credit_scores(results)
    if not labels or min(labels) == max(labels):
        return float("nan")
    precision, achieved, _ = precision_recall_curve(labels, scores)
    return float(np.max(precision[achieved >= recall]))


def _severity(results: Sequence[DialogueResult]) -> tuple[list[int], list[float]]:
    labelled = [r for r in results if r.severity is not None]
    return [int(r.severity) for r in labelled if r.severity is not None], [
        r.struggle for r in labelled
    ]


def severity_auroc(results: Sequence[DialogueResult]) -> float:
    """AUROC of the struggle score for "not resolved by the student alone" (answer revealed
    or unresolved) against resolved dialogues."""
    from sklearn.metrics import roc_auc_score

    labels, scores = _severity(results)
    positives = [int(y > 0) for y in labels]
    if not positives or min(positives) == max(positives):
        return float("nan")
    return float(roc_auc_score(positives, scores))


def severity_spearman(results: Sequence[DialogueResult]) -> float:
    """Spearman's rho between the struggle score and resolved < revealed < unresolved."""
    from scipy.stats import spearmanr

    labels, scores = _severity(results)
    if len(set(labels)) < 2 or len(set(scores)) < 2:
        return float("nan")
    return float(spearmanr(labels, scores).statistic)


def bootstrap(
    results: Sequence[DialogueResult],
    metric: Metric,
    *,
    rng: np.random.Generator,
    samples: int = 1000,
) -> Interval:
    """`metric` on `results` with a percentile 95% interval from `samples` resamples of the
    problems (all dialogues of a drawn problem come along; a problem may be drawn twice)."""
    value = metric(results)
    by_problem: dict[int, list[DialogueResult]] = defaultdict(list)
    for r in results:
        by_problem[r.qid].append(r)
    groups = list(by_problem.values())
    draws: list[float] = []
    for _ in range(samples if groups else 0):
        picked = rng.integers(0, len(groups), size=len(groups))
        draw = metric([r for g in picked for r in groups[g]])
        if not math.isnan(draw):
            draws.append(draw)
    if not draws:
        return Interval(value, float("nan"), float("nan"))
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value, float(low), float(high))
