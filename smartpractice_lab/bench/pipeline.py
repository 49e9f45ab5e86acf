"""`smartpractice bench pipeline`: the whole path, API process to applied event.

Starts an API process (and, with the celery queue, worker processes) on a scratch
database beside the configured one, then measures
* ingest: attempts per second accepted through batch POSTs of 1,000;
* apply: sustained attempts applied per second, from the database's own timestamps;
* lag: 202-to-applied p50/p99 while attempts arrive at a fixed offered rate;
* pgbench: TPC-B-like transactions per second of the same PostgreSQL, in the same run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, make_url, select

from smartpractice.services.access import Scope, create_key, ensure_tenant
from smartpractice.settings import Settings
from smartpractice.storage.db import DEFAULT_TENANT, Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.worker.celery_app import delete_queue
from smartpractice_lab.bench.service import (
    SyntheticBank,
    build_synthetic_bank,
    percentile,
    random_attempts,
    scratch_database,
)

__all__ = ["bench_pipeline", "pgbench_tps"]

_EXECUTABLE = str(Path(sys.executable).parent / "smartpractice")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _processes(url: str, settings: Settings, *, workers: int) -> Iterator[str]:
    """An API process (and Celery workers) on `url`; yields the API's base URL. The
    bench's broker queue is deleted afterwards, with whatever messages are left in it."""
    queue = f"{settings.celery_queue}-bench-{os.getpid()}"
    env = {
        **os.environ,
        "SMARTPRACTICE_DATABASE_URL": url,
        "SMARTPRACTICE_QUEUE": settings.queue,
        "SMARTPRACTICE_BROKER_URL": settings.broker_url,
        "SMARTPRACTICE_WORKER_BATCH_SIZE": str(settings.worker_batch_size),
        # A queue of its own: on a broker shared with a deployment, the bench's messages
        # must not reach the deployment's workers, nor theirs the bench's.
        "SMARTPRACTICE_CELERY_QUEUE": queue,
        # The bench measures the pipeline, not the per-key limit.
        "SMARTPRACTICE_RATE_LIMIT": "1000000/minute",
    }
    port = _free_port()
    started = [
        subprocess.Popen(
            [_EXECUTABLE, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    if settings.queue == "celery":
        started += [
            subprocess.Popen(
                [_EXECUTABLE, "worker", "--concurrency=1", "--no-beat", "--loglevel=warning"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if settings.queue == "celery":
            try:
                delete_queue(settings.model_copy(update={"celery_queue": queue}))
            except Exception as error:  # the figures stand; only the broker keeps litter
                print(f"warning: could not delete the queue {queue!r}: {error}", file=sys.stderr)


def _wait_applied(db: Database, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            pending = session.scalar(
                select(func.count()).select_from(Event).where(Event.status == "pending")
            )
        if not pending:
            return
        time.sleep(0.1)
    raise RuntimeError(f"events still pending after {timeout} s")


def _post_all(client: httpx.Client, base: str, attempts: list[dict[str, Any]]) -> None:
    for start in range(0, len(attempts), 1000):
        response = client.post(
            f"{base}/v1/attempts", json={"attempts": attempts[start : start + 1000]}
        )
        response.raise_for_status()


def _payloads(count: int, *, prefix: str, items: int) -> list[dict[str, Any]]:
    import random

    attempts = random_attempts(
        random.Random(hash(prefix) & 0xFFFF),
        count=count,
        items=items,
        students=2000,
        start=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return [
        {**a.model_dump(mode="json", exclude_none=True), "event_id": f"{prefix}-{n}"}
        for n, a in enumerate(attempts)
    ]


def pgbench_tps(database_url: str, *, seconds: int = 15, clients: int = 4) -> float | None:
    """pgbench's TPC-B-like tps on the server of `database_url` (scale 10, a scratch
    database); None when pgbench is not installed or the database is not PostgreSQL."""
    url = make_url(database_url)
    binary = shutil.which("pgbench")
    if binary is None or url.get_backend_name() != "postgresql":
        return None
    name = f"smartpractice_pgbench_{os.getpid()}"
    connection = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    connection += ["-U", url.username or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    psql = [*connection, "-d", url.database or "postgres"]
    subprocess.run(["psql", *psql, "-qc", f'CREATE DATABASE "{name}"'], env=env, check=True)
    try:
        subprocess.run(
            [binary, *connection, "-i", "-s", "10", "-q", name],
            env=env,
            check=True,
            capture_output=True,
        )
        run = subprocess.run(
            [binary, *connection, "-c", str(clients), "-j", "2", "-T", str(seconds), name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        subprocess.run(
            ["psql", *psql, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            env=env,
            check=False,
        )
    found = re.search(r"tps = ([0-9.]+)", run.stdout)
    return float(found.group(1)) if found else None


def bench_pipeline(
    settings: Settings,
    *,
    events: int = 20_000,
    workers: int = 2,
    offered_rate: int = 1000,
    lag_seconds: int = 10,
    items: int = 5000,
) -> dict[str, Any]:
    """Ingest, apply and lag figures of a running deployment, plus the pgbench reference."""
    with scratch_database(settings) as url:
        db = Database(url)
        build_synthetic_bank(db, SyntheticBank(items=items))
        with db.transaction() as session:
            ensure_tenant(SqlAccessStore(session), DEFAULT_TENANT)
            key = create_key(
                SqlAccessStore(session), tenant_id=DEFAULT_TENANT, scope=Scope.ingest, name="bench"
            )
        headers = {"Authorization": f"Bearer {key.token}"}
        with (
            _processes(url, settings, workers=workers) as base,
            httpx.Client(timeout=60, headers=headers) as client,
        ):
            backlog = _payloads(events, prefix="load", items=items)
            started = time.perf_counter()
            _post_all(client, base, backlog)
            ingest_seconds = time.perf_counter() - started
            _wait_applied(db, timeout=600)
            with db.transaction() as session:
                first, last = session.execute(
                    select(func.min(Event.applied_at), func.max(Event.applied_at))
                ).one()
            apply_seconds = max((last - first).total_seconds(), 1e-9)
            paced = _payloads(offered_rate * lag_seconds, prefix="lag", items=items)
            step = max(offered_rate // 10, 1)
            tick = time.perf_counter()
            for start in range(0, len(paced), step):
                _post_all(client, base, paced[start : start + step])
                tick += step / offered_rate
                time.sleep(max(0.0, tick - time.perf_counter()))
            _wait_applied(db, timeout=600)
            with db.transaction() as session:
                lags = [
                    (applied - received).total_seconds() * 1000
                    for received, applied in session.execute(
                        select(Event.received_at, Event.applied_at).where(
                            Event.event_id.like("lag-%")
                        )
                    )
                ]
        db.dispose()
    tps = pgbench_tps(settings.database_url)
    applied_per_s = events / apply_seconds
    return {
        "database": make_url(settings.database_url).get_backend_name(),
        "queue": settings.queue,
        "workers": workers if settings.queue == "celery" else 1,
        "events": events,
        "ingest_per_s": round(events / ingest_seconds, 1),
        "applied_per_s": round(applied_per_s, 1),
        "offered_per_s": offered_rate,
        "lag_p50_ms": round(percentile(lags, 50), 1),
        "lag_p99_ms": round(percentile(lags, 99), 1),
        "pgbench_tps": tps,
        "ratio_to_pgbench": round(applied_per_s / tps, 3) if tps else None,
    }
