"""Simulated students for `serve --demo`: a few classes answer homework and Smart Practice
questions through the real services, so the dashboard shows real data at once.

Each simulated student has a hidden ability per skill and each item a hidden difficulty per
skill (its seed difficulty plus noise); a skill is answered correctly with the Elo
probability ``1 / (1 + 10^((difficulty - ability) / 400))`` and practice raises the
ability a little. Questions are picked by `next_question`, stored by `accept_attempts` and
applied by `apply_pending_events`, exactly as in production. Built in:

* the grade 11 maths class is weak on one skill (`WEAK_SKILL`);
* two of its students are stuck (`STUCK_STUDENTS`): far below every item, no learning;
* one item is mislabelled (`MISLABELLED_ITEM`: labelled Easy, really hard).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.practice import Scope, next_question
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Item, ItemSkill, Student
from smartpractice.storage.sql_catalog import ScopeSkillsCache
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.storage.sql_practice import SqlPickLog

__all__ = [
    "DEMO_CLASSES",
    "MISLABELLED_ITEM",
    "STUCK_STUDENTS",
    "WEAK_SKILL",
    "DemoClass",
    "DemoSummary",
    "simulate_demo_students",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoClass:
    """A class practising one topic: student ids are `prefix` plus a two-digit number."""

    prefix: str
    topic: str
    students: int
    mean_ability: float
    """Mean hidden ability (Elo points)."""


DEMO_CLASSES = (
    DemoClass("demo-8a-", "Solving linear equations", 10, 1150.0),
    DemoClass("demo-11m-", "Derivatives", 12, 1250.0),
    DemoClass("demo-11p-", "Newton's second law, friction and momentum", 10, 1200.0),
)
WEAK_SKILL = "math:calculus:derivatives:product_quotient"
"""The skill the grade 11 maths class is weak on (hidden ability 300 points lower)."""
STUCK_STUDENTS = ("demo-11m-03", "demo-11m-09")
MISLABELLED_ITEM = "ncert-ex-11-12.2-1"
"""Labelled Easy, but 450 points harder than its seed for every simulated student."""
_HOMEWORK = 10
"""Each class first answers its topic's first items in textbook order."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    students: int
    events: int
    seconds: float


@dataclass
class _Learner:
    student_id: str
    scope: Scope
    ability: dict[str, float]
    learning: float
    """Elo points gained on a skill per attempt (doubled on success)."""


def _learners(rng: np.random.Generator, skills_of: dict[str, list[str]]) -> list[_Learner]:
    learners = []
    for group in DEMO_CLASSES:
        skills = sorted({s for s in skills_of[group.topic]})
        for n in range(1, group.students + 1):
            student_id = f"{group.prefix}{n:02d}"
            stuck = student_id in STUCK_STUDENTS
            base = 650.0 if stuck else group.mean_ability + rng.normal(0.0, 80.0)
            ability = {s: base + rng.normal(0.0, 60.0) for s in skills}
            if WEAK_SKILL in ability and not stuck:
                ability[WEAK_SKILL] -= 300.0
            learners.append(
                _Learner(student_id, Scope(topic=group.topic), ability, 0.0 if stuck else 5.0)
            )
    return learners


def _answer(
    rng: np.random.Generator,
    learner: _Learner,
    item_id: str,
    difficulties: dict[str, float],
    expected_time: float | None,
    *,
    event_id: str,
    at: datetime,
    mode: str,
) -> AttemptIn:
    outcomes = {}
    for skill_id, difficulty in difficulties.items():
        ability = learner.ability.get(skill_id, np.mean(list(learner.ability.values())))
        p = 1.0 / (1.0 + 10.0 ** ((difficulty - ability) / 400.0))
        outcomes[skill_id] = float(rng.random() < p)
        if skill_id in learner.ability:
            learner.ability[skill_id] += learner.learning * (1.0 + outcomes[skill_id])
    score = sum(outcomes.values()) / len(outcomes)
    failed = score < 0.5
    base_time = expected_time or 120.0
    return AttemptIn(
        event_id=event_id,
        student_id=learner.student_id,
        item_id=item_id,
        occurred_at=at,
        score=score,
        skill_scores=outcomes if len(outcomes) > 1 else {},
        attempts=int(1 + (rng.random() < 0.5 if failed else 0)),
        time_spent_seconds=round(base_time * float(rng.lognormal(0.0, 0.35)) * (1.4**failed)),
        hints_used=int(failed and rng.random() < 0.4),
        solution_viewed=bool(failed and rng.random() < 0.15),
        confidence=int(rng.integers(4, 6) if not failed else rng.integers(1, 5)),
        mode=mode,
    )


def _catalogue(
    session: Session, rng: np.random.Generator
) -> tuple[dict[str, list[str]], dict[str, dict[str, float]], dict[str, float | None]]:
    topics = [group.topic for group in DEMO_CLASSES]
    items_of: dict[str, list[str]] = {}
    truth: dict[str, dict[str, float]] = {}
    expected: dict[str, float | None] = {}
    rows = session.execute(
        select(Item.topic, Item.item_id, Item.expected_time_seconds, ItemSkill.skill_id)
        .add_columns(ItemSkill.initial_difficulty)
        .join(ItemSkill, ItemSkill.item_id == Item.item_id)
        .order_by(Item.item_id, ItemSkill.skill_id)
    )
    for topic, item_id, expected_time, skill_id, initial in rows:
        if item_id not in truth and topic in topics:
            items_of.setdefault(topic, []).append(item_id)
        shift = 450.0 if item_id == MISLABELLED_ITEM else rng.normal(0.0, 60.0)
        truth.setdefault(item_id, {})[skill_id] = initial + shift
        expected[item_id] = expected_time
    return items_of, truth, expected


def simulate_demo_students(
    db: Database,
    settings: Settings,
    *,
    questions: int = 10,
    seed: int = 2026,
    now: datetime | None = None,
) -> DemoSummary:
    """Homework, then `questions` Smart Practice questions per student, ending at `now`.

    Does nothing (and returns zeros) when the database already has students.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    end = now or datetime.now(UTC)
    config = settings.model
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Student)):
            return DemoSummary(students=0, events=0, seconds=0.0)
        items_of, truth, expected = _catalogue(session, rng)
    skills_of = {
        topic: sorted({s for i in ids for s in truth[i]}) for topic, ids in items_of.items()
    }
    learners = _learners(rng, skills_of)
    cache = ScopeSkillsCache(settings.scope_cache_seconds)
    start = end - timedelta(days=questions + 3)
    events = 0
    rounds: list[str] = ["homework"] * _HOMEWORK + ["smart_practice"] * questions
    for number, mode in enumerate(rounds):
        day = start + timedelta(days=number * (questions + 3) / len(rounds))
        round_ids = [f"{learner.student_id}-{number:03d}" for learner in learners]
        with db.transaction() as session:
            for learner in learners:
                at = day + timedelta(minutes=float(rng.uniform(0, 600)))
                if mode == "homework":
                    item_id = items_of[learner.scope.topic or ""][number]
                else:
                    picked = next_question(
                        SqlPickLog(session, cache),
                        learner.student_id,
                        learner.scope,
                        config=config,
                        now=at,
                        seed=int(rng.integers(2**31)),
                    )
                    item_id = picked.item.item_id
                attempt = _answer(
                    rng,
                    learner,
                    item_id,
                    truth[item_id],
                    expected[item_id],
                    event_id=f"{learner.student_id}-{number:03d}",
                    at=at,
                    mode=mode,
                )
                accept_attempts(
                    SqlEventStore(session), [attempt], now=at, partitions=settings.partitions
                )
                events += 1
            apply_pending_events(
                SqlEventStore(session), config=config, now=day, limit=len(learners)
            )
            # A round is applied at once; record each event as applied a moment after it
            # arrived, as the worker would have, so the operations view shows sane delays.
            for event in session.scalars(select(Event).where(Event.event_id.in_(round_ids))):
                delay = timedelta(seconds=float(rng.uniform(0.05, 0.6)))
                event.applied_at = event.received_at + delay
    seconds = time.perf_counter() - started
    log.info(
        "demo students simulated",
        extra={"action": "demo_students", "students": len(learners), "events": events},
    )
    return DemoSummary(students=len(learners), events=events, seconds=seconds)
