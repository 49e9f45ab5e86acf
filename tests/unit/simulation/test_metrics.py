"""Metrics with 95% intervals: golden values and the `--json` shape."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpractice_lab.simulation.metrics import (
    mean_interval,
    metrics_json,
    metrics_table,
    summarize,
    wilson_interval,
)
from smartpractice_lab.simulation.runner import CHANCE_BINS, CohortResult


def test_mean_interval_golden() -> None:
    # mean 3, sample sd sqrt(2.5) = 1.5811, n 5: half width 1.96 * 1.5811 / sqrt(5) = 1.3859.
    interval = mean_interval([1, 2, 3, 4, 5])
    assert interval.mean == 3.0
    assert interval.low == pytest.approx(3.0 - 1.959964 * math.sqrt(2.5) / math.sqrt(5))
    assert interval.high == pytest.approx(4.3859, abs=1e-4)
    assert mean_interval([7.0]).as_dict() == {"mean": 7.0, "ci95_low": 7.0, "ci95_high": 7.0}
    with pytest.raises(ValueError):
        mean_interval([])


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        (50, 100, 0.4038, 0.5962),  # Wilson 1927, z = 1.96
        (0, 10, 0.0, 0.2775),  # never at or below 0
        (10, 10, 0.7225, 1.0),  # never at or above 1
    ],
)
def test_wilson_interval_golden(successes: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, total)
    assert interval.mean == successes / total
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def cohort(policy: str, first: int, mastered_at: list[int]) -> CohortResult:
    n = len(mastered_at)
    histogram = np.zeros(CHANCE_BINS, dtype=np.int64)
    histogram[14] = 10 * n  # every question at chance 0.70-0.75
    return CohortResult(
        policy=policy,
        first=first,
        mastered_at=np.array(mastered_at),
        minutes=np.full(n, 30.0),
        practised=np.full(n, 10),
        in_band=np.full(n, 5),
        frustrated=np.full(n, 1),
        bored=np.zeros(n, dtype=np.int64),
        correct=np.full(n, 7),
        on_mastered=np.full(n, 2),
        chance_histogram=histogram,
        error_sum=np.array([0.2 * n, 0.1 * n, 0.05 * n]),
    )


def test_summarize_censors_students_who_never_master_at_the_budget() -> None:
    results = [cohort("textbook", 0, [4, -1]), cohort("textbook", 2, [6, 10])]
    metrics = summarize(results, questions=10, checkpoint_every=5)
    # Rates are per student over the questions practised (10 each here), then averaged.
    assert metrics.students == 4
    # 4, 10 (never: the budget), 6, 10 -> mean 7.5
    assert metrics.questions_to_mastery.mean == 7.5
    assert metrics.mastered_share.mean == 0.75
    assert metrics.in_band_share.mean == 0.5
    assert metrics.frustration_rate.mean == 0.1
    assert metrics.boredom_rate.mean == 0.0
    assert metrics.success_rate.mean == 0.7
    assert metrics.on_mastered_share.mean == 0.2
    assert metrics.mastery_curve.tolist() == [0, 0, 0, 0, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5, 0.75]
    assert metrics.estimate_error == ((0, pytest.approx(0.2)), (5, 0.1), (10, 0.05))
    assert metrics.chance_histogram.sum() == pytest.approx(1.0)


def test_json_has_exactly_the_issue_shape() -> None:
    metrics = {
        name: summarize([cohort(name, 0, [3, 5, -1])], questions=10, checkpoint_every=5)
        for name in ("textbook", "smart_practice")
    }
    document = metrics_json(metrics)
    assert list(document) == ["policies"]
    assert list(document["policies"]) == ["textbook", "smart_practice"]
    for entry in document["policies"].values():
        assert set(entry) == {
            "questions_to_mastery",
            "mastered_share",
            "in_band_share",
            "frustration_rate",
            "boredom_rate",
        }
        assert set(entry["questions_to_mastery"]) == {"mean", "ci95_low", "ci95_high"}
        assert all(isinstance(entry[k], float) for k in entry if k != "questions_to_mastery")
    table = metrics_table(metrics)
    assert table.count("\n") == 4 and "| smart_practice | 6.0 [" in table


def test_json_adds_one_section_per_family() -> None:
    elo = {
        "textbook": summarize([cohort("textbook", 0, [3, -1])], questions=10, checkpoint_every=5)
    }
    bkt = {"textbook": summarize([cohort("textbook", 0, [2, 4])], questions=10, checkpoint_every=5)}
    document = metrics_json(elo, families={"elo": elo, "bkt": bkt})
    assert list(document) == ["policies", "families"]
    assert document["policies"] == document["families"]["elo"]["policies"]
    assert list(document["families"]["bkt"]) == ["policies"]
    bkt_mean = document["families"]["bkt"]["policies"]["textbook"]["questions_to_mastery"]
    assert bkt_mean["mean"] == 3.0  # (2 + 4) / 2; elo: (3 + 10) / 2
    assert document["policies"]["textbook"]["questions_to_mastery"]["mean"] == 6.5


def test_rates_weigh_every_student_equally() -> None:
    result = cohort("textbook", 0, [2, -1])
    result.practised = np.array([2, 10])
    result.frustrated = np.array([1, 1])
    metrics = summarize([result], questions=10, checkpoint_every=5)
    assert metrics.frustration_rate.mean == pytest.approx((1 / 2 + 1 / 10) / 2)
