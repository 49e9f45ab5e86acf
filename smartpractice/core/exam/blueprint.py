"""Exam blueprints: the pattern of a board, JEE or NEET paper, and its validation.

A blueprint says how a paper is drawn: sections, each with a marking scheme and, per
chapter or topic (a *place*), how many questions and marks it carries. The marks a place
carries are the sum of its questions' marks; the scheme is stated for one question worth
`MarkingScheme.correct` marks and scales to questions worth more or less (a board paper's
1-, 2- and 5-mark questions under ``+1 / 0 / 0``; JEE's 4-mark questions under ``+4 / -1 / 0``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Blueprint",
    "MarkingScheme",
    "Section",
    "Weight",
    "blueprint_problems",
    "exam_likeness",
]

_TOLERANCE = 1e-6  # marks: blueprints are written by hand with decimals such as 0.5


@dataclass(frozen=True, slots=True)
class MarkingScheme:
    """Marks for one question worth `correct` marks, by outcome.

    Attributes:
        correct: Marks for a right answer (> 0).
        wrong: Marks for a wrong answer (<= 0 under negative marking; never above
            `unattempted`).
        unattempted: Marks for leaving the question out (usually 0).
    """

    correct: float = 4.0
    wrong: float = -1.0
    unattempted: float = 0.0


@dataclass(frozen=True, slots=True)
class Weight:
    """What one chapter or topic carries in a section.

    Attributes:
        place: The chapter or topic key, as the catalog names it (for instance
            ``"physics:electrostatics"``).
        questions: Questions of the paper drawn from it (>= 1).
        marks: Total marks of those questions (> 0).
    """

    place: str
    questions: int
    marks: float

    @property
    def marks_per_question(self) -> float:
        """Average marks of one of its questions."""
        return self.marks / self.questions


@dataclass(frozen=True, slots=True)
class Section:
    """A section of the paper: one marking scheme, its chapters' and topics' weights.

    Attributes:
        name: Section name, unique in the blueprint (``"Physics A"``).
        marking: How its questions are marked.
        weights: Questions and marks per chapter or topic (each place once per section).
    """

    name: str
    marking: MarkingScheme
    weights: tuple[Weight, ...]


@dataclass(frozen=True, slots=True)
class Blueprint:
    """The pattern of one exam's paper.

    Attributes:
        blueprint_id: Stable id (``"jee-main-2027-jan"``).
        name: Display name.
        exam: The exam's key as PYQ items name it (``"jee"``, ``"neet"``, ``"cbse"``): its
            previous-year questions are the most exam-like practice.
        exam_date: Day of the exam.
        duration_minutes: Length of the paper (minutes, > 0).
        total_questions: Questions in the paper; the weights must add up to it.
        total_marks: Maximum marks of the paper; the weights must add up to it.
        sections: The paper's sections.
        exam_like_sources: Item sources that count as exam-like, most exam-like first
            (``("pyq", "ncert_exercise")``); mock tests and exam practice prefer them.
    """

    blueprint_id: str
    name: str
    exam: str
    exam_date: date
    duration_minutes: float
    total_questions: int
    total_marks: float
    sections: tuple[Section, ...]
    exam_like_sources: tuple[str, ...] = ("pyq",)

    def weights(self) -> Iterator[tuple[Section, Weight]]:
        """Every (section, weight) pair, in paper order."""
        for section in self.sections:
            for weight in section.weights:
                yield section, weight

    def places(self) -> tuple[str, ...]:
        """The chapters and topics the paper draws from, each once, in paper order."""
        return tuple(dict.fromkeys(w.place for _, w in self.weights()))


def exam_likeness(blueprint: Blueprint, *, source: str, exam: str | None = None) -> int:
    """How exam-like an item is for this blueprint, lower first: 0 for a previous-year
    question of the blueprint's own exam (source ``pyq``, `exam` its exam key), then each
    of `exam_like_sources` in order (1, 2, ...), then every other source. Exam practice
    and mock tests prefer lower values when the items are otherwise of equal value."""
    if source == "pyq" and exam == blueprint.exam:
        return 0
    if source in blueprint.exam_like_sources:
        return 1 + blueprint.exam_like_sources.index(source)
    return 1 + len(blueprint.exam_like_sources)


def blueprint_problems(
    blueprint: Blueprint, *, today: date, known_places: Collection[str]
) -> list[str]:
    """Everything wrong with a blueprint, one sentence each naming the field; empty when it
    is usable.

    Args:
        blueprint: The blueprint to check.
        today: The current day (an exam before it is in the past).
        known_places: Chapter and topic keys the catalog knows.
    """
    problems: list[str] = []
    if not blueprint.blueprint_id.strip():
        problems.append("blueprint_id: must not be empty")
    if not blueprint.name.strip():
        problems.append("name: must not be empty")
    if not blueprint.exam.strip():
        problems.append("exam: must not be empty (the exam key PYQ items carry, e.g. 'jee')")
    if blueprint.exam_date < today:
        problems.append(
            f"exam_date: {blueprint.exam_date.isoformat()} is in the past "
            f"(today is {today.isoformat()})"
        )
    if not blueprint.duration_minutes > 0:
        problems.append(f"duration_minutes: must be positive, got {blueprint.duration_minutes}")
    if not blueprint.sections:
        problems.append("sections: a paper needs at least one section")
    names = [s.name for s in blueprint.sections]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"sections: the name {name!r} is used more than once")
    for section in blueprint.sections:
        problems.extend(_section_problems(section, known_places))
    problems.extend(_total_problems(blueprint))
    return problems


def _section_problems(section: Section, known_places: Collection[str]) -> list[str]:
    where = f"sections[{section.name!r}]"
    problems: list[str] = []
    marking = section.marking
    if not marking.correct > 0:
        problems.append(f"{where}.marking.correct: must be positive, got {marking.correct}")
    if marking.wrong > marking.unattempted:
        problems.append(
            f"{where}.marking.wrong: a wrong answer ({marking.wrong}) must not score more than "
            f"leaving the question out ({marking.unattempted})"
        )
    if marking.unattempted >= marking.correct:
        problems.append(
            f"{where}.marking.unattempted: leaving a question out ({marking.unattempted}) must "
            f"score less than a right answer ({marking.correct})"
        )
    if not section.weights:
        problems.append(f"{where}.weights: a section needs at least one chapter or topic")
    seen: set[str] = set()
    for weight in section.weights:
        at = f"{where}.weights[{weight.place!r}]"
        if weight.place in seen:
            problems.append(f"{at}: listed more than once in the section")
        seen.add(weight.place)
        if weight.place not in known_places:
            problems.append(f"{at}.place: no chapter or topic {weight.place!r} in the catalog")
        if weight.questions < 1:
            problems.append(f"{at}.questions: must be at least 1, got {weight.questions}")
        if not weight.marks > 0:
            problems.append(f"{at}.marks: must be positive, got {weight.marks}")
    return problems


def _total_problems(blueprint: Blueprint) -> list[str]:
    problems: list[str] = []
    questions = sum(w.questions for _, w in blueprint.weights())
    marks = sum(w.marks for _, w in blueprint.weights())
    if questions != blueprint.total_questions:
        problems.append(
            f"total_questions: the weights add up to {questions} questions, "
            f"the paper has {blueprint.total_questions}"
        )
    if abs(marks - blueprint.total_marks) > _TOLERANCE:
        problems.append(
            f"total_marks: the weights add up to {marks:g} marks, "
            f"the paper has {blueprint.total_marks:g}"
        )
    return problems
