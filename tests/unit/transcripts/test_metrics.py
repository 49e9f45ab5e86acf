"""Evaluation metrics: golden values that check our wiring of scikit-learn and SciPy, and the
bootstrap by problem."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpractice_lab.tutoring.metrics import (
    DialogueResult,
    bootstrap,
    credit_scores,
    precision_at_recall,
    precision_recall_f1,
    severity_auroc,
    severity_spearman,
    step_accuracy,
)


def result(
    qid: int,
    label: int | None,
    predicted: int | None,
    scores: tuple[float, ...] = (),
    severity: int | None = None,
    struggle: float = 0.0,
) -> DialogueResult:
    return DialogueResult(qid, label, predicted, scores, severity, struggle)


RESULTS = [
    result(1, 0, 0, (0.9, 0.1), severity=0, struggle=0.1),
    result(1, 2, 1, (0.2, 0.6, 0.7), severity=2, struggle=0.9),
    result(2, 1, 3, (0.3, 0.4, 0.0, 0.8), severity=1, struggle=0.5),
    result(3, None, None, (), severity=0, struggle=0.3),  # severity only
]


def test_step_accuracy() -> None:
    assert step_accuracy(RESULTS) == pytest.approx(1 / 3)
    assert step_accuracy(RESULTS, tolerance=1) == pytest.approx(2 / 3)
    assert math.isnan(step_accuracy([]))


def test_credit_scores_judge_steps_up_to_the_first_wrong_one() -> None:
    labels, scores = credit_scores(RESULTS)
    # dialogue 1: step 0 positive; dialogue 2: steps 0, 1 negative, 2 positive; dialogue 3:
    # step 0 negative, step 1 positive; steps after the first wrong one are not judged.
    assert labels == [1, 0, 0, 1, 0, 1]
    assert scores == [0.9, 0.2, 0.6, 0.7, 0.3, 0.4]


def test_precision_recall_f1_at_a_threshold() -> None:
    precision, recall, f1 = precision_recall_f1(RESULTS, threshold=0.65)
    assert (precision, recall) == (1.0, pytest.approx(2 / 3))
    assert f1 == pytest.approx(0.8)


def test_precision_at_recall_half() -> None:
    # Ranked: 0.9+, 0.7+, 0.6-, 0.4+, 0.3-, 0.2-: recall 2/3 is reached at precision 1.
    assert precision_at_recall(RESULTS, recall=0.5) == 1.0
    assert precision_at_recall(RESULTS, recall=1.0) == pytest.approx(0.75)


def test_severity_auroc_and_spearman() -> None:
    # Not resolved alone (1, 2): struggles 0.9, 0.5; resolved (0): 0.1, 0.3 -> AUROC 1.
    assert severity_auroc(RESULTS) == 1.0
    assert severity_spearman(RESULTS) == pytest.approx(0.9486833)


def test_bootstrap_resamples_problems() -> None:
    first = bootstrap(RESULTS, step_accuracy, rng=np.random.default_rng(0), samples=200)
    again = bootstrap(RESULTS, step_accuracy, rng=np.random.default_rng(0), samples=200)
    assert first == again
    assert first.low <= first.value <= first.high
    assert first.low >= 0.0 and first.high <= 1.0
    as_dict = first.as_dict()
    assert set(as_dict) == {"value", "ci95"}


def test_bootstrap_of_an_undefined_metric() -> None:
    interval = bootstrap([], step_accuracy, rng=np.random.default_rng(0), samples=10)
    assert interval.as_dict() == {"value": None, "ci95": [None, None]}
