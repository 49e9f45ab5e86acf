"""Exam blueprints and readiness: import and list blueprints, and forecast a student's
marks on a paper drawn to one (`core.exam.readiness`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.exam.blueprint import (
    Blueprint,
    MarkingScheme,
    Section,
    Weight,
    blueprint_problems,
    exam_likeness,
)
from smartpractice.core.exam.readiness import (
    ExamItem,
    PlaceForecast,
    Readiness,
    SkillEstimate,
    break_even,
    forecast_readiness,
)
from smartpractice.core.practice.path import rating_sd
from smartpractice.services.ports import (
    CatalogView,
    ExamBankItem,
    ExamStore,
    InvalidInput,
    NotFound,
    PickLog,
    StoredExam,
)
from smartpractice.services.practice import student_skill_views
from smartpractice.services.schemas import ExamIn

__all__ = [
    "READINESS_METHOD",
    "ClassReadiness",
    "ExamPlaces",
    "ExamReadiness",
    "blueprint_of",
    "class_readiness",
    "exam_places",
    "exam_readiness",
    "get_exam",
    "list_exams",
    "minutes_per_question",
    "place_shares",
    "readiness_forecast",
    "readiness_result",
    "skill_estimates",
    "upsert_exams",
]

READINESS_METHOD = (
    "analytic expected marks (the exact expectation of the model, Gauss-Hermite over each "
    "skill's uncertainty); the 80% interval from simulated papers"
)
"""How readiness is computed (returned with every forecast)."""

READINESS_PAPERS = 2000
"""Simulated papers behind a readiness interval: about 1 point of coverage noise, a few
tens of milliseconds for a 75-question paper."""


def blueprint_of(exam: ExamIn) -> Blueprint:
    """The core blueprint of a validated exam record."""
    return Blueprint(
        blueprint_id=exam.exam_id,
        name=exam.name,
        exam=exam.exam,
        exam_date=exam.exam_date,
        duration_minutes=exam.duration_minutes,
        total_questions=exam.total_questions,
        total_marks=exam.total_marks,
        sections=tuple(
            Section(
                name=section.name,
                marking=MarkingScheme(
                    correct=section.marking.correct,
                    wrong=section.marking.wrong,
                    unattempted=section.marking.unattempted,
                ),
                weights=tuple(
                    Weight(place=w.place, questions=w.questions, marks=w.marks)
                    for w in section.weights
                ),
            )
            for section in exam.sections
        ),
        exam_like_sources=tuple(exam.exam_like_sources),
    )


def upsert_exams(store: ExamStore, exams: Sequence[ExamIn], *, today: date) -> int:
    """Create or replace exam blueprints; all or nothing.

    Raises:
        InvalidInput: an exam id repeats, the weights do not add up to the paper, a chapter
            or topic is not in the bank, the exam date is in the past, or the marking
            scheme is inconsistent (`blueprint_problems`); each error names the field.
    """
    known = store.place_names()
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, exam in enumerate(exams):
        if exam.exam_id in seen:
            errors.append({"loc": [index, "exam_id"], "msg": "repeats an earlier row"})
        seen.add(exam.exam_id)
        for problem in blueprint_problems(blueprint_of(exam), today=today, known_places=known):
            field, _, message = problem.partition(": ")
            errors.append({"loc": [index, field], "msg": message})
    if errors:
        raise InvalidInput(errors)
    store.save_exams(
        [
            StoredExam(
                exam_id=exam.exam_id,
                name=exam.name,
                exam_date=exam.exam_date,
                duration_minutes=exam.duration_minutes,
                blueprint=exam.model_dump(mode="json"),
            )
            for exam in exams
        ]
    )
    return len(exams)


def list_exams(store: ExamStore) -> list[ExamIn]:
    """Every exam's blueprint, by date then id."""
    return [ExamIn.model_validate(e.blueprint) for e in store.exams()]


def get_exam(store: ExamStore, exam_id: str) -> ExamIn:
    """One exam's blueprint.

    Raises:
        NotFound: no such exam (the message names the `exam` parameter).
    """
    stored = store.exam(exam_id)
    if stored is None:
        raise NotFound(f"exam {exam_id!r} (the exam parameter names no stored blueprint)")
    return ExamIn.model_validate(stored.blueprint)


@dataclass(frozen=True, slots=True)
class ExamPlaces:
    """A blueprint and its bank: every item of its chapters and topics, each with the
    first place of the blueprint it belongs to, and per place its exam-like pool (the
    items a paper is drawn from: exam-like sources, else all the place's items)."""

    exam: ExamIn
    blueprint: Blueprint
    items: list[ExamBankItem]
    place_of: dict[str, str]
    pools: dict[str, list[ExamBankItem]]

    def likeness(self) -> dict[str, int]:
        """Per item id its `exam_likeness` (0 = a previous-year question of this exam)."""
        return {
            i.item_id: exam_likeness(self.blueprint, source=i.source, exam=i.exam)
            for i in self.items
        }

    def skill_ids(self) -> set[str]:
        """Every skill the pools' items test."""
        return {s for pool in self.pools.values() for i in pool for s in i.difficulties}


def exam_places(store: ExamStore, exam_id: str) -> ExamPlaces:
    """The exam's blueprint and its bank (see `ExamPlaces`).

    Raises:
        NotFound: no such exam.
    """
    exam = get_exam(store, exam_id)
    blueprint = blueprint_of(exam)
    places = blueprint.places()
    items = store.bank(places)
    place_of: dict[str, str] = {}
    for item in items:
        place = next((p for p in places if p in (item.chapter, item.topic)), None)
        if place is not None:
            place_of[item.item_id] = place
    items = [i for i in items if i.item_id in place_of]
    pools: dict[str, list[ExamBankItem]] = {}
    unlike = 1 + len(blueprint.exam_like_sources)
    for place in places:
        mine = [i for i in items if place_of[i.item_id] == place]
        like = [i for i in mine if exam_likeness(blueprint, source=i.source, exam=i.exam) < unlike]
        pools[place] = like or mine
    return ExamPlaces(exam=exam, blueprint=blueprint, items=items, place_of=place_of, pools=pools)


def _seed(*parts: str) -> int:
    # Stable within a day: the same student, exam and day give the same interval.
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def skill_estimates(
    view: CatalogView, setup: ExamPlaces, student_id: str, *, config: ModelConfig, now: datetime
) -> dict[str, SkillEstimate]:
    """The student's estimate (rating, spread `rating_sd`, assessed or estimated) on every
    skill the exam's pools test; never-practised skills get the learning path's
    hierarchical estimate and a wide spread."""
    student, views = student_skill_views(
        view, student_id, setup.skill_ids(), config=config, now=now
    )
    min_evidence = config.path.min_evidence
    return {
        skill_id: SkillEstimate(
            rating=v.rating,
            sd=rating_sd(v.uncertainty, config=config.path),
            assessed=(o := student.offsets.get(skill_id)) is not None
            and o.attempts >= min_evidence,
        )
        for skill_id, v in views.items()
    }


def readiness_forecast(
    view: CatalogView,
    setup: ExamPlaces,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    papers: int = READINESS_PAPERS,
) -> Readiness:
    """The core forecast for the student on the exam's paper (see `exam_readiness`).

    Raises:
        InvalidInput: a chapter or topic of the blueprint has no items any more.
    """
    empty = [p for p, pool in setup.pools.items() if not pool]
    if empty:
        raise InvalidInput(
            [{"loc": ["exam"], "msg": f"no items in the bank for: {', '.join(empty)}"}]
        )
    skills = skill_estimates(view, setup, student_id, config=config, now=now)
    pools = {
        place: [ExamItem(i.item_id, i.difficulties) for i in pool]
        for place, pool in setup.pools.items()
    }
    rng = np.random.default_rng(_seed(student_id, setup.exam.exam_id, now.date().isoformat()))
    return forecast_readiness(
        setup.blueprint, pools=pools, skills=skills, rng=rng, papers=papers, scale=config.elo.scale
    )


@dataclass(frozen=True, slots=True)
class ExamReadiness:
    """A student's expected marks on a paper drawn to an exam's blueprint.

    Attributes:
        expected: Expected marks.
        low: Lower end of the 80% interval (10th percentile of simulated papers).
        high: Upper end (90th percentile).
        max_marks: The paper's maximum marks.
        estimated_marks: Marks resting on questions that test an estimated skill.
        break_even: Per section, the predicted success (0-1) above which attempting a
            question beats leaving it out.
        chapters: Per chapter or topic (its questions, marks, expected marks, marks at
            stake, predicted success, share worth attempting, strategy), the most marks at
            stake first.
        method: How the numbers are computed.
        papers: Simulated papers behind the interval.
    """

    student_id: str
    exam_id: str
    exam_name: str
    exam_date: date
    days_to_exam: int
    expected: float
    low: float
    high: float
    max_marks: float
    estimated_marks: float
    break_even: dict[str, float]
    chapters: list[PlaceForecast]
    method: str
    papers: int


def exam_readiness(
    view: CatalogView,
    store: ExamStore,
    student_id: str,
    exam_id: str,
    *,
    config: ModelConfig,
    now: datetime,
) -> ExamReadiness:
    """The student's expected marks on the exam's paper, its 80% interval and, per chapter
    or topic, expected marks, marks at stake and the answer strategy under the marking
    scheme; a student never seen gets a new student's forecast (every skill estimated,
    the widest interval). Nothing is written.

    Raises:
        NotFound: no such exam.
        InvalidInput: a chapter or topic of the blueprint has no items any more.
    """
    setup = exam_places(store, exam_id)
    forecast = readiness_forecast(view, setup, student_id, config=config, now=now)
    return readiness_result(setup, forecast, student_id, today=now.date())


def readiness_result(
    setup: ExamPlaces, forecast: Readiness, student_id: str, *, today: date
) -> ExamReadiness:
    """`ExamReadiness` of a core forecast."""
    return ExamReadiness(
        student_id=student_id,
        exam_id=setup.exam.exam_id,
        exam_name=setup.exam.name,
        exam_date=setup.exam.exam_date,
        days_to_exam=(setup.exam.exam_date - today).days,
        expected=forecast.expected,
        low=forecast.low,
        high=forecast.high,
        max_marks=forecast.max_marks,
        estimated_marks=forecast.estimated_marks,
        break_even={s.name: break_even(s.marking) for s in setup.blueprint.sections},
        chapters=list(forecast.most_at_stake()),
        method=READINESS_METHOD,
        papers=forecast.papers,
    )


def place_shares(setup: ExamPlaces) -> dict[tuple[str, str], float]:
    """Per (skill, place), the share (0-1) of the place's items that test the skill."""
    counts: dict[str, int] = {}
    tested: dict[tuple[str, str], int] = {}
    for item in setup.items:
        place = setup.place_of[item.item_id]
        counts[place] = counts.get(place, 0) + 1
        for skill_id in item.difficulties:
            tested[(skill_id, place)] = tested.get((skill_id, place), 0) + 1
    return {key: n / counts[key[1]] for key, n in tested.items()}


def minutes_per_question(setup: ExamPlaces, *, default: float = 2.0) -> dict[str, float]:
    """Per skill, the median expected time (minutes) of its items with a known time."""
    times: dict[str, list[float]] = {}
    for item in setup.items:
        if item.expected_time_seconds:
            for skill_id in item.difficulties:
                times.setdefault(skill_id, []).append(item.expected_time_seconds / 60.0)
    return {s: float(np.median(t)) for s, t in times.items()} | {
        s: default for s in setup.skill_ids() if s not in times
    }


@dataclass(frozen=True, slots=True)
class ClassReadiness:
    """Readiness of several students for one exam, the least ready first."""

    exam_id: str
    exam_name: str
    exam_date: date
    days_to_exam: int
    max_marks: float
    students: list[ExamReadiness]


def class_readiness(
    log: PickLog,
    store: ExamStore,
    student_ids: Sequence[str],
    exam_id: str,
    *,
    config: ModelConfig,
    now: datetime,
) -> ClassReadiness:
    """Each student's readiness for the exam (`exam_readiness`), the lowest expected marks
    first.

    Raises:
        NotFound: no such exam.
    """
    setup = exam_places(store, exam_id)
    window = config.selection.recent_window
    found = [
        readiness_result(
            setup,
            readiness_forecast(log.view(s, recent_window=window), setup, s, config=config, now=now),
            s,
            today=now.date(),
        )
        for s in student_ids
    ]
    return ClassReadiness(
        exam_id=exam_id,
        exam_name=setup.exam.name,
        exam_date=setup.exam.exam_date,
        days_to_exam=(setup.exam.exam_date - now.date()).days,
        max_marks=setup.exam.total_marks,
        students=sorted(found, key=lambda r: r.expected),
    )
