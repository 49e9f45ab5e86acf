"""Metrics of a simulation run, with 95% confidence intervals over students.

* ``questions_to_mastery``: questions until every target skill of the student's topic is
  mastered (hidden truth), counted as the budget when never reached within it (censored:
  this understates the policies that often miss mastery, so comparisons are conservative);
* ``minutes_to_mastery``: the same in simulated minutes of work (time on items);
* ``mastered_share``: students mastering within the budget (Wilson interval);
* ``in_band_share``: questions whose true chance of success was in 0.6-0.85;
* ``frustration_rate``: questions answered wrong as the third (or later) failure in a row;
* ``boredom_rate``: questions answered right as the fifth (or later) easy success in a row
  (easy: true chance at least 0.85);
* ``on_mastered_share`` ("no progress"): questions none of whose skills was a taught skill
  still short of mastery (already mastered, or not taught by the topic);
* ``estimate_error``: after n questions, the mean absolute error of the service's
  proficiency against the true chance on each target skill's typical item.

Rates are per question over the practice each student needed: the questions up to and
including the one after which the topic was mastered (the whole budget if never). After
mastery a topic of 20-30 items has nothing left to stretch a student, and every policy
serves easy items. Intervals come from the per-student rates (students are independent,
their questions are not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from smartpractice_lab.simulation.runner import CohortResult

__all__ = [
    "Interval",
    "PolicyMetrics",
    "mean_interval",
    "metrics_json",
    "metrics_table",
    "summarize",
    "wilson_interval",
]

Z95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal."""


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with its 95% confidence interval."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci95_low": self.low, "ci95_high": self.high}


def mean_interval(values: Sequence[float] | np.ndarray) -> Interval:
    """Mean with a normal-approximation 95% interval (``mean +/- 1.96 sd / sqrt(n)``)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values")
    mean = float(data.mean())
    if data.size == 1:
        return Interval(mean, mean, mean)
    half = Z95 * float(data.std(ddof=1)) / math.sqrt(data.size)
    return Interval(mean, mean - half, mean + half)


def wilson_interval(successes: int, total: int) -> Interval:
    """A share (0-1) with its Wilson score 95% interval (Wilson 1927)."""
    if total <= 0:
        raise ValueError("total must be positive")
    share = successes / total
    z2 = Z95 * Z95
    centre = (share + z2 / (2 * total)) / (1 + z2 / total)
    half = (
        Z95 * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    )
    return Interval(share, max(0.0, centre - half), min(1.0, centre + half))


def _share_interval(shares: np.ndarray) -> Interval:
    """Mean of per-student shares (0-1), its interval clipped to [0, 1]."""
    found = mean_interval(shares)
    return Interval(found.mean, max(found.low, 0.0), min(found.high, 1.0))


@dataclass(frozen=True, slots=True)
class PolicyMetrics:
    """Everything reported for one policy.

    Attributes:
        students: Students simulated.
        questions: Question budget per student.
        mastery_curve: Share of students who have mastered by question n, n = 0..budget.
        chance_histogram: Share of questions per bin of true chance (equal bins over 0-1).
        estimate_error: (questions answered, mean absolute proficiency error) pairs.
    """

    students: int
    questions: int
    questions_to_mastery: Interval
    minutes_to_mastery: Interval
    mastered_share: Interval
    in_band_share: Interval
    frustration_rate: Interval
    boredom_rate: Interval
    success_rate: Interval
    on_mastered_share: Interval
    mastery_curve: np.ndarray
    chance_histogram: np.ndarray
    estimate_error: tuple[tuple[int, float], ...]


def summarize(
    results: Sequence[CohortResult], *, questions: int, checkpoint_every: int
) -> PolicyMetrics:
    """Metrics of one policy from its cohorts' results."""
    mastered_at = np.concatenate([r.mastered_at for r in results])
    students = int(mastered_at.size)
    censored = np.where(mastered_at < 0, questions, mastered_at)
    practised = np.concatenate([r.practised for r in results]).astype(float)
    per_student = {
        name: np.concatenate([getattr(r, name) for r in results]) / practised
        for name in ("in_band", "frustrated", "bored", "correct", "on_mastered")
    }
    reached = mastered_at[mastered_at >= 0]
    curve = np.array([np.count_nonzero(reached <= n) / students for n in range(questions + 1)])
    histogram = np.sum([r.chance_histogram for r in results], axis=0).astype(float)
    errors = np.sum([r.error_sum for r in results], axis=0) / students
    to_mastery = mean_interval(censored)
    return PolicyMetrics(
        students=students,
        questions=questions,
        # A mean of values in [0, budget] lies in it: the normal interval is clipped there.
        questions_to_mastery=Interval(
            to_mastery.mean, max(to_mastery.low, 0.0), min(to_mastery.high, float(questions))
        ),
        minutes_to_mastery=mean_interval(np.concatenate([r.minutes for r in results])),
        mastered_share=wilson_interval(int(reached.size), students),
        in_band_share=_share_interval(per_student["in_band"]),
        frustration_rate=_share_interval(per_student["frustrated"]),
        boredom_rate=_share_interval(per_student["bored"]),
        success_rate=_share_interval(per_student["correct"]),
        on_mastered_share=_share_interval(per_student["on_mastered"]),
        mastery_curve=curve,
        chance_histogram=histogram / max(histogram.sum(), 1.0),
        estimate_error=tuple((k * checkpoint_every, float(e)) for k, e in enumerate(errors)),
    )


def _policies_json(metrics: Mapping[str, PolicyMetrics]) -> dict[str, Any]:
    return {
        name: {
            "questions_to_mastery": m.questions_to_mastery.as_dict(),
            "mastered_share": m.mastered_share.mean,
            "in_band_share": m.in_band_share.mean,
            "frustration_rate": m.frustration_rate.mean,
            "boredom_rate": m.boredom_rate.mean,
        }
        for name, m in metrics.items()
    }


def metrics_json(
    metrics: Mapping[str, PolicyMetrics],
    *,
    families: Mapping[str, Mapping[str, PolicyMetrics]] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document: ``{"policies": {NAME: {questions_to_mastery: {mean,
    ci95_low, ci95_high}, mastered_share, in_band_share, frustration_rate,
    boredom_rate}}}`` for `metrics`, plus ``"families": {FAMILY: {"policies": {...}}}``
    when `families` is given."""
    document: dict[str, Any] = {"policies": _policies_json(metrics)}
    if families is not None:
        document["families"] = {
            family: {"policies": _policies_json(found)} for family, found in families.items()
        }
    return document


def _cell(interval: Interval, digits: int, percent: bool = False) -> str:
    scale = 100.0 if percent else 1.0
    return (
        f"{interval.mean * scale:.{digits}f} "
        f"[{interval.low * scale:.{digits}f}, {interval.high * scale:.{digits}f}]"
    )


def metrics_table(metrics: Mapping[str, PolicyMetrics]) -> str:
    """A Markdown table of every policy (means with 95% intervals; rates in percent)."""
    header = (
        "| policy | questions to mastery | minutes to mastery | mastered % | in band % | "
        "frustration % | boredom % | success % | no progress % | error after 50 |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for name, m in metrics.items():
        error = dict(m.estimate_error)
        at = min(error, key=lambda n: abs(n - 50))
        rows.append(
            f"| {name} | {_cell(m.questions_to_mastery, 1)} | {_cell(m.minutes_to_mastery, 0)} "
            f"| {_cell(m.mastered_share, 1, True)} | {_cell(m.in_band_share, 1, True)} "
            f"| {_cell(m.frustration_rate, 1, True)} | {_cell(m.boredom_rate, 1, True)} "
            f"| {_cell(m.success_rate, 1, True)} | {_cell(m.on_mastered_share, 1, True)} "
            f"| {error[at]:.3f} |"
        )
    return header + "\n".join(rows) + "\n"
