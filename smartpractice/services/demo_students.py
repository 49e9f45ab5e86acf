"""Simulated students for `serve --demo`: a few classes answer homework and Smart Practice
questions through the real services, so the dashboard shows real data at once.

Each simulated student has a hidden ability per skill and each item a hidden difficulty per
skill (its seed difficulty plus noise); a skill is answered correctly with the Elo
probability ``1 / (1 + 10^((difficulty - ability) / 400))`` and practice raises the
ability a little. Questions are picked by `next_question`, stored by `accept_attempts` and
applied by `apply_pending_events`, exactly as in production (the caller wires them to the
database through `DemoRound`). Built in:

* the grade 11 maths class is weak on one skill (`WEAK_SKILL`);
* two of its students are stuck (`STUCK_STUDENTS`): far below every item, no learning;
* one item is mislabelled (`MISLABELLED_ITEM`: labelled Easy, really hard).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from smartpractice.services.ports import DemoItemSkill, Scope
from smartpractice.services.schemas import AttemptIn

__all__ = [
    "DEMO_CLASSES",
    "MISLABELLED_ITEM",
    "STUCK_STUDENTS",
    "WEAK_SKILL",
    "DemoClass",
    "DemoRound",
    "DemoSummary",
    "OpenRound",
    "set_up_demo",
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


class DemoRound(Protocol):
    """One transaction of the demo: the production use cases, wired to the database by the
    caller (`smartpractice.api.demo`). The port lives beside its use case, not in
    `ports`, because it carries an input record (`AttemptIn`)."""

    def load_sample_bank(self) -> bool:
        """Import the sample bank into an empty catalogue; False if items already exist."""
        ...

    def has_students(self) -> bool: ...

    def item_skills(self) -> list[DemoItemSkill]:
        """Every item's skills, by item then skill."""
        ...

    def next_item(self, student_id: str, scope: Scope, *, now: datetime, seed: int) -> str:
        """Smart Practice's next question (item id) for the student in `scope`."""
        ...

    def accept(self, attempt: AttemptIn, *, now: datetime) -> None:
        """Store an attempt as pending, as the API does."""
        ...

    def apply_pending(self, *, now: datetime, limit: int) -> None:
        """Apply up to `limit` pending events, as a worker does."""
        ...

    def set_apply_delays(self, delays: Mapping[str, timedelta]) -> None:
        """Record each event of `delays` as applied that long after it arrived."""
        ...


OpenRound = Callable[[], AbstractContextManager[DemoRound]]
"""Opens one transaction of the demo (committed when the block ends)."""


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
    rows: list[DemoItemSkill], rng: np.random.Generator
) -> tuple[dict[str, list[str]], dict[str, dict[str, float]], dict[str, float | None]]:
    topics = [group.topic for group in DEMO_CLASSES]
    items_of: dict[str, list[str]] = {}
    truth: dict[str, dict[str, float]] = {}
    expected: dict[str, float | None] = {}
    for row in rows:
        topic, item_id, skill_id = row.topic, row.item_id, row.skill_id
        initial, expected_time = row.initial_difficulty, row.expected_time_seconds
        if item_id not in truth and topic in topics:
            items_of.setdefault(topic, []).append(item_id)
        shift = 450.0 if item_id == MISLABELLED_ITEM else rng.normal(0.0, 60.0)
        truth.setdefault(item_id, {})[skill_id] = initial + shift
        expected[item_id] = expected_time
    return items_of, truth, expected


def simulate_demo_students(
    open_round: OpenRound,
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
    with open_round() as demo:
        if demo.has_students():
            return DemoSummary(students=0, events=0, seconds=0.0)
        items_of, truth, expected = _catalogue(demo.item_skills(), rng)
    skills_of = {
        topic: sorted({s for i in ids for s in truth[i]}) for topic, ids in items_of.items()
    }
    learners = _learners(rng, skills_of)
    start = end - timedelta(days=questions + 3)
    events = 0
    rounds: list[str] = ["homework"] * _HOMEWORK + ["smart_practice"] * questions
    for number, mode in enumerate(rounds):
        day = start + timedelta(days=number * (questions + 3) / len(rounds))
        round_ids = [f"{learner.student_id}-{number:03d}" for learner in learners]
        with open_round() as demo:
            for learner in learners:
                at = day + timedelta(minutes=float(rng.uniform(0, 600)))
                if mode == "homework":
                    item_id = items_of[learner.scope.topic or ""][number]
                else:
                    item_id = demo.next_item(
                        learner.student_id, learner.scope, now=at, seed=int(rng.integers(2**31))
                    )
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
                demo.accept(attempt, now=at)
                events += 1
            demo.apply_pending(now=day, limit=len(learners))
            # A round is applied at once; record each event as applied a moment after it
            # arrived, as the worker would have, so the operations view shows sane delays.
            # Drawn in event id order, so that a seed keeps giving the same demo.
            demo.set_apply_delays(
                {
                    event_id: timedelta(seconds=float(rng.uniform(0.05, 0.6)))
                    for event_id in sorted(round_ids)
                }
            )
    seconds = time.perf_counter() - started
    log.info(
        "demo students simulated",
        extra={"action": "demo_students", "students": len(learners), "events": events},
    )
    return DemoSummary(students=len(learners), events=events, seconds=seconds)


def set_up_demo(open_round: OpenRound) -> DemoSummary | None:
    """Load the sample bank into an empty catalogue and, when it was loaded, simulate the
    demo classes (so that the dashboard shows real data at once); None when the catalogue
    already had items."""
    with open_round() as demo:
        loaded = demo.load_sample_bank()
    if not loaded:
        return None
    log.info("sample bank loaded", extra={"action": "demo_load"})
    return simulate_demo_students(open_round)
