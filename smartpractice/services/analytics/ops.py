"""Operations figures from the event log: throughput, pending events and queue lag, apply
delay, rejections, and the model's calibration over recent applied events."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from smartpractice.services.analytics.common import AnalyticsConfig, score_of, success_of
from smartpractice.storage.models import Event

__all__ = ["calibration_bins", "ops_figures"]


def _table(sums: dict[int, tuple[int, float, float]], bins: int) -> list[dict[str, Any]]:
    """Per bin: its bounds, count, mean prediction and mean outcome (None when empty)."""
    table = []
    for b in range(bins):
        n, p_sum, o_sum = sums.get(b, (0, 0.0, 0.0))
        table.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "n": n,
                "predicted": p_sum / n if n else None,
                "observed": o_sum / n if n else None,
            }
        )
    return table


def calibration_bins(
    pairs: Sequence[tuple[float, float]], *, bins: int = 10
) -> list[dict[str, Any]]:
    """Reliability table of (predicted 0-1, observed 0-1) pairs: per predicted-probability
    bin, its count, mean prediction and mean outcome."""
    sums: dict[int, tuple[int, float, float]] = {}
    for p, o in pairs:
        b = min(max(int(p * bins), 0), bins - 1)
        n, p_sum, o_sum = sums.get(b, (0, 0.0, 0.0))
        sums[b] = (n + 1, p_sum + p, o_sum + o)
    return _table(sums, bins)


def _recent_calibration(session: Session, *, events: int, bins: int = 10) -> list[dict[str, Any]]:
    """`calibration_bins` of the last `events` applied events, summed by the database."""
    recent = (
        select(Event.predicted.label("p"), success_of(score_of()).label("o"))
        .where(Event.applied_seq.is_not(None), Event.predicted.is_not(None))
        .order_by(Event.applied_seq.desc())
        .limit(events)
        .subquery()
    )
    scaled = recent.c.p * bins
    # The floor: PostgreSQL's cast to integer rounds; SQLite's truncates (p >= 0).
    postgresql = session.get_bind().dialect.name == "postgresql"
    bin_of = cast(func.floor(scaled), Integer) if postgresql else cast(scaled, Integer)
    sums: dict[int, tuple[int, float, float]] = {}
    for b, n, p_sum, o_sum in session.execute(
        select(bin_of, func.count(), func.sum(recent.c.p), func.sum(recent.c.o)).group_by(bin_of)
    ):
        b = min(max(int(b), 0), bins - 1)  # p = 1.0 joins the top bin
        old = sums.get(b, (0, 0.0, 0.0))
        sums[b] = (old[0] + int(n), old[1] + float(p_sum), old[2] + float(o_sum))
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
    session: Session, *, now: datetime, thresholds: AnalyticsConfig = AnalyticsConfig()
) -> dict[str, Any]:
    """Events accepted, applied, rejected and pending, throughput, queue lag, apply delay,
    the latest rejections and the model's calibration over recent applied events."""
    # Counting a long log costs a scan; the newest positions cost an index lookup. Event
    # numbers and apply positions count events (on PostgreSQL a rolled-back insert or
    # batch leaves a gap in them, so they can run slightly ahead). Pending and rejected
    # events are few and counted through the (status, seq) index.
    accepted = session.scalar(select(func.max(Event.seq))) or 0
    applied_total = session.scalar(select(func.max(Event.applied_seq))) or 0
    pending, rejected_total = (
        session.scalar(select(func.count()).select_from(Event).where(Event.status == status)) or 0
        for status in ("pending", "rejected")
    )
    oldest = session.scalar(
        select(Event.received_at).where(Event.status == "pending").order_by(Event.seq).limit(1)
    )
    received = session.scalars(select(Event.received_at).order_by(Event.seq.desc()).limit(1000))
    applied = session.execute(
        select(Event.received_at, Event.applied_at)
        .where(Event.applied_seq.is_not(None))
        .order_by(Event.applied_seq.desc())
        .limit(1000)
    ).all()
    delays = [(a - r).total_seconds() for r, a in applied if a is not None]
    table = _recent_calibration(session, events=thresholds.calibration_events)
    n = sum(row["n"] for row in table)
    rejected = session.execute(
        select(Event.event_id, Event.reason, Event.received_at)
        .where(Event.status == "rejected")
        .order_by(Event.seq.desc())
        .limit(5)
    ).all()
    return {
        "accepted": accepted,
        "applied": applied_total,
        "rejected": rejected_total,
        "pending": pending,
        "queue_lag_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        "received_per_second": _rate(list(received), now),
        "applied_per_second": _rate([a for _, a in applied if a is not None], now),
        "apply_delay_p50": _percentile(delays, 50),
        "apply_delay_p99": _percentile(delays, 99),
        "calibration": table,
        "calibration_events": n,
        "calibration_error": (
            sum(r["n"] * abs(r["predicted"] - r["observed"]) for r in table if r["n"]) / n
            if n
            else None
        ),
        "mean_predicted": sum(r["n"] * r["predicted"] for r in table if r["n"]) / n if n else None,
        "mean_observed": sum(r["n"] * r["observed"] for r in table if r["n"]) / n if n else None,
        "latest_rejections": [
            {"event_id": e, "reason": r, "received_at": t} for e, r, t in rejected
        ],
    }
