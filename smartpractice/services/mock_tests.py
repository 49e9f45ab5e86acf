"""Mock tests: a paper assembled to an exam's blueprint from the bank (`core.exam.mock_test`),
its answers received as attempts with ``mode: "mock_test"`` and its score report against
the readiness forecast made when it was assembled."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.exam.blueprint import MarkingScheme
from smartpractice.core.exam.mock_test import (
    BankItem,
    BankShortfallError,
    MockPaper,
    MockQuestion,
    assemble_mock_test,
    score_mock_test,
)
from smartpractice.core.exam.readiness import PlaceForecast, Readiness
from smartpractice.services.exams import exam_places, readiness_forecast
from smartpractice.services.ports import (
    CatalogView,
    ExamStore,
    InvalidInput,
    NotFound,
    StoredPaper,
)
from smartpractice.services.schemas import AttemptIn

__all__ = [
    "MOCK_TEST_MODE",
    "RIGHT_SCORE",
    "ChapterScore",
    "MockTest",
    "MockTestQuestion",
    "MockTestReport",
    "create_mock_test",
    "mock_test_report",
    "record_mock_answers",
]

MOCK_TEST_MODE = "mock_test"
"""The `mode` of an attempt that answers a mock test."""
RIGHT_SCORE = 0.5
"""An answer to a mock test with a score (0-1) at least this is marked right."""


@dataclass(frozen=True, slots=True)
class MockTestQuestion:
    """One question of a mock paper: its item, section, chapter or topic, its marks and
    the marks of a right, wrong and left-out answer."""

    item_id: str
    section: str
    place: str
    source: str
    difficulty: float
    marks: float
    right: float
    wrong: float
    unattempted: float


@dataclass(frozen=True, slots=True)
class MockTest:
    """A mock paper for a student: its questions in paper order, sections, maximum marks,
    seed (the same seed and bank give the same paper) and the readiness forecast at
    creation (expected marks and the 80% interval)."""

    paper_id: str
    student_id: str
    exam_id: str
    seed: int
    created_at: datetime
    exclude_days: float
    sections: list[str]
    max_marks: float
    questions: list[MockTestQuestion]
    forecast_expected: float
    forecast_low: float
    forecast_high: float


@dataclass(frozen=True, slots=True)
class ChapterScore:
    """A mock test's result on one chapter or topic, and the marks forecast on it."""

    place: str
    marks: float
    max_marks: float
    right: int
    wrong: int
    unattempted: int
    forecast: float | None


@dataclass(frozen=True, slots=True)
class MockTestReport:
    """A mock test's score: marks (unanswered questions count as left out), per chapter or
    topic, against the forecast made at creation; `complete` once every question has an
    answer."""

    paper_id: str
    student_id: str
    exam_id: str
    complete: bool
    answered: int
    questions: int
    marks: float
    max_marks: float
    forecast_expected: float
    forecast_low: float
    forecast_high: float
    within_interval: bool
    chapters: list[ChapterScore]


def create_mock_test(
    view: CatalogView,
    store: ExamStore,
    student_id: str,
    exam_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int,
    exclude_days: float = 30.0,
) -> MockTest:
    """Assemble and store a mock paper matching the exam's blueprint (questions per chapter
    or topic, a difficulty spread, the most exam-like items first) from items the student
    has not answered in the last `exclude_days` days.

    Raises:
        NotFound: no such exam.
        InvalidInput: the bank cannot fill the blueprint (each short chapter or topic is
            named with the questions needed and available); nothing is stored.
    """
    setup = exam_places(store, exam_id)
    hours, _ = view.history(student_id, [i.item_id for i in setup.items], now=now)
    bank = [
        BankItem(
            item_id=i.item_id,
            place=setup.place_of[i.item_id],
            difficulty=sum(i.difficulties.values()) / len(i.difficulties),
            source=i.source,
            exam=i.exam,
            last_answered_days_ago=hours[i.item_id] / 24.0 if i.item_id in hours else None,
        )
        for i in setup.items
        if i.difficulties
    ]
    try:
        paper = assemble_mock_test(
            setup.blueprint, bank=bank, rng=np.random.default_rng(seed), exclude_days=exclude_days
        )
    except BankShortfallError as error:
        raise InvalidInput(
            [
                {"loc": ["query", "exam", s.place], "msg": f"the bank cannot fill: {s.message()}"}
                for s in error.shortfalls
            ]
        ) from None
    forecast = readiness_forecast(view, setup, student_id, config=config, now=now)
    stored = StoredPaper(
        paper_id=f"mock-{uuid.uuid4().hex[:20]}",
        student_id=student_id,
        exam_id=exam_id,
        seed=seed,
        item_ids=[q.item_id for q in paper.questions],
        paper={
            "questions": [dataclasses.asdict(q) for q in paper.questions],
            "max_marks": paper.max_marks,
            "exclude_days": exclude_days,
            "sections": [s.name for s in setup.blueprint.sections],
            "forecast": _forecast_json(forecast),
        },
        answers={},
        created_at=now,
    )
    store.save_paper(stored)
    return _mock_test(stored)


def _forecast_json(forecast: Readiness) -> dict[str, Any]:
    return {
        "expected": forecast.expected,
        "low": forecast.low,
        "high": forecast.high,
        "max_marks": forecast.max_marks,
        "estimated_marks": forecast.estimated_marks,
        "papers": forecast.papers,
        "places": [dataclasses.asdict(p) for p in forecast.places],
    }


def _forecast(stored: StoredPaper) -> Readiness:
    data = dict(stored.paper["forecast"])
    places = tuple(PlaceForecast(**p) for p in data.pop("places"))
    return Readiness(places=places, **data)


def _paper(stored: StoredPaper) -> MockPaper:
    questions = []
    for q in stored.paper["questions"]:
        fields = dict(q)
        fields["marking"] = MarkingScheme(**fields["marking"])
        questions.append(MockQuestion(**fields))
    return MockPaper(
        blueprint_id=stored.exam_id,
        questions=tuple(questions),
        max_marks=float(stored.paper["max_marks"]),
    )


def _mock_test(stored: StoredPaper) -> MockTest:
    forecast = _forecast(stored)
    questions = []
    for q in _paper(stored).questions:
        size = q.marks / q.marking.correct
        questions.append(
            MockTestQuestion(
                item_id=q.item_id,
                section=q.section,
                place=q.place,
                source=q.source,
                difficulty=q.difficulty,
                marks=q.marks,
                right=size * q.marking.correct,
                wrong=size * q.marking.wrong,
                unattempted=size * q.marking.unattempted,
            )
        )
    return MockTest(
        paper_id=stored.paper_id,
        student_id=stored.student_id,
        exam_id=stored.exam_id,
        seed=stored.seed,
        created_at=stored.created_at,
        exclude_days=float(stored.paper["exclude_days"]),
        sections=list(stored.paper["sections"]),
        max_marks=float(stored.paper["max_marks"]),
        questions=questions,
        forecast_expected=forecast.expected,
        forecast_low=forecast.low,
        forecast_high=forecast.high,
    )


def _report(stored: StoredPaper) -> MockTestReport:
    forecast = _forecast(stored)
    report = score_mock_test(_paper(stored), answers=stored.answers, forecast=forecast)
    return MockTestReport(
        paper_id=stored.paper_id,
        student_id=stored.student_id,
        exam_id=stored.exam_id,
        complete=set(stored.answers) >= set(stored.item_ids),
        answered=len(stored.answers),
        questions=len(stored.item_ids),
        marks=report.marks,
        max_marks=report.max_marks,
        forecast_expected=forecast.expected,
        forecast_low=forecast.low,
        forecast_high=forecast.high,
        within_interval=bool(report.within_interval),
        chapters=[
            ChapterScore(
                place=p.place,
                marks=p.marks,
                max_marks=p.max_marks,
                right=p.right,
                wrong=p.wrong,
                unattempted=p.unattempted,
                forecast=p.forecast,
            )
            for p in report.places
        ],
    )


def mock_test_report(store: ExamStore, paper_id: str) -> MockTestReport:
    """A mock test's score report so far (unanswered questions count as left out).

    Raises:
        NotFound: no such paper.
    """
    stored = store.paper(paper_id)
    if stored is None:
        raise NotFound(f"mock test {paper_id!r}")
    return _report(stored)


def record_mock_answers(store: ExamStore, attempts: Sequence[AttemptIn]) -> list[MockTestReport]:
    """Record the answers among `attempts` that name a mock test (right when the score is
    at least `RIGHT_SCORE`); the score reports of the papers these answers completed.

    Raises:
        InvalidInput: an answer names an unknown paper, another student's paper, an item
            not on the paper, or lacks ``mode: "mock_test"`` (loc: its index, the field).
    """
    errors: list[dict[str, Any]] = []
    papers: dict[str, StoredPaper] = {}
    answers: dict[str, dict[str, bool]] = {}
    for index, attempt in enumerate(attempts):
        if attempt.paper_id is None:
            continue
        paper = papers.get(attempt.paper_id) or store.paper(attempt.paper_id)
        if paper is None:
            errors.append({"loc": [index, "paper_id"], "msg": "no such mock test"})
            continue
        papers[paper.paper_id] = paper
        if attempt.mode != MOCK_TEST_MODE:
            errors.append(
                {
                    "loc": [index, "mode"],
                    "msg": f"an answer to a mock test has mode {MOCK_TEST_MODE!r}",
                }
            )
        if paper.student_id != attempt.student_id:
            errors.append({"loc": [index, "paper_id"], "msg": "the paper is another student's"})
        if attempt.item_id not in paper.item_ids:
            errors.append({"loc": [index, "item_id"], "msg": "not a question of this paper"})
        answers.setdefault(paper.paper_id, {})[attempt.item_id] = attempt.score >= RIGHT_SCORE
    if errors:
        raise InvalidInput(errors)
    completed = []
    for paper_id, new in answers.items():
        before = papers[paper_id]
        was_complete = set(before.answers) >= set(before.item_ids)
        store.record_answers(paper_id, new)
        after = dataclasses.replace(before, answers={**before.answers, **new})
        if not was_complete and set(after.answers) >= set(after.item_ids):
            completed.append(_report(after))
    return completed
