"""Unit tests for `smartpractice.core.exam.blueprint`: the validator's messages and how
exam-like a source is."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from smartpractice.core.exam.blueprint import (
    Blueprint,
    MarkingScheme,
    Section,
    Weight,
    blueprint_problems,
    exam_likeness,
)
from tests.unit.exam.builders import JEE, TODAY, blueprint

KNOWN = {"p1", "p2"}


def test_a_valid_blueprint_has_no_problems() -> None:
    assert blueprint_problems(blueprint(), today=TODAY, known_places=KNOWN) == []
    # An exam today is not in the past.
    assert blueprint_problems(blueprint(days_ahead=0), today=TODAY, known_places=KNOWN) == []


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        # The weights must add up to the paper.
        (
            blueprint(total_marks=70.0),
            "total_marks: the weights add up to 64 marks, the paper has 70",
        ),
        (
            blueprint(total_questions=20),
            "total_questions: the weights add up to 16 questions, the paper has 20",
        ),
        (
            blueprint(days_ahead=-1),
            "exam_date: 2026-12-06 is in the past (today is 2026-12-07)",
        ),
        (
            blueprint((("p1", 8, 32.0), ("p9", 8, 32.0))),
            "sections['A'].weights['p9'].place: no chapter or topic 'p9' in the catalog",
        ),
        (
            blueprint((("p1", 0, 32.0), ("p2", 8, 32.0)), total_questions=8),
            "sections['A'].weights['p1'].questions: must be at least 1, got 0",
        ),
        (
            blueprint(marking=MarkingScheme(correct=4.0, wrong=1.0, unattempted=0.0)),
            "sections['A'].marking.wrong: a wrong answer (1.0) must not score more than "
            "leaving the question out (0.0)",
        ),
        (
            replace(blueprint(), duration_minutes=0.0),
            "duration_minutes: must be positive, got 0.0",
        ),
        (replace(blueprint(), blueprint_id=" "), "blueprint_id: must not be empty"),
    ],
)
def test_each_problem_names_the_field_and_the_problem(changed: Blueprint, message: str) -> None:
    problems = blueprint_problems(changed, today=TODAY, known_places=KNOWN)
    assert message in problems


def test_repeated_sections_and_places_are_reported() -> None:
    section = Section("A", JEE, (Weight("p1", 4, 16.0), Weight("p1", 4, 16.0)))
    paper = replace(blueprint(), sections=(section, section), total_questions=16)
    problems = blueprint_problems(paper, today=TODAY, known_places=KNOWN)
    assert "sections: the name 'A' is used more than once" in problems
    assert "sections['A'].weights['p1']: listed more than once in the section" in problems


def test_every_problem_is_reported_at_once() -> None:
    paper = blueprint(days_ahead=-30, total_marks=10.0)
    assert len(blueprint_problems(paper, today=TODAY, known_places=set())) == 4


def test_pyqs_of_the_exam_come_first_then_the_exam_like_sources_in_order() -> None:
    paper = blueprint()
    ranks = [
        exam_likeness(paper, source="pyq", exam="jee"),
        exam_likeness(paper, source="pyq", exam="neet"),
        exam_likeness(paper, source="ncert_exercise"),
        exam_likeness(paper, source="video_quiz"),
    ]
    assert ranks == [0, 1, 2, 3]
    assert exam_likeness(paper, source="pyq", exam="jee") < exam_likeness(
        replace(paper, exam_date=TODAY + timedelta(days=1), exam="neet"), source="pyq", exam="jee"
    )
