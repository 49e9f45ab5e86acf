"""`smartpractice bench faults`: the service under load while things go wrong.

Starts servers of its own (a throwaway PostgreSQL cluster, a Redis broker and a Redis
rate-limit store, never the shared ones), one API process and two Celery workers, with
two tenants: ``alpha`` posts single attempts (the tenant whose delay is watched) and
``beta`` posts batches. Each scenario runs that load for a while, applies its fault, lifts
it, waits for every accepted event to be applied, and reports per scenario:

* posted, accepted (events answered 202), applied, lost (accepted but never applied),
  applied_twice (item answer counts beyond the applied events), http_5xx;
* other_tenant_delay_p99_s: received-to-applied p99 of alpha's events posted during the
  fault;
* throughput_ratio: events applied per second during the fault over the rate before it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from smartpractice.services.access import Scope, create_key, ensure_tenant
from smartpractice.services.sample_bank import load_sample_bank, read_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage.bulk import is_one_of
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.models import Event, Item
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice_lab.bench.service import percentile
from smartpractice_lab.throwaway import Server, free_port, throwaway_postgres, throwaway_redis

__all__ = ["SCENARIOS", "bench_faults"]

SCENARIOS = (
    "bad_input",
    "duplicate_batches",
    "broker_hung",
    "worker_stall",
    "tenant_flood",
    "chat_wait",
    "rate_limit_store_down",
)
"""In the order they run (the rate-limit store does not come back after the last)."""

_EXECUTABLE = str(Path(sys.executable).parent / "smartpractice")
_TENANTS = ("alpha", "beta")


@dataclass
class _Stats:
    posted: int = 0
    accepted: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in _TENANTS})
    http_5xx: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, tenant: str, ids: list[str], status: int) -> None:
        with self.lock:
            self.posted += len(ids)
            if status >= 500:
                self.http_5xx += 1
            if status == 202:
                self.accepted[tenant].update(ids)


@dataclass
class _Cluster:
    root: Database
    base: str
    headers: dict[str, dict[str, str]]
    items: list[str]
    broker: Server
    limits: Server
    workers: list[subprocess.Popen[bytes]]


def _attempt(event_id: str, student: str, item: str, **extra: Any) -> dict[str, Any]:
    score = random.random()
    return {"event_id": event_id, "student_id": student, "item_id": item, "score": score, **extra}


class _Poster:
    """A thread posting one kind of body at a fixed pace until stopped."""

    def __init__(
        self,
        cluster: _Cluster,
        stats: _Stats,
        tenant: str,
        make: Callable[[int], tuple[Any, list[str]]],
        *,
        every: float,
    ) -> None:
        self._cluster, self._stats, self._tenant = cluster, stats, tenant
        self._make, self._every = make, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> _Poster:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        headers = self._cluster.headers[self._tenant]
        n = 0
        with httpx.Client(base_url=self._cluster.base, timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                body, ids = self._make(n)
                n += 1
                try:
                    if isinstance(body, bytes):
                        answer = client.post(
                            "/v1/attempts",
                            content=body,
                            headers={**headers, "content-type": "application/json"},
                        )
                    else:
                        answer = client.post("/v1/attempts", json=body, headers=headers)
                    self._stats.record(self._tenant, ids, answer.status_code)
                except httpx.HTTPError:
                    # No answer is not an accepted event; the client would retry it.
                    self._stats.record(self._tenant, ids, 599)
                self._stop.wait(max(0.0, self._every - (time.monotonic() - started)))


def _singles(cluster: _Cluster, prefix: str) -> Callable[[int], tuple[Any, list[str]]]:
    def make(n: int) -> tuple[Any, list[str]]:
        eid = f"{prefix}-{n}"
        item = random.choice(cluster.items)
        return _attempt(eid, f"a{random.randrange(200)}", item), [eid]

    return make


def _batches(
    cluster: _Cluster, prefix: str, size: int, **extra: Any
) -> Callable[[int], tuple[Any, list[str]]]:
    def make(n: int) -> tuple[Any, list[str]]:
        ids = [f"{prefix}-{n}-{k}" for k in range(size)]
        chat = extra.get("chat")
        body = [
            _attempt(
                eid,
                f"w-{eid}" if chat else f"b{random.randrange(2000)}",
                random.choice(cluster.items),
                **({"tutor_session_id": f"never-{eid}"} if chat else {}),
            )
            for eid in ids
        ]
        return {"attempts": body}, ids

    return make


def _bad_bodies(cluster: _Cluster) -> Callable[[int], tuple[Any, list[str]]]:
    item = cluster.items[0]
    good = json.dumps(_attempt("bad", "s", item))
    bodies: list[Any] = [
        good.replace('"score": ', '"score": NaN, "x": ').encode(),
        good.replace('"score": ', '"score": Infinity, "x": ').encode(),
        good.replace('"score": ', '"score": 1e309, "x": ').encode(),
        {**_attempt("bad", "s", item), "score": True},
        {**_attempt("bad", "s", item), "score": "0.5"},
        {**_attempt("bad", "..", item)},
        {**_attempt("bad", "s", item), "occurred_at": "9999-12-31T00:00:00Z"},
        good.encode("utf-16"),
    ]

    def make(n: int) -> tuple[Any, list[str]]:
        return bodies[n % len(bodies)], []

    return make


def _fault(cluster: _Cluster, stats: _Stats, name: str) -> tuple[Callable[[], None], ...]:
    """(start, stop) of the scenario's fault."""
    extra: list[_Poster] = []

    def start_posters(*posters: _Poster) -> None:
        extra.extend(p.start() for p in posters)

    def stop_posters() -> None:
        for poster in extra:
            poster.stop()

    stalled = cluster.workers[0].pid
    if name == "bad_input":
        return (
            lambda: start_posters(
                _Poster(cluster, stats, "alpha", _bad_bodies(cluster), every=0.1)
            ),
            stop_posters,
        )
    if name == "duplicate_batches":
        shared = [f"dup-{n}" for n in range(400)]

        def overlapping(k: int) -> Callable[[int], tuple[Any, list[str]]]:
            def make(n: int) -> tuple[Any, list[str]]:
                start = (n * 37 + k * 53) % 350
                ids = shared[start : start + 50][:: 1 if k % 2 else -1]
                # The same event id always carries the same content: duplicates, not 409s.
                body = [
                    {
                        "event_id": eid,
                        "student_id": f"d{int(eid[4:]) % 97}",
                        "item_id": cluster.items[int(eid[4:]) % len(cluster.items)],
                        "score": 1.0,
                    }
                    for eid in ids
                ]
                return {"attempts": body}, ids

            return make

        return (
            lambda: start_posters(
                *(_Poster(cluster, stats, "beta", overlapping(k), every=0.3) for k in range(6))
            ),
            stop_posters,
        )
    if name == "broker_hung":
        return cluster.broker.freeze, cluster.broker.thaw
    if name == "worker_stall":
        return (
            lambda: os.killpg(stalled, signal.SIGSTOP),
            lambda: os.killpg(stalled, signal.SIGCONT),
        )
    if name == "tenant_flood":
        flood = _batches(cluster, "flood", 200)
        return (
            lambda: start_posters(_Poster(cluster, stats, "beta", flood, every=0.25)),
            stop_posters,
        )
    if name == "chat_wait":
        waiting = _batches(cluster, "chat", 50, chat=True)
        return (
            lambda: start_posters(_Poster(cluster, stats, "beta", waiting, every=0.25)),
            stop_posters,
        )
    if name == "rate_limit_store_down":
        return cluster.limits.kill, lambda: None
    raise ValueError(f"unknown scenario {name!r}")


def _double_counts(cluster: _Cluster) -> int:
    """Item answer counts beyond the applied attempts, over both tenants (0 unless an
    event was applied twice)."""
    extra = 0
    for tenant in _TENANTS:
        with cluster.root.for_tenant(tenant).transaction() as session:
            counted = session.scalar(select(func.coalesce(func.sum(Item.attempts), 0))) or 0
            applied = session.scalar(
                select(func.count()).select_from(Event).where(Event.status == "applied")
            )
        extra += int(counted) - int(applied or 0)
    return extra


def _statuses(cluster: _Cluster, tenant: str, ids: set[str]) -> list[tuple[Any, ...]]:
    with cluster.root.for_tenant(tenant).transaction() as session:
        return list(
            session.execute(
                select(Event.event_id, Event.status, Event.received_at, Event.applied_at).where(
                    is_one_of(Event.event_id, ids, dialect="postgresql")
                )
            ).tuples()
        )


def _applied_between(cluster: _Cluster, start: datetime, end: datetime) -> int:
    total = 0
    for tenant in _TENANTS:
        with cluster.root.for_tenant(tenant).transaction() as session:
            total += int(
                session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.applied_at >= start, Event.applied_at < end)
                )
                or 0
            )
    return total


def _run_scenario(cluster: _Cluster, name: str, *, pre: float, fault: float) -> dict[str, Any]:
    stats = _Stats()
    twice_before = _double_counts(cluster)
    base = [
        _Poster(cluster, stats, "alpha", _singles(cluster, f"{name}-a"), every=0.2).start(),
        _Poster(cluster, stats, "beta", _batches(cluster, f"{name}-b", 50), every=0.25).start(),
    ]
    start_fault, stop_fault = _fault(cluster, stats, name)
    time.sleep(pre)
    fault_from = datetime.now(UTC)
    start_fault()
    time.sleep(fault)
    fault_to = datetime.now(UTC)
    stop_fault()
    time.sleep(1.0)
    for poster in base:
        poster.stop()
    # Every accepted event must be applied; give the backlog time to drain.
    deadline = time.monotonic() + 120
    while True:
        rows = {t: _statuses(cluster, t, ids) for t, ids in stats.accepted.items() if ids}
        pending = sum(1 for found in rows.values() for r in found if r[1] == "pending")
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    applied = sum(1 for found in rows.values() for r in found if r[1] == "applied")
    accepted = sum(len(ids) for ids in stats.accepted.values())
    delays = [
        (applied_at - received_at).total_seconds()
        for _, status, received_at, applied_at in rows.get("alpha", [])
        if status == "applied" and fault_from <= received_at < fault_to
    ]
    before = _applied_between(cluster, fault_from - (fault_to - fault_from), fault_from)
    during = _applied_between(cluster, fault_from, fault_to)
    return {
        "posted": stats.posted,
        "accepted": accepted,
        "applied": applied,
        "lost": accepted - applied,
        "applied_twice": _double_counts(cluster) - twice_before,
        "http_5xx": stats.http_5xx,
        "other_tenant_delay_p99_s": round(percentile(delays, 99), 3) if len(delays) > 1 else None,
        "throughput_ratio": round(during / before, 2) if before else None,
    }


def _prepare(url: str) -> tuple[Database, dict[str, dict[str, str]], list[str]]:
    upgrade_schema(url)
    root = Database(url)
    headers: dict[str, dict[str, str]] = {}
    for tenant in _TENANTS:
        with root.transaction() as session:
            ensure_tenant(SqlAccessStore(session), tenant)
        upgrade_schema(url, tenant)
        with root.for_tenant(tenant).transaction() as session:
            load_sample_bank(SqlCatalogStore(session), elo=Settings().model.elo)
        with root.transaction() as session:
            token = create_key(
                SqlAccessStore(session), tenant_id=tenant, scope=Scope.ingest, name="bench"
            ).token
        headers[tenant] = {"Authorization": f"Bearer {token}"}
    items = [item.item_id for item in read_sample_bank()[1]]
    return root, headers, items


@contextmanager
def _processes(env: dict[str, str]) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    port = free_port()
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    api = subprocess.Popen([_EXECUTABLE, "serve", "--port", str(port)], env=env, **quiet)
    worker = [_EXECUTABLE, "worker", "--concurrency=1", "--loglevel=warning"]
    # Each worker in a process group of its own, so that a stall freezes its pool too;
    # the second runs the sweep (beat), so that the sweep outlives the first one's stall.
    workers = [
        subprocess.Popen([*worker, "--no-beat"], env=env, start_new_session=True, **quiet),
        subprocess.Popen([*worker, "--beat"], env=env, start_new_session=True, **quiet),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or api.poll() is not None:
                raise RuntimeError("the API did not start")
            time.sleep(0.2)
        yield base, workers
    finally:
        for process in (api, *workers):
            if process in workers:
                os.killpg(process.pid, signal.SIGCONT)
            process.terminate()
        for process in (api, *workers):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def bench_faults(
    *,
    scenarios: tuple[str, ...] = SCENARIOS,
    pre_seconds: float = 5.0,
    fault_seconds: float = 10.0,
    progress: bool = False,
) -> dict[str, Any]:
    """Run `scenarios` (in `SCENARIOS` order) on servers of the bench's own; returns
    ``{"scenarios": {name: figures}}`` (see the module's docstring)."""
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        postgres = stack.enter_context(throwaway_postgres())
        broker = stack.enter_context(throwaway_redis())
        limits = stack.enter_context(throwaway_redis())
        root, headers, items = _prepare(postgres.url)
        stack.callback(root.dispose)
        env = {
            **os.environ,
            "SMARTPRACTICE_DATABASE_URL": postgres.url,
            "SMARTPRACTICE_QUEUE": "celery",
            "SMARTPRACTICE_BROKER_URL": broker.url,
            "SMARTPRACTICE_CELERY_QUEUE": "sp-bench-faults",
            "SMARTPRACTICE_RATE_LIMIT_URL": limits.url,
            "SMARTPRACTICE_TUTOR_BACKEND": "lexical",
            "SMARTPRACTICE_TRANSCRIPT_WAIT_SECONDS": "5",
            "SMARTPRACTICE_SWEEP_SECONDS": "2",
        }
        base, workers = stack.enter_context(_processes(env))
        cluster = _Cluster(root, base, headers, items, broker, limits, workers)
        for name in SCENARIOS:
            if name not in scenarios:
                continue
            if progress:
                print(f"scenario {name} ...", file=sys.stderr, flush=True)
            results[name] = _run_scenario(cluster, name, pre=pre_seconds, fault=fault_seconds)
    return {"scenarios": results}
