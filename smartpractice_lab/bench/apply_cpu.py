"""Benchmark: where one worker's time per applied event goes, Python against PostgreSQL.

Stores `--events` random attempts in a scratch database beside the configured PostgreSQL
one, then applies them in batches exactly as a worker does (`apply_pending_events`) and
prints one JSON line: events per second, and per applied event the worker's own CPU time,
the CPU time of its PostgreSQL backend process (read from /proc, so PostgreSQL must run on
this machine) and the WAL bytes written. CPU times, unlike rates, barely move when other
jobs share the machine.

    SMARTPRACTICE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m smartpractice_lab.bench.apply_cpu [--events 20000] [--batch 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice_lab.bench.service import (
    SyntheticBank,
    build_synthetic_bank,
    random_attempts,
    scratch_database,
)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process on this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    with scratch_database(settings) as url:
        db = Database(url)
        build_synthetic_bank(db, SyntheticBank(items=5000))
        attempts = random_attempts(
            random.Random(1),
            count=args.events,
            items=5000,
            students=2000,
            start=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for start in range(0, len(attempts), 1000):
            with db.transaction() as session:
                accept_attempts(
                    SqlEventStore(session), attempts[start : start + 1000], now=datetime.now(UTC)
                )
        with db.transaction() as session:
            backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            wal_before = session.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
        # One pooled connection serves every transaction below, so `backend` is its process.
        backend_before, own_before = _cpu_seconds(backend), time.process_time()
        started = time.perf_counter()
        applied = 0
        while True:
            with db.transaction() as session:
                done = apply_pending_events(
                    SqlEventStore(session),
                    config=settings.model,
                    now=datetime.now(UTC),
                    limit=args.batch,
                )
            applied += done
            if done == 0:
                break
        seconds = time.perf_counter() - started
        own = time.process_time() - own_before
        database = _cpu_seconds(backend) - backend_before
        with db.transaction() as session:
            wal = session.execute(
                text("SELECT pg_current_wal_lsn() - CAST(:before AS pg_lsn)"),
                {"before": wal_before},
            ).scalar_one()
        db.dispose()
    print(
        json.dumps(
            {
                "events": applied,
                "batch": args.batch,
                "applied_per_s": round(applied / seconds, 1),
                "worker_cpu_us_per_event": round(own / applied * 1e6, 1),
                "postgres_cpu_us_per_event": round(database / applied * 1e6, 1),
                "wal_bytes_per_event": round(float(wal) / applied),
            }
        )
    )


if __name__ == "__main__":
    main()
