"""Exam mode of Smart Practice: the skill worth the most expected exam marks per hour of
practice before the exam date (`core.exam.planning`), the item within it by Smart
Practice's item-level selection, previous-year questions of the exam preferred among items
of equal value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.exam.planning import (
    ExamSkill,
    PracticeValue,
    days_to_exam,
    rank_exam_practice,
)
from smartpractice.core.rating.elo import days_between
from smartpractice.services.exams import ExamPlaces, exam_places, minutes_per_question, place_shares
from smartpractice.services.ports import ExamStore, InvalidInput, NotFound, PickLog, Scope
from smartpractice.services.practice import (
    NextQuestion,
    Pick,
    StudentPath,
    last_mastered,
    pick_next_item,
    plan_student_path,
)

__all__ = [
    "EXAM_MODE",
    "TOP_SKILLS",
    "exam_next_question",
    "exam_practice_values",
    "pick_exam_item",
    "practice_scope",
]

EXAM_MODE = "exam"
"""The `mode` of next-question (and of the selection log) in exam mode."""
TOP_SKILLS = 5
"""Exam mode practises among the most valuable skills, not only the first: one skill alone
often has too few items, and repeating an item just answered teaches little (measured:
docs/decisions/2026-12-07-exam-readiness.md)."""


def exam_practice_values(
    setup: ExamPlaces, planned: StudentPath, *, config: ModelConfig, now: datetime
) -> tuple[PracticeValue, ...]:
    """The exam's skills open for practice on the student's path (`LearningPath.practise`:
    remediation, review, diagnostic and frontier steps, so that prerequisites come before
    what builds on them), ranked by expected exam marks per hour of practising them now; a
    skill in several chapters or topics counts by its most valuable one.

    Raises:
        InvalidInput: the exam date is in the past.
    """
    try:
        days_to_exam(setup.blueprint, today=now.date())
    except ValueError as error:
        raise InvalidInput([{"loc": ["query", "exam"], "msg": str(error)}]) from None
    minutes = minutes_per_question(setup)
    student = planned.student
    skills = []
    shares = place_shares(setup)
    exam_skills = {skill_id for skill_id, _ in shares}
    # Nothing of the exam open (the path's open steps all remediate skills outside it):
    # every skill of the exam that is not locked.
    open_skills = set(planned.path.practise) & exam_skills or {
        s.skill_id for s in planned.path.steps if s.status != "locked"
    }
    for (skill_id, place), share in sorted(shares.items()):
        view = planned.views.get(skill_id)
        if view is None or skill_id not in open_skills:
            continue
        offset = student.offsets.get(skill_id)
        skills.append(
            ExamSkill(
                skill_id=skill_id,
                place=place,
                share=share,
                rating=view.rating,
                typical_difficulty=view.typical_difficulty,
                correct=offset.correct if offset else 0,
                days_since=days_between(offset.last_at, now)
                if offset is not None and offset.last_at is not None
                else None,
                minutes_per_question=minutes.get(skill_id, 2.0),
            )
        )
    ranked = rank_exam_practice(
        skills,
        blueprint=setup.blueprint,
        today=now.date(),
        config=config.path,
        scale=config.elo.scale,
    )
    best: dict[str, PracticeValue] = {}
    for value in ranked:
        best.setdefault(value.skill_id, value)
    return tuple(best.values())


def pick_exam_item(
    view_log: PickLog,
    setup: ExamPlaces,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None,
) -> tuple[Pick, PracticeValue, tuple[PracticeValue, ...]]:
    """Exam mode's pick (nothing written): the most valuable skills (`practice_scope`),
    then the item; returns the pick, the value of the skill it practises and the ranking.

    Raises:
        InvalidInput: the exam date is in the past.
        NotFound: no skill of the exam is open for practice.
    """
    view = view_log.view(student_id, recent_window=config.selection.recent_window)
    mastered = last_mastered(view_log, student_id)
    planned = plan_student_path(
        view,
        student_id,
        Scope(skills=tuple(sorted(setup.skill_ids()))),
        config=config,
        now=now,
        previously_mastered=mastered,
    )
    ranked = exam_practice_values(setup, planned, config=config, now=now)
    if not ranked:
        raise NotFound(f"nothing open for practice in exam {setup.exam.exam_id!r}")
    pick = pick_next_item(
        view,
        student_id,
        practice_scope(ranked),
        config=config,
        now=now,
        seed=seed,
        previously_mastered=mastered,
        preference=setup.likeness(),
    )
    # The value shown is that of the skill the path focused on among the top skills.
    chosen = next((v for v in ranked if v.skill_id == pick.path.focus), ranked[0])
    return pick, chosen, ranked


def practice_scope(ranked: Sequence[PracticeValue]) -> Scope:
    """The scope exam mode picks the item in: the `TOP_SKILLS` most valuable skills."""
    return Scope(skills=tuple(v.skill_id for v in ranked[:TOP_SKILLS]))


def _explained(
    pick: Pick, top: PracticeValue, ranked: tuple[PracticeValue, ...], exam_id: str, days: int
) -> dict[str, Any]:
    explanation = dict(pick.explanation)
    explanation["reasons"] = [f"{top.skill_id}: {top.explanation}", *explanation["reasons"]]
    explanation["mode"] = EXAM_MODE
    explanation["exam"] = {
        "exam_id": exam_id,
        "days_to_exam": days,
        "skill_id": top.skill_id,
        "marks_per_hour": top.marks_per_hour,
        "learning": top.learning,
        "review": top.review,
        "paper_share": top.paper_share,
        "proficiency": top.proficiency,
        "ranked": [
            {"skill_id": v.skill_id, "marks_per_hour": v.marks_per_hour} for v in ranked[:5]
        ],
    }
    return explanation


def exam_next_question(
    log: PickLog,
    store: ExamStore,
    student_id: str,
    exam_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None = None,
) -> NextQuestion:
    """Pick, log (with its mode and exam) and explain the next exam-mode item; the first
    reason reads "worth about 3.2 expected marks per hour: 6% of the paper, proficiency
    41%".

    Raises:
        NotFound: no such exam, or nothing open for practice.
        InvalidInput: the exam date is in the past.
    """
    setup = exam_places(store, exam_id)
    pick, top, ranked = pick_exam_item(log, setup, student_id, config=config, now=now, seed=seed)
    days = (setup.exam.exam_date - now.date()).days
    explanation = _explained(pick, top, ranked, exam_id, days)
    scope = {**practice_scope(ranked).as_dict(), "mode": EXAM_MODE, "exam": exam_id}
    selection_id, item = log.log_pick(
        student_id=student_id,
        item_id=pick.selection.chosen.item_id,
        scope=scope,
        explanation=explanation,
        at=now,
    )
    return NextQuestion(
        student_id=student_id, selection_id=selection_id, item=item, explanation=explanation
    )
