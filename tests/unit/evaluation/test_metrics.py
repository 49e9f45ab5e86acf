"""Metrics: golden values that check our wiring of scikit-learn, not scikit-learn itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from smartpractice_lab.evaluation.metrics import (
    PROBABILITY_FLOOR,
    compute_metrics,
    expected_calibration_error,
    per_skill_rows,
    reliability_bins,
)

# Four responses, each prediction in its own calibration bin (no bin edge touched).
SCORES = np.array([0.0, 0.0, 1.0, 1.0])
PREDICTIONS = np.array([0.15, 0.45, 0.35, 0.85])


def test_golden_metrics_of_four_responses() -> None:
    metrics = compute_metrics(SCORES, PREDICTIONS)
    # Of the 4 (negative, positive) pairs, only (0.45, 0.35) is ranked wrongly: AUC 3/4.
    assert metrics.auc == pytest.approx(0.75)
    # Mean of -log(1 - 0.15), -log(1 - 0.45), -log(0.35), -log(0.85).
    expected_log_loss = -(math.log(0.85) + math.log(0.55) + math.log(0.35) + math.log(0.85)) / 4
    assert metrics.log_loss == pytest.approx(expected_log_loss)
    # Errors 0.15, 0.45, 0.65, 0.15.
    assert metrics.rmse == pytest.approx(math.sqrt((0.15**2 + 0.45**2 + 0.65**2 + 0.15**2) / 4))
    # Thresholded at 0.5: wrong only on the positive predicted at 0.35.
    assert metrics.accuracy == pytest.approx(0.75)
    # One response per bin, so ECE is the mean absolute error: (0.15+0.45+0.65+0.15) / 4.
    assert metrics.ece == pytest.approx(0.35)


def test_partial_credit_counts_as_success_from_half_and_rmse_uses_the_score() -> None:
    scores = np.array([0.2, 0.5, 0.9, 0.4])
    predictions = np.array([0.3, 0.6, 0.7, 0.2])
    metrics = compute_metrics(scores, predictions)
    # Labels 0, 1, 1, 0: the two successes are predicted above both failures.
    assert metrics.auc == pytest.approx(1.0)
    assert metrics.accuracy == pytest.approx(1.0)
    # RMSE against the scores: errors 0.1, 0.1, 0.2, 0.2.
    assert metrics.rmse == pytest.approx(math.sqrt((0.01 + 0.01 + 0.04 + 0.04) / 4))


def test_certain_mistakes_cost_a_bounded_log_loss() -> None:
    metrics = compute_metrics(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert metrics.log_loss == pytest.approx(-math.log(PROBABILITY_FLOOR), rel=1e-6)


def test_one_class_gives_no_auc_but_the_other_metrics() -> None:
    metrics = compute_metrics(np.array([1.0, 1.0, 1.0]), np.array([0.9, 0.8, 0.6]))
    assert math.isnan(metrics.auc)
    assert metrics.accuracy == 1.0
    assert metrics.ece == pytest.approx(abs(1.0 - (0.9 + 0.8 + 0.6) / 3))


def test_mismatched_or_empty_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="equal non-empty"):
        compute_metrics(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="equal non-empty"):
        compute_metrics(np.array([1.0]), np.array([0.5, 0.5]))


def test_reliability_bins_match_scikit_learns_calibration_curve() -> None:
    rng = np.random.default_rng(7)
    predictions = rng.uniform(size=2000)
    labels = (rng.uniform(size=2000) < predictions**1.5).astype(np.float64)
    observed, predicted = calibration_curve(labels, predictions, n_bins=10, strategy="uniform")
    bins = reliability_bins(labels, predictions)
    np.testing.assert_allclose(bins.observed, observed)
    np.testing.assert_allclose(bins.predicted, predicted)
    assert bins.counts.sum() == 2000


def test_expected_calibration_error_weights_bins_by_their_responses() -> None:
    # Bin [0.1, 0.2): three responses at 0.15, two successes -> |2/3 - 0.15| weighted 3/4;
    # bin [0.9, 1.0): one response at 0.95, a failure -> |0 - 0.95| weighted 1/4.
    labels = np.array([1.0, 1.0, 0.0, 0.0])
    predictions = np.array([0.15, 0.15, 0.15, 0.95])
    expected = 0.75 * abs(2 / 3 - 0.15) + 0.25 * 0.95
    assert expected_calibration_error(labels, predictions) == pytest.approx(expected)


def test_per_skill_rows_count_a_multi_skill_response_for_each_skill() -> None:
    skills = [("a",), ("a", "b"), ("b",), ("a",)]
    scores = np.array([1.0, 0.0, 1.0, 0.0])
    predictions = {"m": np.array([0.9, 0.2, 0.6, 0.4])}
    rows = per_skill_rows(skills, scores, predictions)
    assert [(r.skill, r.responses) for r in rows] == [("a", 3), ("b", 2)]
    assert rows[0].success_rate == pytest.approx(1 / 3)
    # Skill a: success at 0.9 against failures at 0.2 and 0.4 -> AUC 1.
    assert rows[0].metrics["m"].auc == pytest.approx(1.0)
    assert per_skill_rows(skills, scores, predictions, min_responses=3)[0].skill == "a"
    assert len(per_skill_rows(skills, scores, predictions, min_responses=3)) == 1
