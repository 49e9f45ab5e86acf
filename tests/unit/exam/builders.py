"""Small blueprints, pools and banks shared by the exam tests."""

from __future__ import annotations

from datetime import date, timedelta

from smartpractice.core.exam.blueprint import Blueprint, MarkingScheme, Section, Weight

TODAY = date(2026, 12, 7)
JEE = MarkingScheme(correct=4.0, wrong=-1.0, unattempted=0.0)


def blueprint(
    weights: tuple[tuple[str, int, float], ...] = (("p1", 8, 32.0), ("p2", 8, 32.0)),
    *,
    marking: MarkingScheme = JEE,
    days_ahead: int = 60,
    total_questions: int | None = None,
    total_marks: float | None = None,
) -> Blueprint:
    """A one-section blueprint; totals default to the weights' sums."""
    section = Section("A", marking, tuple(Weight(p, q, m) for p, q, m in weights))
    return Blueprint(
        blueprint_id="jee-mock",
        name="JEE Main practice paper",
        exam="jee",
        exam_date=TODAY + timedelta(days=days_ahead),
        duration_minutes=180.0,
        total_questions=sum(q for _, q, _ in weights)
        if total_questions is None
        else total_questions,
        total_marks=sum(m for _, _, m in weights) if total_marks is None else total_marks,
        sections=(section,),
        exam_like_sources=("pyq", "ncert_exercise"),
    )
