"""Dashboard latency with many students: every view's p50/p99 in a scratch database.

The history is bulk-inserted (students, per-skill ratings, applied events with their
outcomes, Smart Practice picks): the benchmark measures the pages, and applying a few
hundred thousand events through the worker would only make it slow to run. Every
student practises two topics; topic 0 is practised by every student, so its class view
is the worst case (a cohort of all of them).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, make_url, update
from tqdm import tqdm

from smartpractice.api.app import create_app
from smartpractice.api.observability import Metrics
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Item, ItemSkill, SelectionLog, Student, StudentSkill
from smartpractice_lab.bench.service import (
    SyntheticBank,
    build_synthetic_bank,
    percentile,
    scratch_database,
)

__all__ = ["bench_dashboard", "build_synthetic_history"]

_BANK = SyntheticBank(items=5000, topics=20, skills_per_topic=5)


def _explanation(item_id: str, runner_up: str, rng: random.Random) -> dict[str, Any]:
    def scored(item: str) -> dict[str, Any]:
        components = {k: rng.random() for k in ("elo_match", "thompson", "weak_skill", "recency")}
        return {
            "item_id": item,
            "score": sum(components.values()) / 4,
            "components": components,
            "predicted_success": rng.uniform(0.2, 0.6),
            "thompson_sample": rng.random(),
            "difficulty_gap": rng.uniform(-50, 150),
            "remediation_for": None,
        }

    return {
        **scored(item_id),
        "weights": {"elo_match": 0.4, "thompson": 0.3, "weak_skill": 0.2, "recency": 0.1},
        "target_success": 0.36,
        "reasons": ["synthetic pick for the dashboard benchmark"],
        "runner_up": scored(runner_up),
        "candidates_considered": 40,
        "candidates_gated": 0,
        "candidates_pruned": 0,
        "seed": None,
    }


def build_synthetic_history(
    db: Database,
    topics: list[str],
    *,
    students: int,
    events_per_student: int = 20,
    picks_per_student: int = 3,
    seed: int = 3,
    progress: bool = True,
) -> None:
    """Insert `students` students who each practised topic 0 and one other topic."""
    rng = random.Random(seed)
    bank = _BANK
    per_topic = bank.items // bank.topics
    end = datetime.now(UTC)
    skill_of = {
        t: [f"bench:t{i:02d}:s{j}" for j in range(bank.skills_per_topic)]
        for i, t in enumerate(topics)
    }
    item_skill: dict[str, dict[str, float]] = {}
    with db.transaction() as session:
        for item_id, skill_id, difficulty in session.execute(
            ItemSkill.__table__.select().with_only_columns(
                ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty
            )
        ):
            item_skill.setdefault(item_id, {})[skill_id] = difficulty
    seq = 0
    for start in tqdm(range(0, students, 1000), desc="students", disable=not progress):
        student_rows, rating_rows, event_rows, pick_rows = [], [], [], []
        for n in range(start, min(start + 1000, students)):
            student_id = f"bench-stu-{n:05d}"
            ability = rng.gauss(1200, 150)
            chosen = [0, rng.randrange(1, len(topics))]
            counts: dict[str, list[int]] = {}
            rating = {s: ability + rng.gauss(0, 80) for t in chosen for s in skill_of[topics[t]]}
            for k in range(events_per_student):
                topic_index = chosen[k % 2]
                item_id = f"bench-{topic_index + bank.topics * rng.randrange(per_topic):06d}"
                correct = rng.random() < 0.5
                outcome = {}
                for skill_id, difficulty in item_skill[item_id].items():
                    rating[skill_id] = rating.get(skill_id, ability) + rng.gauss(3, 25)
                    counts.setdefault(skill_id, [0, 0])
                    counts[skill_id][0] += 1
                    counts[skill_id][1] += int(correct)
                    outcome[skill_id] = {
                        "performance": float(correct),
                        "weight": 1.0,
                        "expected": 0.5,
                        "rating": rating[skill_id],
                        "uncertainty": 0.5,
                        "difficulty": difficulty,
                    }
                at = end - timedelta(hours=events_per_student - k, minutes=rng.randrange(60))
                seq += 1
                event_rows.append(
                    {
                        "seq": seq,
                        "event_id": f"bench-ev-{n}-{k}",
                        "kind": "attempt",
                        "student_id": student_id,
                        "partition": 0,
                        "item_id": item_id,
                        "payload": {"score": float(correct), "attempts": 1, "hints_used": 0},
                        "content_hash": "0" * 64,
                        "status": "applied",
                        "received_at": at,
                        "occurred_at": at,
                        "applied_at": at + timedelta(seconds=0.2),
                        "applied_seq": seq,
                        "predicted": rng.uniform(0.2, 0.8),
                        "performance": float(correct),
                        "outcome": {"ability": ability, "skills": outcome},
                    }
                )
            for p in range(picks_per_student):
                item_id = f"bench-{chosen[p % 2] + bank.topics * rng.randrange(per_topic):06d}"
                pick_rows.append(
                    {
                        "student_id": student_id,
                        "item_id": item_id,
                        "scope": {"topic": topics[chosen[p % 2]]},
                        "explanation": _explanation(item_id, "bench-000000", rng),
                        "created_at": end - timedelta(minutes=p),
                    }
                )
            total = sum(c[0] for c in counts.values())
            right = sum(c[1] for c in counts.values())
            student_rows.append(
                {
                    "student_id": student_id,
                    "ability": ability,
                    "attempts": total,
                    "correct": right,
                    "last_at": end - timedelta(minutes=rng.randrange(600)),
                }
            )
            rating_rows += [
                {
                    "student_id": student_id,
                    "skill_id": skill_id,
                    "offset": rating.get(skill_id, ability) - ability,
                    "attempts": c[0],
                    "correct": c[1],
                    "last_at": end - timedelta(hours=1),
                }
                for skill_id, c in counts.items()
            ]
        with db.transaction() as session:
            session.execute(insert(Student), student_rows)
            session.execute(insert(StudentSkill), rating_rows)
            session.execute(insert(Event), event_rows)
            session.execute(insert(SelectionLog), pick_rows)
    with db.transaction() as session:
        # Item counters roughly as the worker would leave them.
        session.execute(update(Item).values(attempts=25, correct=12))
        session.execute(update(ItemSkill).values(attempts=25, correct=12))
    if db.engine.dialect.name == "postgresql":
        # Planner statistics and the visibility map (index-only scans), as autovacuum
        # leaves a table some time after a bulk load. Outside a transaction, or the
        # statistics roll back with it.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def bench_dashboard(
    settings: Settings, *, students: int = 10_000, requests: int = 30, progress: bool = True
) -> dict[str, Any]:
    """Each dashboard view's latency (ms, p50 and p99 over `requests` requests, through the
    app in-process: routing, queries and rendering) with `students` students, and an
    uncached /metrics scrape. Returns a flat table: ``<view>_p50_ms``, ``<view>_p99_ms``."""
    with scratch_database(settings) as url:
        db = Database(url)
        try:
            topics = build_synthetic_bank(db, _BANK)
            build_synthetic_history(db, topics, students=students, progress=progress)
        finally:
            db.dispose()
        scratch = settings.model_copy(update={"database_url": url, "migrate_on_start": False})
        rng = random.Random(5)
        views: dict[str, Callable[[], str]] = {
            "overview": lambda: "/dashboard",
            "student": lambda: f"/dashboard/students/bench-stu-{rng.randrange(students):05d}",
            "class_all_students": lambda: f"/dashboard/class?topic={topics[0]}",
            "class_one_topic": lambda: f"/dashboard/class?topic={topics[1 + rng.randrange(19)]}",
            "items": lambda: "/dashboard/items",
            "item": lambda: f"/dashboard/items/bench-{rng.randrange(_BANK.items):06d}",
            "operations": lambda: "/dashboard/ops",
        }
        timings: dict[str, list[float]] = {name: [] for name in [*views, "metrics_scrape"]}
        app = create_app(scratch, auth=False, notify_worker=lambda *_: None)
        with TestClient(app) as client:
            for name, path in tqdm(views.items(), desc="views", disable=not progress):
                client.get(path())  # warm-up: compiled queries, templates
                for _ in range(requests):
                    started = time.perf_counter()
                    response = client.get(path())
                    timings[name].append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path()} answered {response.status_code}")
            # /metrics reuses a read for a second; time uncached scrapes instead.
            db = Database(url)
            try:
                for _ in range(requests + 1):
                    metrics = Metrics()
                    metrics.attach(db)
                    started = time.perf_counter()
                    metrics.exposition()
                    timings["metrics_scrape"].append((time.perf_counter() - started) * 1000)
                    metrics.detach()
            finally:
                db.dispose()
    result: dict[str, Any] = {
        "students": students,
        "items": _BANK.items,
        "requests_per_view": requests,
        "database": make_url(settings.database_url).get_backend_name(),
    }
    for name, values in timings.items():
        values = values[1:] if name == "metrics_scrape" else values
        result[f"{name}_p50_ms"] = round(percentile(values, 50), 1)
        result[f"{name}_p99_ms"] = round(percentile(values, 99), 1)
    return result
