"""Mock tests: a paper assembled from the bank to a blueprint, and its score report.

Assembly, per section and chapter or topic of the blueprint: the place's items the student
has not answered in the last `exclude_days` days are split into difficulty terciles (by
rank, so ties do not empty a tercile); the place's questions are spread evenly over the
terciles (a remainder of one goes to the middle, of two to the outer ones), each tercile
served most exam-like first (`exam_likeness`: PYQs of this exam, then the blueprint's
exam-like sources), at random among equals; a tercile short of items is made up from the
others. The bank is sorted by item id first, so the same seed gives the same paper
whatever order the items come in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from smartpractice.core.exam.blueprint import Blueprint, MarkingScheme, exam_likeness
from smartpractice.core.exam.readiness import Readiness

__all__ = [
    "BankItem",
    "BankShortfallError",
    "MockPaper",
    "MockQuestion",
    "MockReport",
    "PlaceScore",
    "Shortfall",
    "assemble_mock_test",
    "mock_test_shortfalls",
    "score_mock_test",
]


@dataclass(frozen=True, slots=True)
class BankItem:
    """An item a mock test may use.

    Attributes:
        item_id: The item.
        place: The blueprint's chapter or topic key it belongs to.
        difficulty: Its difficulty (Elo points; the mean over its skills).
        source: Its source (``pyq``, ``ncert_exercise``, ...).
        exam: For a previous-year question, the exam it was set in (``"jee"``).
        last_answered_days_ago: Days since the student last answered it; None if never.
    """

    item_id: str
    place: str
    difficulty: float
    source: str
    exam: str | None = None
    last_answered_days_ago: float | None = None


@dataclass(frozen=True, slots=True)
class MockQuestion:
    """One question of a mock paper, worth `marks` under `marking` (scaled to its marks)."""

    item_id: str
    section: str
    place: str
    difficulty: float
    source: str
    marks: float
    marking: MarkingScheme


@dataclass(frozen=True, slots=True)
class MockPaper:
    """A mock paper: its questions in paper order and its maximum marks."""

    blueprint_id: str
    questions: tuple[MockQuestion, ...]
    max_marks: float


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A chapter or topic the bank cannot fill.

    Attributes:
        place: The chapter or topic key.
        needed: Questions the blueprint draws from it (over all sections).
        available: Its items the student has not answered recently.
        recent: Its items left out because answered within the exclusion window.
    """

    place: str
    needed: int
    available: int
    recent: int

    def message(self) -> str:
        """One sentence saying what is missing."""
        text = f"{self.place}: needs {self.needed} questions, {self.available} available"
        if self.recent:
            text += f" ({self.recent} more answered recently)"
        return text


class BankShortfallError(ValueError):
    """The bank cannot fill the blueprint; `shortfalls` says where and by how much."""

    def __init__(self, shortfalls: Sequence[Shortfall]) -> None:
        self.shortfalls = tuple(shortfalls)
        super().__init__(
            "the bank cannot fill the blueprint: " + "; ".join(s.message() for s in shortfalls)
        )


def _is_recent(item: BankItem, exclude_days: float) -> bool:
    days = item.last_answered_days_ago
    return days is not None and days < exclude_days


def mock_test_shortfalls(
    blueprint: Blueprint, *, bank: Sequence[BankItem], exclude_days: float = 30.0
) -> list[Shortfall]:
    """The places whose items not answered in the last `exclude_days` days are fewer than
    the questions the blueprint draws from them (empty when the bank can fill it)."""
    needed: dict[str, int] = {}
    for _, weight in blueprint.weights():
        needed[weight.place] = needed.get(weight.place, 0) + weight.questions
    fresh = dict.fromkeys(needed, 0)
    recent = dict.fromkeys(needed, 0)
    for item in _unique(bank):
        if item.place in needed:
            if _is_recent(item, exclude_days):
                recent[item.place] += 1
            else:
                fresh[item.place] += 1
    return [
        Shortfall(place=p, needed=n, available=fresh[p], recent=recent[p])
        for p, n in needed.items()
        if fresh[p] < n
    ]


def _tercile_targets(count: int) -> tuple[int, int, int]:
    base, rest = divmod(count, 3)
    if rest == 1:
        return base, base + 1, base
    if rest == 2:
        return base + 1, base, base + 1
    return base, base, base


def _unique(bank: Sequence[BankItem]) -> list[BankItem]:
    """The bank sorted by item id, each id once (the last entry wins), so the paper does
    not depend on the order the items came in."""
    return sorted({i.item_id: i for i in bank}.values(), key=lambda i: i.item_id)


def _terciles(
    blueprint: Blueprint, items: Sequence[BankItem], rng: np.random.Generator
) -> list[list[BankItem]]:
    """A place's items in difficulty terciles by rank (ties by id), each tercile most
    exam-like first, at random among equals."""
    noise = rng.random(len(items))
    ranked = sorted(zip(items, noise, strict=True), key=lambda p: (p[0].difficulty, p[0].item_id))
    return [
        [
            item
            for item, _ in sorted(
                (ranked[n] for n in tier),
                key=lambda p: (exam_likeness(blueprint, source=p[0].source, exam=p[0].exam), p[1]),
            )
        ]
        for tier in np.array_split(np.arange(len(ranked)), 3)
    ]


def _take(terciles: list[list[BankItem]], count: int) -> list[BankItem]:
    """Take `count` items off the front of the terciles, spread evenly; a short tercile is
    made up from the middle one first, then the easy, then the hard one."""
    chosen: list[BankItem] = []
    for tier, target in zip(terciles, _tercile_targets(count), strict=True):
        chosen += tier[:target]
        del tier[:target]
    for tier in (terciles[1], terciles[0], terciles[2]):
        take = count - len(chosen)
        chosen += tier[:take]
        del tier[:take]
    return chosen


def assemble_mock_test(
    blueprint: Blueprint,
    *,
    bank: Sequence[BankItem],
    rng: np.random.Generator,
    exclude_days: float = 30.0,
) -> MockPaper:
    """A paper matching the blueprint's counts per chapter or topic, spread over difficulty
    terciles, exam-like items first, none answered in the last `exclude_days` days.

    Args:
        blueprint: The paper's pattern.
        bank: Candidate items (any order; items of other places are ignored).
        rng: Randomness among equally exam-like items (seed it for a reproducible paper).
        exclude_days: Items answered fewer than this many days ago are left out.

    Raises:
        BankShortfallError: Some place has too few items (every such place is listed).
    """
    shortfalls = mock_test_shortfalls(blueprint, bank=bank, exclude_days=exclude_days)
    if shortfalls:
        raise BankShortfallError(shortfalls)
    fresh = [i for i in _unique(bank) if not _is_recent(i, exclude_days)]
    terciles = {
        place: _terciles(blueprint, [i for i in fresh if i.place == place], rng)
        for place in blueprint.places()
    }
    questions: list[MockQuestion] = []
    for section, weight in blueprint.weights():
        chosen = _take(terciles[weight.place], weight.questions)
        questions += [
            MockQuestion(
                item_id=i.item_id,
                section=section.name,
                place=weight.place,
                difficulty=i.difficulty,
                source=i.source,
                marks=weight.marks_per_question,
                marking=section.marking,
            )
            for i in sorted(chosen, key=lambda i: (i.difficulty, i.item_id))
        ]
    return MockPaper(
        blueprint_id=blueprint.blueprint_id,
        questions=tuple(questions),
        max_marks=sum(q.marks for q in questions),
    )


@dataclass(frozen=True, slots=True)
class PlaceScore:
    """A mock test's result on one chapter or topic.

    Attributes:
        place: The chapter or topic key.
        marks: Marks scored (negative marking can make it negative).
        max_marks: Marks it carried.
        right: Questions answered right.
        wrong: Questions answered wrong.
        unattempted: Questions left out.
        forecast: Marks the readiness forecast expected on it, if one was given.
    """

    place: str
    marks: float
    max_marks: float
    right: int
    wrong: int
    unattempted: int
    forecast: float | None = None


@dataclass(frozen=True, slots=True)
class MockReport:
    """A mock test's score against the readiness forecast.

    Attributes:
        marks: Marks scored.
        max_marks: The paper's maximum.
        places: Per chapter or topic, in paper order.
        forecast: The forecast's expected marks, if a forecast was given.
        within_interval: Whether the marks fell in the forecast's 80% interval.
    """

    marks: float
    max_marks: float
    places: tuple[PlaceScore, ...]
    forecast: float | None = None
    within_interval: bool | None = None


@dataclass(slots=True)
class _Tally:
    """Running totals of one place while scoring."""

    marks: float = 0.0
    max_marks: float = 0.0
    right: int = 0
    wrong: int = 0
    unattempted: int = 0


def score_mock_test(
    paper: MockPaper, *, answers: Mapping[str, bool | None], forecast: Readiness | None = None
) -> MockReport:
    """Score a mock test: per question, right (True), wrong (False) or left out (None or
    absent), marked by its section's scheme scaled to its marks; totals per place and
    against the readiness forecast when given.

    Raises:
        ValueError: An answer names an item that is not on the paper.
    """
    on_paper = {q.item_id for q in paper.questions}
    strangers = sorted(set(answers) - on_paper)
    if strangers:
        raise ValueError(f"answers for items not on the paper: {', '.join(strangers)}")
    tally: dict[str, _Tally] = {}
    for q in paper.questions:
        row = tally.setdefault(q.place, _Tally())
        answer = answers.get(q.item_id)
        size = q.marks / q.marking.correct
        row.max_marks += q.marks
        if answer is None:
            row.unattempted += 1
            row.marks += size * q.marking.unattempted
        elif answer:
            row.right += 1
            row.marks += size * q.marking.correct
        else:
            row.wrong += 1
            row.marks += size * q.marking.wrong
    expected = {p.place: p.expected for p in forecast.places} if forecast else {}
    places = tuple(
        PlaceScore(
            place=place,
            marks=row.marks,
            max_marks=row.max_marks,
            right=row.right,
            wrong=row.wrong,
            unattempted=row.unattempted,
            forecast=expected.get(place),
        )
        for place, row in tally.items()
    )
    marks = sum(p.marks for p in places)
    return MockReport(
        marks=marks,
        max_marks=paper.max_marks,
        places=places,
        forecast=forecast.expected if forecast else None,
        within_interval=forecast.low <= marks <= forecast.high if forecast else None,
    )
