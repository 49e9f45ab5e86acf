"""A whole experiment on a synthetic answer log, from assignment to the decision: the
shape of the simulated smart_practice-vs-textbook proof, with a known true effect.

Each student has a level b (probability points) and answers items whose neutral-rating
prediction n is known; the chance of success is ``n + b + effect`` for students of the
treatment arm, so the true difference in the first-attempt residual is `effect` exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from smartpractice.core.experiments.assignment import assign_arm
from smartpractice.core.experiments.metrics import (
    AnswerRecord,
    StudentOutcome,
    metric_data,
    student_outcomes,
)
from smartpractice.core.experiments.stats import (
    Difference,
    Guardrail,
    arm_estimate,
    check_guardrail,
    confidence_sequence,
    difference,
    mixture_scale,
)

T0 = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
ARMS = (("textbook", 0.5), ("smart_practice", 0.5))
STUDENTS = 80
ANSWERS = 10
LOOKS = 4
EFFECT = 0.08
TAU = mixture_scale(mde=EFFECT)
PRIMARY = "first_attempt_residual"


def synthetic_log(run: int, *, effect: float) -> tuple[list[AnswerRecord], dict[str, str]]:
    """Answers of `STUDENTS` students, one per minute from a start day spread over `LOOKS`
    days, and each student's arm."""
    rng = np.random.default_rng(run)
    experiment = f"exp-{run}"
    arms: dict[str, str] = {}
    log: list[AnswerRecord] = []
    for index in range(STUDENTS):
        student = f"stu-{index}"
        arms[student] = arm = assign_arm(experiment, student, ARMS)
        level = rng.uniform(-0.15, 0.15)
        neutral = rng.uniform(0.25, 0.75, size=ANSWERS)
        chance = neutral + level + (effect if arm == "smart_practice" else 0.0)
        success = rng.random(ANSWERS) < chance
        start = T0 + timedelta(days=index * LOOKS // STUDENTS)
        for k in range(ANSWERS):
            log.append(
                AnswerRecord(
                    student_id=student,
                    item_id=f"q{rng.integers(1000)}",
                    occurred_at=start + timedelta(minutes=k),
                    performance=float(success[k]),
                    predicted=float(chance[k]),
                    neutral_predicted=float(neutral[k]),
                )
            )
    return log, arms


def outcomes_at(log: list[AnswerRecord], day: int) -> dict[str, StudentOutcome]:
    """Every student's outcome from the log as of `day` (a look)."""
    until = T0 + timedelta(days=day)
    return student_outcomes((a for a in log if a.occurred_at < until), observed_until=until)


def look(
    log: list[AnswerRecord], arms: dict[str, str], day: int, metric: str = PRIMARY
) -> Difference:
    """The difference smart_practice - textbook on `metric`, from the log as of `day`."""
    return compare(outcomes_at(log, day), arms, metric)


def compare(outcomes: dict[str, StudentOutcome], arms: dict[str, str], metric: str) -> Difference:
    data = {
        name: metric_data([o for s, o in outcomes.items() if arms[s] == name], metric=metric)
        for name, _ in ARMS
    }
    return difference(
        treatment=arm_estimate(totals=data["smart_practice"][0], counts=data["smart_practice"][1]),
        control=arm_estimate(totals=data["textbook"][0], counts=data["textbook"][1]),
    )


def test_the_interval_covers_the_true_effect_in_at_least_90_of_100_runs() -> None:
    fixed = always_valid = 0
    for run in range(100):
        log, arms = synthetic_log(run, effect=EFFECT)
        final = look(log, arms, LOOKS)
        fixed += final.interval.contains(EFFECT)
        always_valid += confidence_sequence(difference=final, tau=TAU).contains(EFFECT)
    assert fixed >= 90
    assert always_valid >= 90


def test_a_null_experiment_is_flagged_in_at_most_5_of_100_runs_despite_daily_peeking() -> None:
    flagged = breached = 0
    frustration = Guardrail(metric="frustration_rate", margin=0.0, tau=mixture_scale(mde=0.05))
    for run in range(100, 200):
        log, arms = synthetic_log(run, effect=0.0)
        final = outcomes_at(log, LOOKS)
        differences = [look(log, arms, 2), look(log, arms, 3), compare(final, arms, PRIMARY)]
        flagged += any(
            not confidence_sequence(difference=d, tau=TAU).contains(0.0) for d in differences
        )
        guard = compare(final, arms, "frustration_rate")
        breached += check_guardrail(
            guardrail=frustration, difference=guard, min_students=10
        ).breached
    assert flagged <= 5
    assert breached <= 5
