"""Exam mode of Smart Practice: the chapter or topic of the paper worth the most expected
exam marks per hour of mastering it (`core.exam.planning.place_value`: marks at stake over
the learning path's expected questions to mastery), kept until the path decides it is
mastered, and Smart Practice within it (as topic-by-topic practice does), previous-year
questions of the exam preferred among items of equal value. The skills' marks per hour
(`rank_exam_practice`) explain the pick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.exam.planning import (
    ExamSkill,
    PlaceValue,
    PracticeValue,
    days_to_exam,
    place_value,
    rank_exam_practice,
)
from smartpractice.core.rating.elo import days_between
from smartpractice.services.exams import ExamPlaces, exam_places, minutes_per_question, place_shares
from smartpractice.services.ports import (
    CatalogView,
    ExamStore,
    InvalidInput,
    NotFound,
    PickLog,
    Scope,
)
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
    "choose_place",
    "exam_next_question",
    "exam_practice_values",
    "pick_exam_item",
    "place_scope",
]

EXAM_MODE = "exam"
"""The `mode` of next-question (and of the selection log) in exam mode."""


def _exam_skills(
    setup: ExamPlaces, planned: StudentPath, *, now: datetime, only: set[str] | None = None
) -> list[ExamSkill]:
    """The exam's skills (those in `only`, when given) as the planning core sees them, one
    per (skill, place), in key order."""
    minutes = minutes_per_question(setup)
    student = planned.student
    skills = []
    for (skill_id, place), share in sorted(place_shares(setup).items()):
        view = planned.views.get(skill_id)
        if view is None or (only is not None and skill_id not in only):
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
    return skills


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
    _check_date(setup, now)
    exam_skills = {skill_id for skill_id, _ in place_shares(setup)}
    # Nothing of the exam open (the path's open steps all remediate skills outside it):
    # every skill of the exam that is not locked.
    open_skills = set(planned.path.practise) & exam_skills or {
        s.skill_id for s in planned.path.steps if s.status != "locked"
    }
    ranked = rank_exam_practice(
        _exam_skills(setup, planned, now=now, only=open_skills),
        blueprint=setup.blueprint,
        today=now.date(),
        config=config.path,
        scale=config.elo.scale,
    )
    best: dict[str, PracticeValue] = {}
    for value in ranked:
        best.setdefault(value.skill_id, value)
    return tuple(best.values())


def _check_date(setup: ExamPlaces, now: datetime) -> None:
    try:
        days_to_exam(setup.blueprint, today=now.date())
    except ValueError as error:
        raise InvalidInput([{"loc": ["query", "exam"], "msg": str(error)}]) from None


def place_scope(setup: ExamPlaces, place: str) -> Scope:
    """The scope of one chapter or topic of the blueprint (a chapter when items carry it as
    their chapter, else a topic)."""
    if any(i.chapter == place for i in setup.items):
        return Scope(chapter=place)
    return Scope(topic=place)


def choose_place(
    view: CatalogView,
    setup: ExamPlaces,
    planned: StudentPath,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    mastered: frozenset[str],
) -> tuple[str, tuple[PlaceValue, ...]]:
    """The chapter or topic to practise, decided again at every question: among those the
    learning path does not hold mastered (phase `consolidation`), practice is shared in
    proportion to each one's marks per hour of mastering it (`place_value`: the marks at
    stake over the path's expected questions to mastery), and the one furthest below its
    share of the student's answers on these places is chosen (the largest remainder, as
    in proportional apportionment); ties in value order. Equal chapters get equal shares
    (topic-by-topic practice, interleaved); a chapter worth twice as much per hour gets
    twice the questions, not all of them (practice has diminishing returns that a constant
    rate does not see). Returns it and the places ranked by marks per hour."""
    skills = _exam_skills(setup, planned, now=now)
    values = []
    phases: dict[str, str] = {}
    for place in setup.blueprint.places():
        path = plan_student_path(
            view,
            student_id,
            place_scope(setup, place),
            config=config,
            now=now,
            previously_mastered=mastered,
        ).path
        phases[place] = path.phase
        values.append(
            place_value(
                place,
                skills,
                blueprint=setup.blueprint,
                expected_questions=path.expected_questions,
                scale=config.elo.scale,
            )
        )
    ranked = tuple(sorted(values, key=lambda v: -v.marks_per_hour))  # ties: paper order
    unmastered = [v for v in ranked if phases[v.place] != "consolidation"] or list(ranked)
    practised = _practised(setup, planned)
    total_value = sum(v.marks_per_hour for v in unmastered)
    total_done = sum(practised.get(v.place, 0.0) for v in unmastered)
    if total_value <= 0:
        return unmastered[0].place, ranked
    best = max(
        unmastered,
        key=lambda v: (
            v.marks_per_hour / total_value * (total_done + 1.0) - practised.get(v.place, 0.0)
        ),
    )
    return best.place, ranked


def _practised(setup: ExamPlaces, planned: StudentPath) -> dict[str, float]:
    """Per place, the student's answers on its skills (each skill weighted by its share of
    the place's items)."""
    done: dict[str, float] = {}
    for (skill_id, place), share in place_shares(setup).items():
        offset = planned.student.offsets.get(skill_id)
        if offset is not None:
            done[place] = done.get(place, 0.0) + share * offset.attempts
    return done


def pick_exam_item(
    view_log: PickLog,
    setup: ExamPlaces,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    seed: int | None,
) -> tuple[Pick, PracticeValue, tuple[PracticeValue, ...], Scope]:
    """Exam mode's pick (nothing written): the chapter or topic (`choose_place`), then
    Smart Practice within it; returns the pick, the value of the skill it practises, the
    skills ranked by marks per hour and the scope practised.

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
    place, _ = choose_place(
        view,
        setup,
        planned,
        student_id,
        config=config,
        now=now,
        mastered=mastered,
    )
    scope = place_scope(setup, place)
    pick = pick_next_item(
        view,
        student_id,
        scope,
        config=config,
        now=now,
        seed=seed,
        previously_mastered=mastered,
        preference=setup.likeness(),
    )
    # The value shown is that of the skill the path focused on (the place's best otherwise).
    chosen = next(
        (v for v in ranked if v.skill_id == pick.path.focus),
        next((v for v in ranked if (v.skill_id, place) in place_shares(setup)), ranked[0]),
    )
    return pick, chosen, ranked, scope


def _explained(
    pick: Pick,
    top: PracticeValue,
    ranked: tuple[PracticeValue, ...],
    scope: Scope,
    exam_id: str,
    days: int,
) -> dict[str, Any]:
    explanation = dict(pick.explanation)
    explanation["reasons"] = [f"{top.skill_id}: {top.explanation}", *explanation["reasons"]]
    explanation["mode"] = EXAM_MODE
    explanation["exam"] = {
        "exam_id": exam_id,
        "days_to_exam": days,
        "place": scope.chapter or scope.topic,
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
    pick, top, ranked, practised = pick_exam_item(
        log, setup, student_id, config=config, now=now, seed=seed
    )
    days = (setup.exam.exam_date - now.date()).days
    explanation = _explained(pick, top, ranked, practised, exam_id, days)
    scope = {**practised.as_dict(), "mode": EXAM_MODE, "exam": exam_id}
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
