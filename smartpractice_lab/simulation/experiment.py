"""A simulated A/B experiment through the service's own experiment code.

The simulator's learners are assigned to arms by the service's hash
(`core.experiments.assignment.assign_arm`), served by the service's own picks
(`services.practice.pick_for_policy`, with each arm's policy and settings through
`services.experiments.arm_config`) on the in-memory `CatalogView` the simulator already
uses, and measured by the service's metric and statistics code
(`core.experiments.metrics`, `core.experiments.stats`). Both arms of one run share one
service state, as they would in production (their answers calibrate the same items).

The true effect is measured directly, without the experiment's code for assignment: a
large population of other learners (`truth_students` per policy, in cohorts of the same
size as one experiment), every learner run once under each policy, each policy on its own
service state; the truth is the primary metric's ratio over that population under
``smart_practice`` minus under ``textbook`` (the same learners both times: paired
potential outcomes). A run covers the truth when its 95% interval holds it.

The null experiment has two identical ``smart_practice`` arms; it is flagged when the
always-valid confidence sequence excludes 0 at any of `looks` looks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from smartpractice.core.experiments.assignment import assign_arm
from smartpractice.core.experiments.metrics import (
    AnswerRecord,
    StudentOutcome,
    metric_data,
    student_outcomes,
)
from smartpractice.core.experiments.stats import (
    arm_estimate,
    confidence_sequence,
    difference,
    mixture_scale,
)
from smartpractice.core.rating.elo import expected_success
from smartpractice.services.experiments import arm_config
from smartpractice.services.ports import ExperimentArm
from smartpractice.services.practice import pick_for_policy
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from smartpractice_lab.simulation.policies import PolicyContext
from smartpractice_lab.simulation.runner import CHANCE_BINS, World, _Student

__all__ = [
    "EFFECT_ARMS",
    "NULL_ARMS",
    "ExperimentStudy",
    "RunResult",
    "ServedPolicy",
    "StudyResult",
    "run_experiment_study",
]

EFFECT_ARMS = (
    ExperimentArm("textbook", 0.5, "textbook"),
    ExperimentArm("smart_practice", 0.5, "smart_practice"),
)
"""The experiment: control first."""
NULL_ARMS = (
    ExperimentArm("a", 0.5, "smart_practice"),
    ExperimentArm("b", 0.5, "smart_practice"),
)
"""Two identical arms: any difference found is a false alarm."""
TRUTH_OFFSET = 10_000_000
"""Student indices of the truth's population start here (no experiment uses them)."""


@dataclass(frozen=True, slots=True)
class ExperimentStudy:
    """The repeated simulated experiment.

    Attributes:
        runs: Repetitions of each experiment (the effect and the null), each with new
            learners and a new experiment id (so new assignments).
        students: Students per experiment run (both arms together).
        truth_students: Learners per policy in the truth's population.
        metric: The primary metric (`core.experiments.metrics.METRIC_NAMES`).
        mde: Minimum detectable effect (the metric's units): tunes the sequence.
        looks: Looks at the null experiment, evenly spaced over the question budget.
    """

    runs: int = 100
    students: int = 100
    truth_students: int = 2000
    metric: str = "first_attempt_residual"
    mde: float = 0.05
    looks: int = 4


class ServedPolicy:
    """A simulated student served by the service's own pick for an arm, recording when
    the learning path first held each skill mastered."""

    def __init__(self, context: PolicyContext, *, arm: ExperimentArm) -> None:
        self.context = context
        self.policy = arm.policy
        self.config = arm_config(context.config, arm)
        self.mastered: frozenset[str] = frozenset()
        self.mastered_at: dict[str, datetime] = {}

    def choose(self, now: datetime) -> str:
        context = self.context
        pick = pick_for_policy(
            context.view,
            context.student_id,
            context.scope,
            policy=self.policy,
            config=self.config,
            now=now,
            rng=context.rng,
            previously_mastered=self.mastered,
        )
        self.mastered = pick.path.mastered
        for skill_id in self.mastered:
            self.mastered_at.setdefault(skill_id, now)
        return pick.selection.chosen.item_id

    def observe(self, item_id: str, correct: bool) -> None:
        pass


def _neutral_table(world: World, view: MemoryCatalogView) -> dict[str, float]:
    """Each item's predicted success (0-1) for a student at the initial rating, from the
    difficulties at the start (before any answer of the run)."""
    elo = world.model.elo
    table = {}
    for item_id, item in view.store.items.items():
        chances = [
            expected_success(rating=elo.initial_student_rating, difficulty=d.value, scale=elo.scale)
            for d in item.ratings.difficulties.values()
        ]
        table[item_id] = sum(chances) / len(chances) if chances else 0.5
    return table


def _run_cohort(
    world: World, arms_of: Sequence[ExperimentArm], indices: Sequence[int], looks: int
) -> list[tuple[dict[str, str], dict[str, StudentOutcome]]]:
    """Students `indices` practise side by side, student k under `arms_of[k]`; their
    outcomes (by student) and arms at each of `looks` evenly spaced looks."""
    view = bank_view(world.bank, initial_ability=world.model.elo.initial_student_rating)
    neutral = _neutral_table(world, view)
    served: list[ServedPolicy] = []

    def serve(arm: ExperimentArm) -> Callable[[PolicyContext], ServedPolicy]:
        def build(context: PolicyContext) -> ServedPolicy:
            policy = ServedPolicy(context, arm=arm)
            served.append(policy)
            return policy

        return build

    students = [
        _Student(world, view, arm.policy, index, serve=serve(arm))
        for index, arm in zip(indices, arms_of, strict=True)
    ]
    arm_names = {s.student_id: a.name for s, a in zip(students, arms_of, strict=True)}
    records: list[AnswerRecord] = []
    histogram = np.zeros(CHANCE_BINS, dtype=np.int64)
    questions = world.simulation.questions
    look_at = {round(questions * (k + 1) / looks) for k in range(looks)}
    found = []
    for question in range(questions):
        for student in students:
            student.step(question, histogram)
            item_id, occurred_at, performance, predicted = view.last_answer(student.student_id)
            records.append(
                AnswerRecord(
                    student_id=student.student_id,
                    item_id=item_id,
                    occurred_at=occurred_at,
                    performance=performance,
                    predicted=predicted,
                    neutral_predicted=neutral[item_id],
                )
            )
        if question + 1 in look_at:
            until = max(r.occurred_at for r in records)
            mastered = {
                s.student_id: {k: t for k, t in p.mastered_at.items() if t <= until}
                for s, p in zip(students, served, strict=True)
            }
            found.append(
                (arm_names, student_outcomes(records, observed_until=until, mastered_at=mastered))
            )
    return found


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run of an experiment: the final difference (second arm minus first) with its
    fixed-horizon interval and always-valid sequence, and whether the sequence excluded 0
    at any look."""

    estimate: float
    interval: tuple[float, float]
    sequence: tuple[float, float]
    flagged: bool
    students: tuple[int, int]


def _arm_value(outcomes: Sequence[StudentOutcome], metric: str) -> tuple[float, float]:
    totals, counts = metric_data(outcomes, metric=metric)
    return float(totals.sum()), float(counts.sum())


def _experiment_run(world: World, study: ExperimentStudy, kind: str, run: int) -> RunResult:
    arms = EFFECT_ARMS if kind == "effect" else NULL_ARMS
    experiment_id = f"sim-{kind}-{world.simulation.seed}-{run}"
    shares = [(a.name, a.share) for a in arms]
    by_name = {a.name: a for a in arms}
    first = (run * 2 + (kind == "null")) * study.students
    indices = list(range(first, first + study.students))
    arms_of = [by_name[assign_arm(experiment_id, f"sim-{i:06d}", shares)] for i in indices]
    looks = _run_cohort(world, arms_of, indices, study.looks)
    tau = mixture_scale(mde=study.mde)
    flagged = False
    result: RunResult | None = None
    for arm_names, outcomes in looks:
        grouped: dict[str, list[StudentOutcome]] = {a.name: [] for a in arms}
        for student_id, outcome in outcomes.items():
            grouped[arm_names[student_id]].append(outcome)
        control, treatment = (
            arm_estimate(totals=t, counts=c)
            for t, c in (metric_data(grouped[a.name], metric=study.metric) for a in arms)
        )
        diff = difference(treatment=treatment, control=control)
        sequence = confidence_sequence(difference=diff, tau=tau)
        flagged = flagged or not sequence.low <= 0.0 <= sequence.high
        result = RunResult(
            estimate=diff.estimate,
            interval=(diff.interval.low, diff.interval.high),
            sequence=(sequence.low, sequence.high),
            flagged=flagged,
            students=(control.students, treatment.students),
        )
    assert result is not None
    return result


def _truth_part(
    world: World, study: ExperimentStudy, arm_index: int, first: int
) -> tuple[float, float]:
    """(Σ totals, Σ counts) of the metric over one truth cohort under one policy."""
    arm = EFFECT_ARMS[arm_index]
    indices = list(range(first, first + study.students))
    looks = _run_cohort(world, [arm] * len(indices), indices, 1)
    _, outcomes = looks[-1]
    return _arm_value(list(outcomes.values()), study.metric)


_WORLD: World | None = None
_STUDY: ExperimentStudy | None = None


def _init(world: World, study: ExperimentStudy) -> None:
    global _WORLD, _STUDY
    _WORLD, _STUDY = world, study


def _task(task: tuple[str, int, int]) -> tuple[tuple[str, int, int], Any]:
    assert _WORLD is not None and _STUDY is not None
    kind, a, b = task
    if kind == "truth":
        return task, _truth_part(_WORLD, _STUDY, a, b)
    return task, _experiment_run(_WORLD, _STUDY, kind, a)


@dataclass(frozen=True, slots=True)
class StudyResult:
    """The repeated experiment's figures.

    Attributes:
        truth: The true effect (smart_practice minus textbook, the metric's units).
        truth_arms: The metric's value under textbook and under smart_practice.
        effect: Every effect run.
        null: Every null run.
        covered: Effect runs whose fixed-horizon 95% interval holds the truth.
        covered_by_sequence: Effect runs whose always-valid sequence holds it.
        detected: Effect runs whose sequence excludes 0 at some look.
        null_flagged: Null runs whose sequence excludes 0 at some look.
        null_fixed_flagged: Null runs whose final fixed-horizon interval excludes 0.
    """

    study: ExperimentStudy
    truth: float
    truth_arms: tuple[float, float]
    effect: list[RunResult]
    null: list[RunResult]
    covered: int
    covered_by_sequence: int
    detected: int
    null_flagged: int
    null_fixed_flagged: int
    mean_estimate: float

    def as_json(self) -> dict[str, Any]:
        return {
            "study": dataclasses.asdict(self.study),
            "truth": self.truth,
            "truth_textbook": self.truth_arms[0],
            "truth_smart_practice": self.truth_arms[1],
            "mean_estimate": self.mean_estimate,
            "runs": len(self.effect),
            "covered": self.covered,
            "covered_by_sequence": self.covered_by_sequence,
            "detected": self.detected,
            "null_flagged": self.null_flagged,
            "null_fixed_flagged": self.null_fixed_flagged,
        }


def run_experiment_study(
    world: World,
    study: ExperimentStudy,
    *,
    jobs: int = 1,
    progress: Callable[[int], object] | None = None,
) -> StudyResult:
    """Run the truth, `study.runs` effect experiments and `study.runs` null experiments."""
    tasks: list[tuple[str, int, int]] = [
        ("truth", arm, TRUTH_OFFSET + first)
        for first in range(0, study.truth_students, study.students)
        for arm in range(len(EFFECT_ARMS))
    ]
    tasks += [(kind, run, 0) for run in range(study.runs) for kind in ("effect", "null")]
    done: list[tuple[tuple[str, int, int], Any]] = []
    if jobs <= 1:
        _init(world, study)
        for task in tasks:
            done.append(_task(task))
            if progress is not None:
                progress(1)
    else:
        with ProcessPoolExecutor(
            max_workers=jobs, initializer=_init, initargs=(world, study)
        ) as pool:
            for finished in pool.map(_task, tasks, chunksize=1):
                done.append(finished)
                if progress is not None:
                    progress(1)
    sums = np.zeros((len(EFFECT_ARMS), 2))
    effect: dict[int, RunResult] = {}
    null: dict[int, RunResult] = {}
    for (kind, a, _), value in done:
        if kind == "truth":
            sums[a] += value
        elif kind == "effect":
            effect[a] = value
        else:
            null[a] = value
    textbook, smart = (float(t / c) for t, c in sums)
    truth = smart - textbook
    effects = [effect[k] for k in sorted(effect)]
    nulls = [null[k] for k in sorted(null)]
    return StudyResult(
        study=study,
        truth=truth,
        truth_arms=(textbook, smart),
        effect=effects,
        null=nulls,
        covered=sum(r.interval[0] <= truth <= r.interval[1] for r in effects),
        covered_by_sequence=sum(r.sequence[0] <= truth <= r.sequence[1] for r in effects),
        detected=sum(r.flagged for r in effects),
        null_flagged=sum(r.flagged for r in nulls),
        null_fixed_flagged=sum(not r.interval[0] <= 0.0 <= r.interval[1] for r in nulls),
        mean_estimate=float(np.mean([r.estimate for r in effects])) if effects else 0.0,
    )
