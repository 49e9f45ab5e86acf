"""Run synthetic students through a policy, on the service's own rating and selection code.

Students practise in cohorts: the students of a cohort answer side by side (question 1 for
everyone, then question 2, ...) on one service state, so their answers calibrate the items
for each other, as in a class. Cohorts are independent and every random stream is seeded by
(run seed, student index, purpose), so the results do not depend on the number of worker
processes, and every policy meets the same students (same starting levels, learning rates,
session gaps and answer draws).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.profile import skill_proficiency
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import Scope
from smartpractice.services.schemas import StoredAttempt
from smartpractice_lab.simulation.bank import SimBank, Topic
from smartpractice_lab.simulation.bkt import BktLearner
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from smartpractice_lab.simulation.compensatory import CompensatoryLearner
from smartpractice_lab.simulation.config import START, LearnerConfig, SimulationConfig
from smartpractice_lab.simulation.family import SimLearner
from smartpractice_lab.simulation.family_config import (
    BktConfig,
    CompensatoryConfig,
    FamilyParams,
    GatedConfig,
)
from smartpractice_lab.simulation.gated import GatedLearner
from smartpractice_lab.simulation.learner import Learner
from smartpractice_lab.simulation.policies import Policy, PolicyContext, make_policy

__all__ = [
    "BORED_CHANCE",
    "CHANCE_BINS",
    "SUCCESS_BAND",
    "CohortResult",
    "World",
    "make_learner",
    "run_cohort",
    "run_policies",
]

SUCCESS_BAND = (0.6, 0.85)
"""A question is in the band when the learner's true chance of success is in it."""
BORED_CHANCE = 0.85
"""A success counts as easy when the true chance was at least this."""
FRUSTRATION_STREAK = 3
BOREDOM_STREAK = 5
CHANCE_BINS = 20
"""Bins of the true-chance histogram (0-1)."""
PAUSE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class World:
    """Everything a run needs; picklable, so worker processes get it once.

    Attributes:
        learner: The shared learner parameters (sessions, time, memory of a recent item),
            and the whole model for the Elo families.
        family: The learner family (`smartpractice_lab.simulation.family_config.FAMILY_NAMES`).
        params: The family's own parameters (None for the Elo families).
    """

    bank: SimBank
    topics: tuple[Topic, ...]
    learner: LearnerConfig
    model: ModelConfig
    simulation: SimulationConfig
    family: str = "elo"
    params: FamilyParams | None = None


def make_learner(
    world: World, rng: np.random.Generator, *, new_skills: Iterable[str]
) -> SimLearner:
    """A fresh student of the world's family, drawn from `rng`."""
    params = world.params
    if isinstance(params, BktConfig):
        return BktLearner(world.bank, params, world.learner, rng, new_skills=new_skills)
    if isinstance(params, GatedConfig):
        return GatedLearner(world.bank, params, world.learner, rng, new_skills=new_skills)
    if isinstance(params, CompensatoryConfig):
        return CompensatoryLearner(world.bank, params, world.learner, rng, new_skills=new_skills)
    return Learner(world.bank, world.learner, rng, new_skills=new_skills)


@dataclass
class CohortResult:
    """Per-student outcomes of one cohort under one policy.

    Attributes:
        policy: The policy.
        first: Index of the cohort's first student.
        mastered_at: Questions until every target skill was mastered; -1 if never.
        minutes: Simulated minutes until mastery (or over the whole budget if never).
        practised: Questions per student until mastery (the budget if never mastered):
            the practice a policy needed, over which the rates below are counted.
        in_band, frustrated, bored, correct: Counts of those questions per student.
        on_mastered: Those questions none of whose skills was a taught skill still short of
            mastery (each already mastered, or not taught by the topic): practice that could
            not bring mastery nearer.
        chance_histogram: Those questions per bin of true chance (`CHANCE_BINS` bins, 0-1).
        error_sum: Per checkpoint, the sum over students of the mean absolute error of the
            service's proficiency against the true one over the target skills.
    """

    policy: str
    first: int
    mastered_at: np.ndarray
    minutes: np.ndarray
    practised: np.ndarray
    in_band: np.ndarray
    frustrated: np.ndarray
    bored: np.ndarray
    correct: np.ndarray
    on_mastered: np.ndarray
    chance_histogram: np.ndarray
    error_sum: np.ndarray = field(repr=False)


def _textbook_order(bank: SimBank, item_ids: Sequence[str]) -> tuple[str, ...]:
    chapters: dict[str, int] = {}
    for item in sorted(bank.items.values(), key=lambda i: i.order):
        chapters.setdefault(item.chapter, len(chapters))
    return tuple(
        sorted(item_ids, key=lambda i: (chapters[bank.items[i].chapter], bank.items[i].order))
    )


class _Student:
    """One student's run: learner, policy, clock and counters."""

    def __init__(
        self,
        world: World,
        view: MemoryCatalogView,
        policy: str,
        index: int,
        *,
        serve: Callable[[PolicyContext], Policy] | None = None,
    ) -> None:
        """`serve`: builds the student's policy instead of the lab's `policy` (an
        experiment serves each arm through the service's own picks)."""
        seed = world.simulation.seed
        self.world = world
        self.view = view
        self.student_id = f"sim-{index:06d}"
        self.topic = world.topics[index % len(world.topics)]
        self.targets = frozenset(self.topic.targets)
        self.learner = make_learner(
            world, np.random.default_rng([seed, index, 0]), new_skills=self.topic.targets
        )
        self.answers = np.random.default_rng([seed, index, 1])
        self.gaps = np.random.default_rng([seed, index, 2])
        scope_items = _textbook_order(world.bank, self.topic.item_ids)
        order = {s: k for k, s in enumerate(self._first_seen(scope_items))}
        context = PolicyContext(
            student_id=self.student_id,
            scope=Scope(self.topic.subject, self.topic.chapter, self.topic.topic),
            scope_items=scope_items,
            skills=tuple(sorted(self.topic.targets, key=lambda s: order[s])),
            view=view,
            config=world.model,
            rng=np.random.default_rng([seed, index, 3]),
        )
        self.policy = (
            serve(context)
            if serve is not None
            else make_policy(policy, context, learner=self.learner)
        )
        self.now = START
        self.seconds = 0.0
        self.mastered_at = -1
        self.minutes = 0.0
        self.practised = self.in_band = self.frustrated = self.bored = self.correct = 0
        self.on_mastered = 0
        self.failures = self.easy = 0

    def _first_seen(self, items: Sequence[str]) -> list[str]:
        seen: dict[str, None] = {}
        for item_id in items:
            for skill in self.world.bank.items[item_id].true_difficulties:
                seen.setdefault(skill, None)
        return list(seen)

    def step(self, question: int, histogram: np.ndarray) -> None:
        world = self.world
        learner_config = world.learner
        if question and question % learner_config.session_questions == 0:
            days = float(self.gaps.exponential(learner_config.session_gap_days))
            self.learner.forget(days)
            self.now += timedelta(days=days)
        item_id = self.policy.choose(self.now)
        item = world.bank.items[item_id]
        short = [s for s in item.true_difficulties if s in self.targets]
        no_progress = all(self.learner.shortfall(s) <= 0 for s in short)
        answer = self.learner.answer(item, self.answers)
        occurred = self.now + timedelta(seconds=answer.seconds)
        score = 1.0 if answer.correct else 0.0
        # Built without validation: every field is the simulator's own, already valid (a
        # UTC time, a 0/1 score, seconds within a day); validating took about a tenth of the
        # CPU of a question under the policies other than Smart Practice.
        attempt = StoredAttempt.model_construct(
            event_id=f"{self.student_id}-{question}",
            student_id=self.student_id,
            item_id=item_id,
            score=score,
            occurred_at=occurred,
            time_spent_seconds=answer.seconds,
            mode="simulation",
        )
        self.view.apply_answer(attempt, occurred_at=occurred, config=world.model)
        self.learner.learn(item, answer, day=(occurred - START).total_seconds() / 86400.0)
        self.policy.observe(item_id, answer.correct)
        self.now = occurred + PAUSE
        self.seconds += answer.seconds
        if self.mastered_at < 0:
            self.on_mastered += no_progress
            self._count(answer.chance, answer.correct, histogram)
        if self.mastered_at < 0 and self.learner.mastered(self.topic.targets):
            self.mastered_at = question + 1
            self.minutes = self.seconds / 60.0

    def _count(self, chance: float, correct: bool, histogram: np.ndarray) -> None:
        low, high = SUCCESS_BAND
        self.practised += 1
        self.in_band += low <= chance <= high
        self.correct += correct
        self.failures = 0 if correct else self.failures + 1
        self.frustrated += self.failures >= FRUSTRATION_STREAK
        self.easy = self.easy + 1 if correct and chance >= BORED_CHANCE else 0
        self.bored += self.easy >= BOREDOM_STREAK
        histogram[min(int(chance * CHANCE_BINS), CHANCE_BINS - 1)] += 1

    def estimate_error(self) -> float:
        """Mean absolute error (0-1) of the service's proficiency over the target skills."""
        elo = self.world.model.elo
        ratings = self.view.student_ratings(self.student_id) or StudentRatings(
            ability=RatingState(value=elo.initial_student_rating)
        )
        targets = self.topic.targets
        typical = self.view.typical_difficulties(set(targets))
        errors = [
            abs(
                skill_proficiency(ratings, s, typical_difficulty=typical[s], config=elo)
                - self.learner.proficiency(s)
            )
            for s in targets
        ]
        return sum(errors) / len(errors)


def run_cohort(world: World, policy: str, first: int, count: int) -> CohortResult:
    """Students `first` .. `first + count - 1` practise side by side under `policy`."""
    simulation = world.simulation
    view = bank_view(world.bank, initial_ability=world.model.elo.initial_student_rating)
    students = [_Student(world, view, policy, first + k) for k in range(count)]
    histogram = np.zeros(CHANCE_BINS, dtype=np.int64)
    checkpoints = simulation.questions // simulation.checkpoint_every + 1
    error_sum = np.zeros(checkpoints)
    error_sum[0] = sum(s.estimate_error() for s in students)
    for question in range(simulation.questions):
        for student in students:
            student.step(question, histogram)
        if (question + 1) % simulation.checkpoint_every == 0:
            error_sum[(question + 1) // simulation.checkpoint_every] = sum(
                s.estimate_error() for s in students
            )
    for student in students:
        if student.mastered_at < 0:
            student.minutes = student.seconds / 60.0
    return CohortResult(
        policy=policy,
        first=first,
        mastered_at=np.array([s.mastered_at for s in students], dtype=np.int64),
        minutes=np.array([s.minutes for s in students]),
        practised=np.array([s.practised for s in students], dtype=np.int64),
        in_band=np.array([s.in_band for s in students], dtype=np.int64),
        frustrated=np.array([s.frustrated for s in students], dtype=np.int64),
        bored=np.array([s.bored for s in students], dtype=np.int64),
        correct=np.array([s.correct for s in students], dtype=np.int64),
        on_mastered=np.array([s.on_mastered for s in students], dtype=np.int64),
        chance_histogram=histogram,
        error_sum=error_sum,
    )


_WORLD: World | None = None


def _init_worker(world: World) -> None:
    global _WORLD
    _WORLD = world


def _run_in_worker(policy: str, first: int, count: int) -> CohortResult:
    assert _WORLD is not None
    return run_cohort(_WORLD, policy, first, count)


def run_policies(
    world: World,
    policies: Sequence[str],
    *,
    jobs: int = 1,
    progress: Callable[[int], object] | None = None,
) -> dict[str, list[CohortResult]]:
    """Every policy over every cohort; results per policy in student order.

    Args:
        world: Bank, learners, service constants and run size.
        policies: Policy names.
        jobs: Worker processes (1: run here).
        progress: Called with the number of students just finished (per policy).
    """
    simulation = world.simulation
    tasks = [
        (policy, first, min(simulation.cohort_size, simulation.students - first))
        for policy in policies
        for first in range(0, simulation.students, simulation.cohort_size)
    ]
    # The slowest policy first, so the processes finish together.
    tasks.sort(key=lambda t: t[0] != "smart_practice")
    results: list[CohortResult] = []
    if jobs <= 1:
        for task in tasks:
            results.append(run_cohort(world, *task))
            if progress is not None:
                progress(task[2])
    else:
        with ProcessPoolExecutor(
            max_workers=jobs, initializer=_init_worker, initargs=(world,)
        ) as pool:
            futures = {pool.submit(_run_in_worker, *task): task for task in tasks}
            for future in as_completed(futures):
                results.append(future.result())
                if progress is not None:
                    progress(futures[future][2])
    grouped: dict[str, list[CohortResult]] = {p: [] for p in policies}
    for result in sorted(results, key=lambda r: r.first):
        grouped[result.policy].append(result)
    return grouped
