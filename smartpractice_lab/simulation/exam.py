"""Exam study: does exam mode raise the simulated exam score more than topic-by-topic Smart
Practice and textbook order for the same study time, and is readiness calibrated?

Paired learners (the same seeds under every policy: starting levels, learning rates,
answer draws) study `days` days of `minutes_per_day` minutes before an exam whose date is
`days` days after the start; the learner forgets between days (`forget(1 day)`). A
cohort's students share one service state per policy, as in `simulate`. Policies:

* ``exam_mode``: the service's exam mode (`pick_exam_item`: the paper's chapters shared in
  proportion to their marks per hour of mastering them, Smart Practice within the chapter,
  PYQs of the exam preferred; picks seeded from the learner's pick stream);
* ``smart_practice``: topic by topic: the blueprint's chapters in paper order, an equal
  share of the study time each, Smart Practice's pick within the chapter;
* ``textbook``: the same time slices, each chapter's items in bank order (cycled).

Outcome: the learner's true expected marks on the blueprint's paper (their true chance on
every item of each place's exam-like pool, the best strategy under its marking scheme),
at the exam minus at the start. Calibration: on the exam day the service forecasts each
learner's readiness, then the learner sits one paper drawn as the forecast assumes,
attempting a question when the service's predicted success is above the break-even;
coverage is the share of learners whose marks fall in the forecast's 80% interval.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from smartpractice.core.exam.readiness import ExamItem, break_even, predicted_success
from smartpractice.services.exam_practice import pick_exam_item
from smartpractice.services.exams import (
    ExamPlaces,
    exam_places,
    readiness_forecast,
    skill_estimates,
    skill_offsets,
)
from smartpractice.services.ports import (
    CatalogView,
    ExamBankItem,
    ItemRecord,
    Scope,
    StoredExam,
    StoredPaper,
)
from smartpractice.services.practice import pick_next_item
from smartpractice.services.schemas import ExamIn, StoredAttempt
from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from smartpractice_lab.simulation.config import START
from smartpractice_lab.simulation.family import SimLearner
from smartpractice_lab.simulation.runner import World, make_learner

__all__ = ["EXAM_POLICIES", "ExamStudy", "ExamStudyResult", "run_exam_study"]

EXAM_POLICIES = ("exam_mode", "smart_practice", "textbook")


@dataclass(frozen=True, slots=True)
class ExamStudy:
    """One exam study: the blueprint (its date is set `days` after the start), how long
    learners study, how many, and the run's seed."""

    exam: ExamIn
    learners: int = 200
    days: int = 10
    minutes_per_day: float = 30.0
    cohort_size: int = 20
    seed: int = 0
    forecast_papers: int = 1000


class _MemoryExams:
    """`ExamStore` over the simulation's bank and service state (papers are not kept)."""

    def __init__(self, exam: ExamIn, bank: SimBank, view: MemoryCatalogView) -> None:
        self.exam_in = exam
        self.sim_bank = bank
        self.view = view

    def save_exams(self, exams: Sequence[StoredExam]) -> None:
        raise NotImplementedError

    def exams(self) -> list[StoredExam]:
        return [self._stored()]

    def _stored(self) -> StoredExam:
        exam = self.exam_in
        return StoredExam(
            exam.exam_id, exam.name, exam.exam_date, exam.duration_minutes, exam.model_dump()
        )

    def exam(self, exam_id: str) -> StoredExam | None:
        return self._stored() if exam_id == self.exam_in.exam_id else None

    def place_names(self) -> set[str]:
        return {i.chapter for i in self.sim_bank.items.values()} | {
            i.topic for i in self.sim_bank.items.values()
        }

    def bank(self, places: Collection[str]) -> list[ExamBankItem]:
        chosen = sorted(
            i.item_id
            for i in self.sim_bank.items.values()
            if i.chapter in places or i.topic in places
        )
        current = self.view.item_skills(chosen)
        return [
            ExamBankItem(
                item_id=item_id,
                chapter=self.sim_bank.items[item_id].chapter,
                topic=self.sim_bank.items[item_id].topic,
                source=self.sim_bank.items[item_id].source,
                exam=self.sim_bank.items[item_id].exam,
                expected_time_seconds=self.sim_bank.items[item_id].expected_time_seconds,
                difficulties=dict(current[item_id]),
                difficulty_attempts={
                    s: r.attempts
                    for s, r in self.view.store.items[item_id].ratings.difficulties.items()
                },
            )
            for item_id in chosen
        ]

    def save_paper(self, paper: StoredPaper) -> None:
        raise NotImplementedError

    def paper(self, paper_id: str) -> StoredPaper | None:
        return None

    def record_answers(self, paper_id: str, answers: Mapping[str, bool]) -> None:
        raise NotImplementedError


class _SimLog:
    """`PickLog` over the simulation's state: the last pick's explanation per student (the
    mastery hysteresis); picks are not logged."""

    def __init__(self, view: MemoryCatalogView) -> None:
        self.catalog = view
        self.last: dict[str, dict[str, Any]] = {}

    def view(self, student_id: str, *, recent_window: int) -> CatalogView:
        return self.catalog

    def last_explanation(self, student_id: str) -> object:
        return self.last.get(student_id)

    def log_pick(
        self,
        *,
        student_id: str,
        item_id: str,
        scope: Mapping[str, Any],
        explanation: Mapping[str, Any],
        at: datetime,
        experiment_id: str | None = None,
        arm: str | None = None,
    ) -> tuple[int, ItemRecord]:
        raise NotImplementedError


def true_marks(learner: SimLearner, setup: ExamPlaces, bank: SimBank) -> float:
    """The learner's true expected marks on the paper: per weight, its questions times the
    mean over the place's pool of the best strategy's value at the true chance."""
    total = 0.0
    for section, weight in setup.blueprint.weights():
        marking = section.marking
        size = weight.marks_per_question / marking.correct
        values = []
        for item in setup.pools[weight.place]:
            chance = learner.chance(bank.items[item.item_id])
            attempt = chance * marking.correct + (1.0 - chance) * marking.wrong
            values.append(size * max(attempt, marking.unattempted))
        total += weight.questions * float(np.mean(values))
    return total


def _sit_paper(
    learner: SimLearner,
    setup: ExamPlaces,
    bank: SimBank,
    skills: Mapping[str, Any],
    rng: np.random.Generator,
    common_sd: float,
) -> float:
    """One paper drawn as the forecast assumes (uniform with replacement from each place's
    pool), attempted where the service's predicted success beats the break-even, answered
    with the learner's true chance."""
    marks = 0.0
    for section, weight in setup.blueprint.weights():
        marking = section.marking
        size = weight.marks_per_question / marking.correct
        pool = setup.pools[weight.place]
        threshold = break_even(marking)
        for k in rng.integers(0, len(pool), size=weight.questions):
            item = pool[int(k)]
            predicted = predicted_success(
                ExamItem(item.item_id, item.difficulties), skills=skills, common_sd=common_sd
            )
            if predicted <= threshold:
                marks += size * marking.unattempted
                continue
            right = rng.random() < learner.chance(bank.items[item.item_id])
            marks += size * (marking.correct if right else marking.wrong)
    return marks


@dataclass
class ExamStudyResult:
    """Per policy and learner: true expected marks at the start and at the exam, the
    forecast (expected, low, high) on the exam day and the sat paper's marks."""

    start: dict[str, list[float]] = field(default_factory=dict)
    end: dict[str, list[float]] = field(default_factory=dict)
    forecast: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    sat: dict[str, list[float]] = field(default_factory=dict)
    questions: dict[str, list[int]] = field(default_factory=dict)


class _Run:
    """One policy over one cohort."""

    def __init__(self, world: World, study: ExamStudy, policy: str, first: int, count: int):
        self.world = world
        self.study = study
        self.policy = policy
        self.view = bank_view(world.bank, initial_ability=world.model.elo.initial_student_rating)
        self.store = _MemoryExams(study.exam, world.bank, self.view)
        self.log = _SimLog(self.view)
        self.setup = exam_places(self.store, study.exam.exam_id)
        self.indices = range(first, first + count)
        seed = study.seed
        self.learners = {
            k: make_learner(world, np.random.default_rng([seed, k, 0]), new_skills=())
            for k in self.indices
        }
        self.answers = {k: np.random.default_rng([seed, k, 1]) for k in self.indices}
        self.picks = {k: np.random.default_rng([seed, k, 3]) for k in self.indices}
        self.chapters = list(self.setup.blueprint.places())
        self.chapter_items = {
            c: sorted(
                (i for i in world.bank.items.values() if i.chapter == c or i.topic == c),
                key=lambda i: i.order,
            )
            for c in self.chapters
        }
        self.cursor = dict.fromkeys(self.indices, 0)
        self.mastered: dict[int, frozenset[str]] = dict.fromkeys(self.indices, frozenset())

    def _chapter(self, spent_minutes: float) -> str:
        total = self.study.days * self.study.minutes_per_day
        slot = int(spent_minutes / total * len(self.chapters))
        return self.chapters[min(slot, len(self.chapters) - 1)]

    def choose(self, k: int, now: datetime, spent_minutes: float) -> str:
        student_id = f"sim-{k:06d}"
        config = self.world.model
        if self.policy == "exam_mode":
            # Seeded from the learner's pick stream, so runs are reproducible.
            seed = int(self.picks[k].integers(2**31))
            pick, _, _, _ = pick_exam_item(
                self.log, self.setup, student_id, config=config, now=now, seed=seed
            )
            self.log.last[student_id] = pick.explanation
            return pick.selection.chosen.item_id
        chapter = self._chapter(spent_minutes)
        if self.policy == "smart_practice":
            pick = pick_next_item(
                self.view,
                student_id,
                Scope(chapter=chapter),
                config=config,
                now=now,
                rng=self.picks[k],
                previously_mastered=self.mastered[k],
            )
            self.mastered[k] = pick.path.mastered
            return pick.selection.chosen.item_id
        items = self.chapter_items[chapter]
        position = self.cursor[k]
        self.cursor[k] = position + 1
        return items[position % len(items)].item_id

    def run(self, result: ExamStudyResult) -> None:
        world, study = self.world, self.study
        bank = world.bank
        for k in self.indices:
            result.start.setdefault(self.policy, []).append(
                true_marks(self.learners[k], self.setup, bank)
            )
        spent = dict.fromkeys(self.indices, 0.0)
        counts = dict.fromkeys(self.indices, 0)
        for day in range(study.days):
            day_start = START + timedelta(days=day)
            if day:
                for learner in self.learners.values():
                    learner.forget(1.0)
            for k in self.indices:
                self._study_day(k, day_start, spent, counts)
        exam_day = START + timedelta(days=study.days)
        for learner in self.learners.values():
            learner.forget(1.0)
        setup = exam_places(self.store, study.exam.exam_id)  # today's difficulties
        for k in self.indices:
            self._exam_day(k, exam_day, setup, result)
            result.questions.setdefault(self.policy, []).append(counts[k])

    def _study_day(
        self, k: int, day_start: datetime, spent: dict[int, float], counts: dict[int, int]
    ) -> None:
        world = self.world
        learner = self.learners[k]
        now = day_start
        used = 0.0
        while used < self.study.minutes_per_day * 60.0:
            item_id = self.choose(k, now, spent[k])
            item = world.bank.items[item_id]
            answer = learner.answer(item, self.answers[k])
            occurred = now + timedelta(seconds=answer.seconds)
            attempt = StoredAttempt.model_construct(
                event_id=f"{self.policy}-{k}-{counts[k]}",
                student_id=f"sim-{k:06d}",
                item_id=item_id,
                score=1.0 if answer.correct else 0.0,
                occurred_at=occurred,
                time_spent_seconds=answer.seconds,
                mode="simulation",
            )
            self.view.apply_answer(attempt, occurred_at=occurred, config=world.model)
            learner.learn(item, answer, day=(occurred - START).total_seconds() / 86400.0)
            now = occurred + timedelta(seconds=10)
            used += answer.seconds
            spent[k] += answer.seconds / 60.0
            counts[k] += 1

    def _exam_day(
        self, k: int, exam_day: datetime, setup: ExamPlaces, result: ExamStudyResult
    ) -> None:
        world, study = self.world, self.study
        student_id = f"sim-{k:06d}"
        learner = self.learners[k]
        forecast = readiness_forecast(
            self.view,
            setup,
            student_id,
            config=world.model,
            now=exam_day,
            papers=study.forecast_papers,
        )
        skills = skill_estimates(self.view, setup, student_id, config=world.model, now=exam_day)
        _, offset = skill_offsets(self.view, student_id, config=world.model)
        sat = _sit_paper(
            learner, setup, world.bank, skills, np.random.default_rng([study.seed, k, 7]), offset.sd
        )
        result.end.setdefault(self.policy, []).append(true_marks(learner, setup, world.bank))
        result.forecast.setdefault(self.policy, []).append(
            (forecast.expected, forecast.low, forecast.high)
        )
        result.sat.setdefault(self.policy, []).append(sat)


def run_exam_study(
    world: World, study: ExamStudy, *, policies: Sequence[str] = EXAM_POLICIES
) -> ExamStudyResult:
    """Every policy over every cohort of the study's learners (in this process)."""
    result = ExamStudyResult()
    for policy in policies:
        for first in range(0, study.learners, study.cohort_size):
            count = min(study.cohort_size, study.learners - first)
            _Run(world, study, policy, first, count).run(result)
    return result


def _interval(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95% confidence interval (normal approximation)."""
    array = np.asarray(values, dtype=float)
    if array.size < 2:
        return float(array.mean()), math.nan
    return float(array.mean()), float(1.96 * array.std(ddof=1) / math.sqrt(array.size))


def exam_study_report(result: ExamStudyResult, study: ExamStudy) -> dict[str, Any]:
    """Figures: per policy the marks gained (mean, 95% CI), marks per study hour, questions;
    paired differences of exam mode against the others; readiness calibration."""
    hours = study.days * study.minutes_per_day / 60.0
    policies: dict[str, Any] = {}
    gains: dict[str, np.ndarray] = {}
    for policy, end in result.end.items():
        gain = np.asarray(end) - np.asarray(result.start[policy])
        gains[policy] = gain
        mean, half = _interval(gain.tolist())
        forecasts = np.asarray(result.forecast[policy])
        sat = np.asarray(result.sat[policy])
        inside = (forecasts[:, 1] <= sat) & (sat <= forecasts[:, 2])
        on_edge = (sat == forecasts[:, 1]) | (sat == forecasts[:, 2])
        policies[policy] = {
            "marks_start": float(np.mean(result.start[policy])),
            "marks_exam": float(np.mean(end)),
            "marks_gained": mean,
            "marks_gained_ci95": half,
            "marks_per_study_hour": mean / hours,
            "questions": float(np.mean(result.questions[policy])),
            "coverage_80": float(inside.mean()),
            "coverage_80_edges_half": float((inside.sum() - on_edge.sum() / 2) / sat.size),
            "above_interval": float((sat > forecasts[:, 2]).mean()),
            "below_interval": float((sat < forecasts[:, 1]).mean()),
            "forecast_bias": float(np.mean(forecasts[:, 0] - np.asarray(end))),
        }
    paired: dict[str, Any] = {}
    if "exam_mode" in gains:
        for other in gains:
            if other != "exam_mode":
                mean, half = _interval((gains["exam_mode"] - gains[other]).tolist())
                paired[f"exam_mode - {other}"] = {"marks": mean, "ci95": half}
    all_forecasts = np.concatenate([np.asarray(v) for v in result.forecast.values()])
    all_sat = np.concatenate([np.asarray(v) for v in result.sat.values()])
    covered = (all_forecasts[:, 1] <= all_sat) & (all_sat <= all_forecasts[:, 2])
    return {
        "exam_id": study.exam.exam_id,
        "learners": study.learners,
        "days": study.days,
        "minutes_per_day": study.minutes_per_day,
        "seed": study.seed,
        "max_marks": study.exam.total_marks,
        "policies": policies,
        "paired": paired,
        "coverage_80": float(covered.mean()),
        "coverage_80_ci95": float(
            1.96 * math.sqrt(covered.mean() * (1.0 - covered.mean()) / covered.size)
        ),
    }


def study_exam(exam: ExamIn, *, start: date, days: int) -> ExamIn:
    """`exam` dated `days` days after `start` (the study's exam day)."""
    return exam.model_copy(update={"exam_date": start + timedelta(days=days)})
