"""Operations figures from the event log: throughput, pending events and queue lag, apply
delay, rejections, and the model's calibration over recent applied events.

Rates, percentiles and the calibration error are computed here over the counts, times and
per-bin sums that `AnalyticsStore` reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from smartpractice.services.analytics.common import AnalyticsConfig
from smartpractice.services.ports import AnalyticsStore, Rejection

__all__ = ["CalibrationBin", "OpsFigures", "calibration_bins", "ops_figures"]


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """One bin of a reliability table: predicted-success bounds [low, high) (0-1; the top
    bin includes 1), its events, and their mean prediction and mean outcome (0-1; None
    when empty)."""

    low: float
    high: float
    n: int
    predicted: float | None
    observed: float | None


@dataclass(frozen=True, slots=True)
class OpsFigures:
    """The event log's counts, throughput (events per second), queue lag and apply delay
    (seconds), the latest rejections, and the model's calibration over recent applied
    events: a reliability table (`calibration_bins`' rows), the events in it, the mean
    absolute gap between predicted and observed success and both means (0-1; None with no
    event)."""

    accepted: int
    applied: int
    rejected: int
    pending: int
    queue_lag_seconds: float
    received_per_second: float
    applied_per_second: float
    apply_delay_p50: float | None
    apply_delay_p99: float | None
    calibration: list[CalibrationBin]
    calibration_events: int
    calibration_error: float | None
    mean_predicted: float | None
    mean_observed: float | None
    latest_rejections: list[Rejection]


def _table(sums: dict[int, tuple[int, float, float]], bins: int) -> list[CalibrationBin]:
    """Per bin: its bounds, count, mean prediction and mean outcome (None when empty)."""
    table = []
    for b in range(bins):
        n, p_sum, o_sum = sums.get(b, (0, 0.0, 0.0))
        table.append(
            CalibrationBin(
                low=b / bins,
                high=(b + 1) / bins,
                n=n,
                predicted=p_sum / n if n else None,
                observed=o_sum / n if n else None,
            )
        )
    return table


def calibration_bins(
    pairs: Sequence[tuple[float, float]], *, bins: int = 10
) -> list[CalibrationBin]:
    """Reliability table of (predicted 0-1, observed 0-1) pairs: per predicted-probability
    bin, its count, mean prediction and mean outcome."""
    sums: dict[int, tuple[int, float, float]] = {}
    for p, o in pairs:
        b = min(max(int(p * bins), 0), bins - 1)
        n, p_sum, o_sum = sums.get(b, (0, 0.0, 0.0))
        sums[b] = (n + 1, p_sum + p, o_sum + o)
    return _table(sums, bins)


def _rate(times: Sequence[datetime], now: datetime, *, seconds: float = 60.0) -> float:
    """Events per second over the last `seconds`, from the newest events' timestamps (at
    most a thousand: when they all fall inside the window, over their own span)."""
    inside = [t for t in times if (now - t).total_seconds() <= seconds]
    if not inside:
        return 0.0
    if len(inside) == len(times) and len(times) > 1:
        span = max((now - min(inside)).total_seconds(), 1e-3)
        return len(inside) / span
    return len(inside) / seconds


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ops_figures(
    store: AnalyticsStore, *, now: datetime, thresholds: AnalyticsConfig = AnalyticsConfig()
) -> OpsFigures:
    """Events accepted, applied, rejected and pending, throughput, queue lag, apply delay,
    the latest rejections and the model's calibration over recent applied events."""
    counts = store.event_counts()
    oldest = counts.oldest_pending
    received = store.received_times(limit=1000)
    applied = store.apply_times(limit=1000)
    delays = [(a - r).total_seconds() for r, a in applied if a is not None]
    bins = 10
    table = _table(store.calibration_sums(events=thresholds.calibration_events, bins=bins), bins)
    filled = [
        (r.n, r.predicted, r.observed)
        for r in table
        if r.predicted is not None and r.observed is not None
    ]
    n = sum(count for count, _, _ in filled)
    return OpsFigures(
        accepted=counts.accepted,
        applied=counts.applied,
        rejected=counts.rejected,
        pending=counts.pending,
        queue_lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        received_per_second=_rate(received, now),
        applied_per_second=_rate([a for _, a in applied if a is not None], now),
        apply_delay_p50=_percentile(delays, 50),
        apply_delay_p99=_percentile(delays, 99),
        calibration=table,
        calibration_events=n,
        calibration_error=(sum(count * abs(p - o) for count, p, o in filled) / n if n else None),
        mean_predicted=sum(count * p for count, p, _ in filled) / n if n else None,
        mean_observed=sum(count * o for count, _, o in filled) / n if n else None,
        latest_rejections=store.latest_rejections(limit=5),
    )
