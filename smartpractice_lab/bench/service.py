"""Sizing benchmarks users run with `smartpractice bench` (figures, not pass/fail tests)."""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, make_url
from tqdm import tqdm

from smartpractice.services.events import accept_attempts
from smartpractice.services.practice import Scope, next_question
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.models import Item, ItemSkill, Skill, SkillPrerequisite
from smartpractice.storage.sql_catalog import ScopeSkillsCache
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.storage.sql_practice import SqlPickLog
from smartpractice.worker.embedded import drain_pending

__all__ = [
    "SyntheticBank",
    "bench_apply",
    "bench_select",
    "build_synthetic_bank",
    "percentile",
    "random_attempts",
    "scratch_database",
]


@dataclass(frozen=True, slots=True)
class SyntheticBank:
    """Shape of a generated bank: `topics` topics of `skills_per_topic` skills each."""

    items: int
    topics: int = 20
    skills_per_topic: int = 5


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def build_synthetic_bank(db: Database, bank: SyntheticBank, *, seed: int = 7) -> list[str]:
    """Insert a random bank (1-2 skills per item, difficulties 800-1600); returns topics."""
    rng = random.Random(seed)
    topics = [f"Topic {t:02d}" for t in range(bank.topics)]
    skills = {
        t: [f"bench:t{i:02d}:s{j}" for j in range(bank.skills_per_topic)]
        for i, t in enumerate(topics)
    }
    with db.transaction() as session:
        session.execute(
            insert(Skill),
            [
                {"skill_id": s, "name": s, "description": ""}
                for group in skills.values()
                for s in group
            ],
        )
        session.execute(
            insert(SkillPrerequisite),
            [
                {"skill_id": group[j], "prerequisite_id": group[j - 1]}
                for group in skills.values()
                for j in range(1, len(group))
            ],
        )
        item_rows, skill_rows = [], []
        for n in range(bank.items):
            topic = topics[n % len(topics)]
            chosen = rng.sample(skills[topic], k=1 if rng.random() < 0.7 else 2)
            item_id = f"bench-{n:06d}"
            item_rows.append(
                {
                    "item_id": item_id,
                    "source": "ncert_exercise",
                    "subject": f"Subject {n % 3}",
                    "chapter": f"Chapter {topic}",
                    "topic": topic,
                    "grade": 10,
                    "expected_time_seconds": 120.0,
                    "attempts": 0,
                    "correct": 0,
                }
            )
            for skill_id in chosen:
                difficulty = rng.uniform(800, 1600)
                skill_rows.append(
                    {
                        "item_id": item_id,
                        "skill_id": skill_id,
                        "initial_difficulty": difficulty,
                        "difficulty": difficulty,
                        "attempts": 0,
                        "correct": 0,
                    }
                )
        for start in range(0, len(item_rows), 20_000):
            session.execute(insert(Item), item_rows[start : start + 20_000])
        for start in range(0, len(skill_rows), 20_000):
            session.execute(insert(ItemSkill), skill_rows[start : start + 20_000])
    if db.engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum would gather after a real bulk import.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    return topics


def random_attempts(
    rng: random.Random, *, count: int, items: int, students: int, start: datetime
) -> list[AttemptIn]:
    return [
        AttemptIn(
            event_id=f"bench-ev-{n}",
            student_id=f"bench-stu-{rng.randrange(students)}",
            item_id=f"bench-{rng.randrange(items):06d}",
            score=rng.choice([0.0, 1.0, 1.0, 0.5]),
            occurred_at=start + timedelta(seconds=n),
            time_spent_seconds=rng.uniform(20, 400),
            hints_used=rng.randrange(2),
        )
        for n in range(count)
    ]


@contextmanager
def scratch_database(settings: Settings) -> Iterator[str]:
    """A new, empty, migrated database beside the configured one (a temporary SQLite file,
    or a temporary database on the same PostgreSQL server), dropped afterwards: benchmarks
    never write into real data."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as workdir:
            scratch = f"sqlite:///{Path(workdir) / 'bench.db'}"
            upgrade_schema(scratch)
            yield scratch
        return
    name = f"smartpractice_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    scratch = url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_schema(scratch)
        yield scratch
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench_select(
    settings: Settings, *, items: int, requests: int, history: int = 2000, progress: bool = True
) -> dict[str, Any]:
    """Next-question latency on an `items`-item bank (service call, including its log write).
    With `progress`, says on stderr what it builds before the timed part's bar."""
    with scratch_database(settings) as url:
        if progress:
            print(
                f"building a scratch database: {items:,} generated items, {history:,} applied "
                f"attempts of 50 students (no bar; about 25 s per 100,000 items), then "
                f"timing {requests:,} next-question calls",
                file=sys.stderr,
                flush=True,
            )
        db = Database(url)
        try:
            topics = build_synthetic_bank(db, SyntheticBank(items=items))
            rng = random.Random(11)
            attempts = random_attempts(
                rng, count=history, items=items, students=50, start=datetime(2026, 1, 1, tzinfo=UTC)
            )
            with db.transaction() as session:
                accept_attempts(SqlEventStore(session), attempts, now=datetime.now(UTC))
            drain_pending(db, settings.model_copy(update={"worker_batch_size": 500}))
            timings: list[float] = []
            cache = ScopeSkillsCache(settings.scope_cache_seconds)
            for n in tqdm(range(requests), desc="next-question", disable=not progress):
                scope = Scope(topic=topics[n % len(topics)])
                started = time.perf_counter()
                with db.transaction() as session:
                    next_question(
                        SqlPickLog(session, cache),
                        f"bench-stu-{n % 50}",
                        scope,
                        config=settings.model,
                        now=datetime.now(UTC),
                        seed=n,
                    )
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            db.dispose()
    return {
        "items": items,
        "requests": requests,
        "scope": "topic",
        "items_per_scope": items // len(topics),
        "p50_ms": round(percentile(timings, 50), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "database": make_url(settings.database_url).get_backend_name(),
    }


def bench_apply(
    settings: Settings,
    *,
    events: int,
    items: int = 5000,
    students: int = 500,
    progress: bool = True,
) -> dict[str, Any]:
    """Attempts stored per second (service call) and applied per second by one worker."""
    with scratch_database(settings) as url:
        db = Database(url)
        try:
            build_synthetic_bank(db, SyntheticBank(items=items))
            attempts = random_attempts(
                random.Random(5),
                count=events,
                items=items,
                students=students,
                start=datetime(2026, 1, 1, tzinfo=UTC),
            )
            started = time.perf_counter()
            for start in tqdm(range(0, events, 1000), desc="ingest", disable=not progress):
                with db.transaction() as session:
                    accept_attempts(
                        SqlEventStore(session),
                        attempts[start : start + 1000],
                        now=datetime.now(UTC),
                    )
            ingest_seconds = time.perf_counter() - started
            started = time.perf_counter()
            applied = drain_pending(db, settings)
            apply_seconds = time.perf_counter() - started
        finally:
            db.dispose()
    return {
        "events": applied,
        "ingest_per_s": round(events / ingest_seconds, 1),
        "applied_per_s": round(applied / apply_seconds, 1),
        "worker_batch_size": settings.worker_batch_size,
        "database": make_url(settings.database_url).get_backend_name(),
    }
