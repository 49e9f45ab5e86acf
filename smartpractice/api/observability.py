"""Prometheus `/metrics`: request and next-question latency measured in this process, and
the event pipeline's figures read from the database at scrape time.

The database figures (events accepted, applied, rejected, pending, queue lag, calibration)
are the same from every API process, since they come from the shared event log: in
PromQL take ``max`` over instances rather than ``sum``. Latencies and apply errors are per
process (apply errors are counted from the embedded worker's ``apply_failed`` log records;
Celery workers report theirs in Celery's own monitoring).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response, params
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartpractice.services.access import list_tenants
from smartpractice.services.analytics import OpsFigures, ops_figures
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_analytics import SqlAnalyticsStore

__all__ = [
    "NEXT_QUESTION_ROUTE",
    "DatabaseCollector",
    "Metrics",
    "MetricsMiddleware",
    "configure_service_logging",
    "install_metrics",
]

log = logging.getLogger(__name__)

NEXT_QUESTION_ROUTE = "/v1/students/{student_id}/next-question"
"""The route whose latency the next-question histogram and percentiles follow."""

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)


class DatabaseCollector(Collector):
    """The event pipeline's figures, read from the database when Prometheus scrapes
    (at most once per `min_interval` seconds; scrapes in between reuse the last read)."""

    def __init__(self, db: Database, *, min_interval: float = 1.0) -> None:
        self._db = db
        self._min_interval = min_interval
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def describe(self) -> Iterable[Metric]:
        # Without this the registry would call `collect` (a database read) on register.
        return []

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._min_interval:
                self._cached = (now, list(self._read()))
            return list(self._cached[1])

    def _read(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("smartpractice_database_up", "1 if the database answered.")
        try:
            with self._db.transaction() as session:
                tenants = list_tenants(SqlAccessStore(session))
            now = datetime.now(UTC)
            per_tenant = []
            for tenant_id in tenants:
                with self._db.for_tenant(tenant_id).transaction() as session:
                    per_tenant.append((tenant_id, ops_figures(SqlAnalyticsStore(session), now=now)))
        except Exception:
            log.warning("metrics: database unavailable", extra={"action": "metrics_db_down"})
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from _pipeline_metrics(per_tenant)


_COUNTERS = (
    ("smartpractice_events_accepted", "accepted", "Events stored (all statuses)."),
    ("smartpractice_events_applied", "applied", "Events applied to the ratings."),
    ("smartpractice_events_rejected", "rejected", "Events that can never apply."),
)
_GAUGES = (
    ("smartpractice_events_pending", "pending", "Events waiting to be applied."),
    (
        "smartpractice_queue_lag_seconds",
        "queue_lag_seconds",
        "Age of the oldest pending event (0 when none is pending).",
    ),
    (
        "smartpractice_events_received_per_second",
        "received_per_second",
        "Events stored per second over the last minute.",
    ),
    (
        "smartpractice_events_applied_per_second",
        "applied_per_second",
        "Events applied per second over the last minute.",
    ),
)


def _pipeline_metrics(per_tenant: Sequence[tuple[str, OpsFigures]]) -> Iterator[Metric]:
    """Every figure of every tenant, labelled with the tenant (sum over it in PromQL for
    the deployment's)."""
    families: list[tuple[CounterMetricFamily | GaugeMetricFamily, str]] = [
        (CounterMetricFamily(name, text, labels=["tenant"]), key) for name, key, text in _COUNTERS
    ] + [(GaugeMetricFamily(name, text, labels=["tenant"]), key) for name, key, text in _GAUGES]
    delay = GaugeMetricFamily(
        "smartpractice_apply_delay_seconds",
        "Received-to-applied delay of the last 1,000 applied events.",
        labels=["tenant", "quantile"],
    )
    for tenant_id, figures in per_tenant:
        for family, key in families:
            family.add_metric([tenant_id], getattr(figures, key))
        for quantile, key in (("0.5", "apply_delay_p50"), ("0.99", "apply_delay_p99")):
            if getattr(figures, key) is not None:
                delay.add_metric([tenant_id, quantile], getattr(figures, key))
    yield from (family for family, _ in families)
    yield delay
    yield from _calibration_metrics(per_tenant)


def _calibration_metrics(per_tenant: Sequence[tuple[str, OpsFigures]]) -> Iterator[Metric]:
    predicted = GaugeMetricFamily(
        "smartpractice_calibration_predicted_success",
        "Mean predicted success of recent applied events, per predicted-probability bin.",
        labels=["tenant", "bin"],
    )
    observed = GaugeMetricFamily(
        "smartpractice_calibration_observed_success",
        "Observed success (score >= 0.5) of recent applied events, per bin.",
        labels=["tenant", "bin"],
    )
    counts = GaugeMetricFamily(
        "smartpractice_calibration_events",
        "Recent applied events per predicted-probability bin.",
        labels=["tenant", "bin"],
    )
    error = GaugeMetricFamily(
        "smartpractice_calibration_error",
        "Expected calibration error (0-1) over recent applied events.",
        labels=["tenant"],
    )
    for tenant_id, figures in per_tenant:
        for row in figures.calibration:
            label = f"{row.low:.1f}-{row.high:.1f}"
            counts.add_metric([tenant_id, label], row.n)
            if row.predicted is not None and row.observed is not None:
                predicted.add_metric([tenant_id, label], row.predicted)
                observed.add_metric([tenant_id, label], row.observed)
        if figures.calibration_error is not None:
            error.add_metric([tenant_id], figures.calibration_error)
    yield from (predicted, observed, counts, error)


# Attributes every LogRecord has; the others came in `extra` (action, count, path...).
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class _StructuredFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``, the keys being the record's extras
    (``action`` first), then the trace when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        fields = " ".join(f"{k}={extras[k]}" for k in sorted(extras, key=lambda k: k != "action"))
        if not fields:
            return line
        head, newline, trace = line.partition("\n")
        return f"{head} {fields}{newline}{trace}"


class _ServiceLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler `configure_service_logging` installs, so it is installed once."""


def configure_service_logging(level: int = logging.INFO) -> None:
    """Print the service's own log records (the ``smartpractice`` logger: database or
    broker unavailable, apply failures, sweeps) to stderr, one line each, as `serve` and
    the API factory need: the web server configures only its own loggers. Idempotent."""
    logger = logging.getLogger("smartpractice")
    logger.setLevel(level)
    if any(isinstance(h, _ServiceLogHandler) for h in logger.handlers):
        return
    handler = _ServiceLogHandler()
    handler.setFormatter(_StructuredFormatter())
    logger.addHandler(handler)
    # Records stop here: a root handler someone else installs would print them twice.
    logger.propagate = False


class _ApplyErrorCounter(logging.Handler):
    """Counts the worker's ``apply_failed`` log records."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(level=logging.WARNING)
        self._metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", None) == "apply_failed":
            self._metrics.record_apply_error()


class Metrics:
    """This process's metrics registry and the recent next-question latencies."""

    def __init__(self, *, latency_window: int = 4096) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Histogram(
            "smartpractice_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.next_question = Histogram(
            "smartpractice_next_question_duration_seconds",
            "Latency of GET " + NEXT_QUESTION_ROUTE + " (including its selection log write).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.apply_errors = Counter(
            "smartpractice_apply_errors",
            "Batches the embedded worker failed to apply (they stay pending and are retried).",
            registry=self.registry,
        )
        self.apply_error_count = 0
        """The same count as `apply_errors`, readable by the dashboard."""
        self._recent: deque[float] = deque(maxlen=latency_window)
        self._handler = _ApplyErrorCounter(self)
        self._collector: DatabaseCollector | None = None

    def attach(self, db: Database) -> None:
        """Start reading pipeline figures from `db` and counting worker apply errors."""
        self._collector = DatabaseCollector(db)
        self.registry.register(self._collector)
        logging.getLogger("smartpractice").addHandler(self._handler)

    def detach(self) -> None:
        logging.getLogger("smartpractice").removeHandler(self._handler)
        if self._collector is not None:
            self.registry.unregister(self._collector)
            self._collector = None

    def record_apply_error(self) -> None:
        self.apply_errors.inc()
        self.apply_error_count += 1

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)
        if route == NEXT_QUESTION_ROUTE and status < 500:
            self.next_question.observe(seconds)
            self._recent.append(seconds)

    def next_question_latency(self) -> dict[str, float | int | None]:
        """p50, p95 and p99 (milliseconds) of the recent next-question requests."""
        ordered = sorted(self._recent)
        result: dict[str, float | int | None] = {"count": len(ordered)}
        for q in (50, 95, 99):
            index = min(len(ordered) - 1, max(0, -(-q * len(ordered) // 100) - 1))
            result[f"p{q}_ms"] = ordered[index] * 1000 if ordered else None
        return result

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Measures every HTTP request by its route template (not its path, so that student
    ids do not explode the label set)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(
                scope["method"], route, status, time.perf_counter() - started
            )


def install_metrics(
    app: FastAPI,
    dependencies: Sequence[params.Depends] = (),
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> Metrics:
    """Add the measuring middleware and the ``/metrics`` route; the lifespan attaches the
    database (`Metrics.attach`) once it exists."""
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    def get_metrics(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(
        "/metrics",
        get_metrics,
        methods=["GET"],
        tags=["health"],
        summary="Prometheus metrics: pipeline figures, latencies, calibration",
        response_class=Response,
        dependencies=list(dependencies),
        responses={200: {"content": {"text/plain": {}}}, **(responses or {})},
    )
    return metrics
