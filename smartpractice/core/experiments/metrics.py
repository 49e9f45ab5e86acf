"""Per-student outcomes of an experiment, computed from the answer log.

Every function here is pure and works on plain `AnswerRecord`s. `student_outcomes` folds a
log into one `StudentOutcome` per student; `metric_data` turns those into the per-student
(total, count) pairs that `smartpractice.core.experiments.stats.arm_estimate` clusters by
student. The metrics:

* learning: ``first_attempt_residual``, performance on the first answer to an item the
  student had not seen, above the success the model predicts for a neutral rating on that
  item (so harder items are not penalised: a policy that serves hard items is compared on
  what its students do beyond the item's difficulty); ``questions_to_mastery``, answers on
  a skill up to its mastery decision, per mastered skill, read with ``mastered_share`` (a
  policy that masters fewer skills is not better because the ones it masters were quick);
* engagement: ``questions_per_session``; ``returned_within_window``, a new session within
  7 days of the end of the student's first one;
* guardrails: ``frustration_rate``, the share of answers that failed although the model
  gave them under 0.3 chance (hard items served and failed); ``solution_view_rate``;
  ``dropoff_rate``, the share of finished sessions that ended on a streak of 3 failures.

Times are timezone-aware datetimes; performance and predictions are probabilities 0-1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

__all__ = [
    "METRIC_NAMES",
    "AnswerRecord",
    "MetricsConfig",
    "StudentOutcome",
    "ended_on_failure_streak",
    "first_attempt_residuals",
    "frustrations",
    "metric_data",
    "questions_to_mastery",
    "returned_within",
    "split_sessions",
    "student_outcome",
    "student_outcomes",
]


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer of the log, as the experiment metrics need it.

    Attributes:
        student_id: Who answered.
        item_id: Which item.
        occurred_at: When (timezone-aware).
        performance: The grader's score (0-1); below `MetricsConfig.failure_below` is a failure.
        predicted: The model's predicted success (0-1) for this student, before the answer;
            when the arms run different models, take it from one reference model in both.
        neutral_predicted: Predicted success (0-1) of a student at the neutral (initial)
            rating on this item. Take the item's difficulty from a snapshot frozen at the
            start of the experiment: difficulties learnt during it depend on the arms.
        solution_viewed: The student opened the worked solution.
        skills: The skills the item tests.
    """

    student_id: str
    item_id: str
    occurred_at: datetime
    performance: float
    predicted: float
    neutral_predicted: float
    solution_viewed: bool = False
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """The thresholds of the metrics."""

    session_gap: timedelta = timedelta(minutes=30)
    """A gap of at least this between two answers starts a new session."""
    return_window: timedelta = timedelta(days=7)
    """A student returned when a new session starts within this after the first one ends."""
    failure_below: float = 0.5
    """Performance (0-1) below this is a failure."""
    frustration_below: float = 0.3
    """A failed answer the model gave less than this chance (0-1) is a frustration."""
    failure_streak: int = 3
    """Failures in a row that end a session for it to count as a drop-off."""


@dataclass(frozen=True, slots=True)
class StudentOutcome:
    """What one student did in the experiment (counts are >= 0).

    Attributes:
        student_id: The student.
        answers: Answers in the log.
        first_attempts: First answers to items the student had not seen before.
        first_attempt_residual: Sum over those of ``performance - neutral_predicted``.
        sessions: Sessions (answers separated by less than the session gap).
        closed_sessions: Sessions over by the end of observation (the last answer at least
            a session gap before it); only these can end in a drop-off.
        dropoffs: Closed sessions that ended on a failure streak.
        returned: A new session within the return window after the first session ended;
            None while that window is not over and the student has not returned.
        frustrations: Answers that failed with predicted success below the threshold.
        solutions_viewed: Answers with the worked solution viewed.
        skills_practised: Skills with at least one answer.
        skills_mastered: Practised skills with a mastery time.
        mastery_questions: Sum over mastered skills of the answers on the skill up to and
            including its mastery time.
    """

    student_id: str
    answers: int
    first_attempts: int
    first_attempt_residual: float
    sessions: int
    closed_sessions: int
    dropoffs: int
    returned: bool | None
    frustrations: int
    solutions_viewed: int
    skills_practised: int
    skills_mastered: int
    mastery_questions: int


def split_sessions(answers: Sequence[AnswerRecord], *, gap: timedelta) -> list[list[AnswerRecord]]:
    """One student's answers, sorted by time, cut into sessions wherever two consecutive
    answers are at least `gap` apart."""
    sessions: list[list[AnswerRecord]] = []
    for answer in answers:
        if sessions and answer.occurred_at - sessions[-1][-1].occurred_at < gap:
            sessions[-1].append(answer)
        else:
            sessions.append([answer])
    return sessions


def first_attempt_residuals(
    answers: Sequence[AnswerRecord], *, seen_before: frozenset[str] = frozenset()
) -> list[float]:
    """``performance - neutral_predicted`` (-1 to 1) of every first answer, in time order,
    to an item not in `seen_before` (items the student met before the experiment)."""
    seen = set(seen_before)
    residuals: list[float] = []
    for answer in answers:
        if answer.item_id not in seen:
            seen.add(answer.item_id)
            residuals.append(answer.performance - answer.neutral_predicted)
    return residuals


def returned_within(
    sessions: Sequence[Sequence[AnswerRecord]], *, window: timedelta, observed_until: datetime
) -> bool | None:
    """Whether the student started a new session within `window` after the end of the
    first one; None when they have not and the window is still open at `observed_until`."""
    if not sessions:
        return None
    first_end = sessions[0][-1].occurred_at
    if len(sessions) > 1 and sessions[1][0].occurred_at - first_end <= window:
        return True
    # Not yet returned: a "no" is only known once the window has passed.
    return False if observed_until >= first_end + window else None


def frustrations(
    answers: Iterable[AnswerRecord], *, predicted_below: float, failure_below: float
) -> int:
    """Answers that failed (performance below `failure_below`) on an item the model gave
    less than `predicted_below` chance (0-1)."""
    return sum(
        1 for a in answers if a.predicted < predicted_below and a.performance < failure_below
    )


def ended_on_failure_streak(
    session: Sequence[AnswerRecord], *, streak: int, failure_below: float
) -> bool:
    """Whether the session's last `streak` answers all failed: the student gave up after
    them (no further answer in the session)."""
    if streak < 1 or len(session) < streak:
        return False
    return all(a.performance < failure_below for a in session[-streak:])


def questions_to_mastery(
    answers: Iterable[AnswerRecord], *, mastered_at: Mapping[str, datetime]
) -> dict[str, int]:
    """Per practised skill with a mastery time: the answers on it at or before that time
    (a skill mastered before any answer on it, from related evidence, counts 0)."""
    counts: dict[str, int] = {}
    practised: set[str] = set()
    for answer in answers:
        for skill in answer.skills:
            practised.add(skill)
            at = mastered_at.get(skill)
            if at is not None and answer.occurred_at <= at:
                counts[skill] = counts.get(skill, 0) + 1
    return {skill: counts.get(skill, 0) for skill in mastered_at if skill in practised}


def student_outcome(
    answers: Sequence[AnswerRecord],
    *,
    observed_until: datetime,
    mastered_at: Mapping[str, datetime] | None = None,
    seen_before: frozenset[str] = frozenset(),
    config: MetricsConfig | None = None,
) -> StudentOutcome:
    """Fold one student's answers (any order) into their outcome.

    Args:
        answers: The student's answers in the experiment (at least one).
        observed_until: End of the observation (the log's cut-off time).
        mastered_at: Per skill, when the path first decided it mastered (none: no skill).
        seen_before: Items the student answered before the experiment.
        config: Metric thresholds (defaults: `MetricsConfig()`).
    """
    if not answers:
        raise ValueError("a student outcome needs at least one answer")
    config = config or MetricsConfig()
    ordered = sorted(answers, key=lambda a: a.occurred_at)
    sessions = split_sessions(ordered, gap=config.session_gap)
    closed = [s for s in sessions if observed_until - s[-1].occurred_at >= config.session_gap]
    residuals = first_attempt_residuals(ordered, seen_before=seen_before)
    mastery = questions_to_mastery(ordered, mastered_at=mastered_at or {})
    practised = {skill for a in ordered for skill in a.skills}
    return StudentOutcome(
        student_id=ordered[0].student_id,
        answers=len(ordered),
        first_attempts=len(residuals),
        first_attempt_residual=float(sum(residuals)),
        sessions=len(sessions),
        closed_sessions=len(closed),
        dropoffs=sum(
            ended_on_failure_streak(
                s, streak=config.failure_streak, failure_below=config.failure_below
            )
            for s in closed
        ),
        returned=returned_within(
            sessions, window=config.return_window, observed_until=observed_until
        ),
        frustrations=frustrations(
            ordered,
            predicted_below=config.frustration_below,
            failure_below=config.failure_below,
        ),
        solutions_viewed=sum(1 for a in ordered if a.solution_viewed),
        skills_practised=len(practised),
        skills_mastered=len(mastery),
        mastery_questions=sum(mastery.values()),
    )


def student_outcomes(
    answers: Iterable[AnswerRecord],
    *,
    observed_until: datetime,
    mastered_at: Mapping[str, Mapping[str, datetime]] | None = None,
    seen_before: Mapping[str, frozenset[str]] | None = None,
    config: MetricsConfig | None = None,
) -> dict[str, StudentOutcome]:
    """`student_outcome` for every student of a log (any order), by student id.

    `mastered_at` and `seen_before` are keyed by student id (missing: none)."""
    by_student: dict[str, list[AnswerRecord]] = {}
    for answer in answers:
        by_student.setdefault(answer.student_id, []).append(answer)
    mastered_at = mastered_at or {}
    seen_before = seen_before or {}
    return {
        student: student_outcome(
            own,
            observed_until=observed_until,
            mastered_at=mastered_at.get(student),
            seen_before=seen_before.get(student, frozenset()),
            config=config,
        )
        for student, own in by_student.items()
    }


def _returned(outcome: StudentOutcome) -> tuple[float, float]:
    if outcome.returned is None:
        return 0.0, 0.0  # window still open: the student is left out
    return (1.0 if outcome.returned else 0.0), 1.0


_METRICS: dict[str, Callable[[StudentOutcome], tuple[float, float]]] = {
    "first_attempt_residual": lambda o: (o.first_attempt_residual, o.first_attempts),
    "questions_to_mastery": lambda o: (o.mastery_questions, o.skills_mastered),
    "mastered_share": lambda o: (o.skills_mastered, o.skills_practised),
    "questions_per_session": lambda o: (o.answers, o.sessions),
    "returned_within_window": _returned,
    "frustration_rate": lambda o: (o.frustrations, o.answers),
    "solution_view_rate": lambda o: (o.solutions_viewed, o.answers),
    "dropoff_rate": lambda o: (o.dropoffs, o.closed_sessions),
}

METRIC_NAMES: tuple[str, ...] = tuple(_METRICS)
"""Every metric `metric_data` knows (see the module docstring)."""


def metric_data(
    outcomes: Iterable[StudentOutcome], *, metric: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-student (totals, counts) of one metric for one arm, the input of `arm_estimate`;
    students with count 0 (nothing to measure) are left out.

    Raises:
        ValueError: `metric` is not one of `METRIC_NAMES`.
    """
    extract = _METRICS.get(metric)
    if extract is None:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRIC_NAMES)}")
    pairs = [extract(o) for o in outcomes]
    kept = [(total, count) for total, count in pairs if count > 0]
    data = np.array(kept, dtype=np.float64).reshape(-1, 2)
    return data[:, 0].copy(), data[:, 1].copy()
