"""Unit tests for `smartpractice.core.experiments.metrics` on small hand-built logs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.experiments.metrics import (
    METRIC_NAMES,
    AnswerRecord,
    MetricsConfig,
    StudentOutcome,
    ended_on_failure_streak,
    first_attempt_residuals,
    frustrations,
    metric_data,
    questions_to_mastery,
    returned_within,
    split_sessions,
    student_outcome,
    student_outcomes,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GAP = timedelta(minutes=30)


def answer(
    minutes: float,
    item: str = "q1",
    performance: float = 1.0,
    *,
    predicted: float = 0.7,
    neutral: float = 0.5,
    solution: bool = False,
    skills: tuple[str, ...] = ("s",),
    student: str = "stu-1",
) -> AnswerRecord:
    return AnswerRecord(
        student_id=student,
        item_id=item,
        occurred_at=T0 + timedelta(minutes=minutes),
        performance=performance,
        predicted=predicted,
        neutral_predicted=neutral,
        solution_viewed=solution,
        skills=skills,
    )


# --- sessions ----------------------------------------------------------------------------


def test_sessions_split_at_a_gap_of_30_minutes() -> None:
    # 0, 10, 39 (29 min later: same session), 69 (30 min later: new session), 200.
    answers = [answer(m) for m in (0, 10, 39, 69, 200)]
    sessions = split_sessions(answers, gap=GAP)
    assert [[a.occurred_at for a in s] for s in sessions] == [
        [answers[0].occurred_at, answers[1].occurred_at, answers[2].occurred_at],
        [answers[3].occurred_at],
        [answers[4].occurred_at],
    ]
    assert split_sessions([], gap=GAP) == []


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_sessions_keep_every_answer_in_order(minutes: list[int]) -> None:
    answers = [answer(m) for m in sorted(minutes)]
    sessions = split_sessions(answers, gap=GAP)
    assert [a for s in sessions for a in s] == answers
    for earlier, later in pairwise(sessions):
        assert later[0].occurred_at - earlier[-1].occurred_at >= GAP


# --- first attempts on unseen items ------------------------------------------------------


def test_first_attempt_residuals_count_only_new_items() -> None:
    answers = [
        answer(0, "q1", 1.0, neutral=0.6),  # new: +0.4
        answer(1, "q1", 0.0, neutral=0.6),  # a repeat: ignored
        answer(2, "q2", 0.0, neutral=0.3),  # new: -0.3
        answer(3, "q3", 1.0, neutral=0.9),  # seen before the experiment: ignored
        answer(4, "q4", 0.5, neutral=0.5),  # new, partial credit: 0
    ]
    residuals = first_attempt_residuals(answers, seen_before=frozenset({"q3"}))
    assert residuals == pytest.approx([0.4, -0.3, 0.0])


# --- return within 7 days ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_session_after", "observed_after", "expected"),
    [
        (timedelta(days=2), timedelta(days=3), True),
        (timedelta(days=7), timedelta(days=10), True),  # exactly 7 days after: in time
        (timedelta(days=8), timedelta(days=10), False),
        (None, timedelta(days=10), False),  # never came back, window over
        (None, timedelta(days=3), None),  # never came back yet, window still open
    ],
)
def test_return_within_seven_days_of_the_first_session(
    second_session_after: timedelta | None, observed_after: timedelta, expected: bool | None
) -> None:
    first = [answer(0), answer(5)]  # the first session ends at minute 5
    end = first[-1].occurred_at
    sessions = [first]
    if second_session_after is not None:
        sessions.append([answer((end - T0 + second_session_after).total_seconds() / 60)])
    result = returned_within(
        sessions, window=timedelta(days=7), observed_until=end + observed_after
    )
    assert result is expected


# --- guardrail counts --------------------------------------------------------------------


def test_frustration_is_a_failed_answer_the_model_thought_hard() -> None:
    answers = [
        answer(0, performance=0.0, predicted=0.2),  # hard and failed: a frustration
        answer(1, performance=0.4, predicted=0.29),  # partial credit below 0.5: failed
        answer(2, performance=1.0, predicted=0.2),  # hard but solved
        answer(3, performance=0.0, predicted=0.3),  # failed, but not below 0.3
        answer(4, performance=0.0, predicted=0.8),  # an easy one failed
    ]
    assert frustrations(answers, predicted_below=0.3, failure_below=0.5) == 2


@pytest.mark.parametrize(
    ("performances", "expected"),
    [
        ((1.0, 0.0, 0.0, 0.0), True),  # three failures, then nothing more
        ((0.0, 0.0, 0.0), True),
        ((0.0, 0.0, 0.0, 1.0), False),  # a success after the streak: did not give up
        ((1.0, 0.0, 0.0), False),  # only two failures at the end
        ((0.0, 0.0), False),  # too short for a streak
        ((0.2, 0.4, 0.3), True),  # partial credit below 0.5 is failure
    ],
)
def test_drop_off_is_a_session_ending_on_three_failures(
    performances: tuple[float, ...], expected: bool
) -> None:
    session = [answer(i, performance=p) for i, p in enumerate(performances)]
    assert ended_on_failure_streak(session, streak=3, failure_below=0.5) is expected


# --- questions to mastery ----------------------------------------------------------------


def test_questions_to_mastery_count_answers_on_the_skill_up_to_its_mastery_time() -> None:
    answers = [
        answer(0, "q1", skills=("a",)),
        answer(1, "q2", skills=("a", "b")),
        answer(2, "q3", skills=("b",)),
        answer(3, "q4", skills=("a",)),  # after a's mastery time: not counted
        answer(4, "q5", skills=("c",)),
    ]
    mastered_at = {
        "a": T0 + timedelta(minutes=2),  # answers at 0 and 1 (2 is on b only)
        "b": T0 + timedelta(minutes=2),  # answers at 1 and 2 (at the time itself counts)
        "d": T0,  # never practised: left out
    }
    assert questions_to_mastery(answers, mastered_at=mastered_at) == {"a": 2, "b": 2}


# --- the whole outcome -------------------------------------------------------------------


def test_student_outcome_on_a_small_log() -> None:
    answers = [
        # Session 1 (minutes 0-20): ends on three failures on hard items -> a drop-off.
        answer(0, "q1", 1.0, predicted=0.8, neutral=0.7, skills=("a",)),
        answer(10, "q2", 0.0, predicted=0.2, neutral=0.2, skills=("a",), solution=True),
        answer(15, "q3", 0.0, predicted=0.25, neutral=0.3, skills=("b",)),
        answer(20, "q4", 0.0, predicted=0.5, neutral=0.5, skills=("b",)),
        # Session 2, a day later: back, one repeat and one new item.
        answer(24 * 60, "q1", 1.0, predicted=0.9, neutral=0.7, skills=("a",)),
        answer(24 * 60 + 5, "q5", 1.0, predicted=0.6, neutral=0.4, skills=("a",)),
    ]
    observed_until = T0 + timedelta(days=10)
    outcome = student_outcome(
        list(reversed(answers)),  # any order
        observed_until=observed_until,
        mastered_at={"a": T0 + timedelta(days=1, minutes=5)},
    )
    # 0.3 - 0.2 - 0.3 - 0.5 + 0.6
    assert outcome.first_attempt_residual == pytest.approx(-0.1)
    assert replace(outcome, first_attempt_residual=0.0) == StudentOutcome(
        student_id="stu-1",
        answers=6,
        first_attempts=5,
        first_attempt_residual=0.0,
        sessions=2,
        closed_sessions=2,
        dropoffs=1,
        returned=True,
        frustrations=2,
        solutions_viewed=1,
        skills_practised=2,
        skills_mastered=1,
        mastery_questions=4,
    )


def test_a_session_still_open_at_the_cut_off_is_no_drop_off() -> None:
    answers = [answer(m, f"q{m}", 0.0) for m in (0, 1, 2)]
    still_open = student_outcome(answers, observed_until=T0 + timedelta(minutes=10))
    assert (still_open.closed_sessions, still_open.dropoffs) == (0, 0)
    over = student_outcome(answers, observed_until=T0 + timedelta(minutes=40))
    assert (over.closed_sessions, over.dropoffs) == (1, 1)


def test_outcomes_group_the_log_by_student() -> None:
    log = [
        answer(0, "q1", student="stu-1"),
        answer(1, "q1", student="stu-2"),
        answer(2, "q2", student="stu-1"),
    ]
    outcomes = student_outcomes(
        log,
        observed_until=T0 + timedelta(days=1),
        seen_before={"stu-2": frozenset({"q1"})},
        config=MetricsConfig(),
    )
    assert {s: (o.answers, o.first_attempts) for s, o in outcomes.items()} == {
        "stu-1": (2, 2),
        "stu-2": (1, 0),
    }


def test_an_empty_student_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one answer"):
        student_outcome([], observed_until=T0)


# --- metric data for the statistics ------------------------------------------------------


def _outcome(**fields: object) -> StudentOutcome:
    base: dict[str, object] = {
        "student_id": "stu",
        "answers": 10,
        "first_attempts": 4,
        "first_attempt_residual": 0.8,
        "sessions": 2,
        "closed_sessions": 2,
        "dropoffs": 1,
        "returned": True,
        "frustrations": 3,
        "solutions_viewed": 2,
        "skills_practised": 3,
        "skills_mastered": 1,
        "mastery_questions": 6,
    }
    base.update(fields)
    return StudentOutcome(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metric", "pair"),
    [
        ("first_attempt_residual", (0.8, 4.0)),
        ("questions_to_mastery", (6.0, 1.0)),
        ("mastered_share", (1.0, 3.0)),
        ("questions_per_session", (10.0, 2.0)),
        ("returned_within_window", (1.0, 1.0)),
        ("frustration_rate", (3.0, 10.0)),
        ("solution_view_rate", (2.0, 10.0)),
        ("dropoff_rate", (1.0, 2.0)),
    ],
)
def test_each_metric_is_a_total_over_a_count(metric: str, pair: tuple[float, float]) -> None:
    totals, counts = metric_data([_outcome()], metric=metric)
    assert (totals.tolist(), counts.tolist()) == ([pair[0]], [pair[1]])


def test_students_with_nothing_to_measure_are_left_out_of_a_metric() -> None:
    outcomes = [_outcome(returned=None), _outcome(returned=False), _outcome(skills_mastered=0)]
    totals, counts = metric_data(outcomes, metric="returned_within_window")
    assert (totals.tolist(), counts.tolist()) == ([0.0, 1.0], [1.0, 1.0])
    totals, counts = metric_data(outcomes[2:], metric="questions_to_mastery")
    assert totals.shape == counts.shape == (0,)
    assert set(METRIC_NAMES) >= {"first_attempt_residual", "frustration_rate", "dropoff_rate"}


def test_an_unknown_metric_is_named() -> None:
    with pytest.raises(ValueError, match="unknown metric 'speed'"):
        metric_data([_outcome()], metric="speed")
