"""An experiment's results, measured from the event log through the pure core.

Each assigned student is measured on their applied attempts after their first exposure
(intention to treat: every answer, in the scope or not, until the experiment stopped);
items they answered before it count as seen. `core.experiments.metrics` turns the answers
into per-student outcomes, `core.experiments.stats` into per-arm estimates clustered by
student, differences against the control (the first arm) with a fixed-horizon 95% interval
and an always-valid confidence sequence, guardrail checks and a sample-size plan.

Guardrails are checked whenever results are computed (the API's GET, the dashboard, the
CLI report): a breach flags the experiment and, with `auto_stop`, stops it; the caller then
writes the stop to the audit log with `record_guardrail_stop`. The check is always valid,
so checking at every look is safe.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from smartpractice.core.config import ModelConfig
from smartpractice.core.experiments.metrics import (
    METRIC_NAMES,
    AnswerRecord,
    MetricsConfig,
    StudentOutcome,
    metric_data,
    student_outcomes,
)
from smartpractice.core.experiments.stats import (
    ArmEstimate,
    Difference,
    Guardrail,
    arm_estimate,
    check_guardrail,
    confidence_sequence,
    difference,
    mixture_scale,
    sample_size,
)
from smartpractice.core.rating.elo import expected_success
from smartpractice.services.access import record_audit
from smartpractice.services.experiments import experiment
from smartpractice.services.ports import (
    AccessStore,
    ExperimentAnswer,
    ExperimentAssignment,
    ExperimentRecord,
    ExperimentStore,
)

__all__ = [
    "ALPHA",
    "GUARDRAIL_STOP_ACTION",
    "GUARDRAIL_STOP_ACTOR",
    "OUTCOME_COLUMNS",
    "ArmResult",
    "Comparison",
    "ExperimentResults",
    "GuardrailResult",
    "Look",
    "MetricValue",
    "OutcomeRow",
    "PlannedSize",
    "experiment_outcomes",
    "experiment_results",
    "outcomes_csv",
    "record_guardrail_stop",
]

log = logging.getLogger(__name__)

ALPHA = 0.05
"""The experiment's false-positive budget: the primary metric's comparisons share it with
nothing; the guardrails split their own budget of the same size (Bonferroni)."""
MIN_STUDENTS = 30
"""Students needed in each arm before anything is decided (normal approximation)."""
LOOKS = 12
"""Points of the primary metric's history (the dashboard's chart)."""
_GUARDRAIL_FLOOR = 0.01
"""Smallest harm beyond the margin a guardrail's sequence is tuned for (metric units)."""


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric in one arm: the ratio estimate, its clustered standard error, and the
    students and units (answers, sessions, skills) it rests on."""

    value: float | None
    standard_error: float | None
    students: int
    count: float


@dataclass(frozen=True, slots=True)
class ArmResult:
    """One arm: its measured students (exposed, with at least one answer since), the
    picks logged under it and every metric."""

    name: str
    policy: str
    share: float
    students: int
    picks: int
    metrics: dict[str, MetricValue]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment arm minus control on one metric.

    Attributes:
        interval: Fixed-horizon 95% interval [low, high]: valid only read once, at the
            planned sample size.
        sequence: Always-valid 95% interval [low, high]: valid at every look.
        conclusive: The always-valid interval excludes 0 (and both arms have
            `MIN_STUDENTS` students).
    """

    metric: str
    arm: str
    control: str
    estimate: float
    interval: tuple[float, float]
    sequence: tuple[float, float]
    conclusive: bool


@dataclass(frozen=True, slots=True)
class GuardrailResult:
    """One guardrail for one treatment arm at this look."""

    metric: str
    arm: str
    margin: float
    harmful: str
    breached: bool
    sequence: tuple[float, float]
    reason: str


@dataclass(frozen=True, slots=True)
class Look:
    """The primary metric's difference (first treatment arm minus control) at one time."""

    at: datetime
    students: int
    estimate: float | None
    interval: tuple[float, float] | None
    sequence: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class PlannedSize:
    """Students per arm to detect the minimum detectable effect with power 0.8, from the
    control's observed spread (None until it has two students): `fixed` for one
    pre-registered read, `sequential` for the always-valid monitor."""

    sd: float | None
    fixed_per_arm: int | None
    sequential_per_arm: int | None


@dataclass(frozen=True, slots=True)
class ExperimentResults:
    """Everything the report, the dashboard and the API show about an experiment.

    `breach_action` is what this computation did on a guardrail breach it found while the
    experiment ran: "flagged", "stopped" (`auto_stop`), or None (nothing new)."""

    experiment: ExperimentRecord
    computed_at: datetime
    observed_until: datetime
    arms: list[ArmResult]
    comparisons: list[Comparison]
    guardrails: list[GuardrailResult]
    history: list[Look]
    planned: PlannedSize
    verdict: str
    breach_action: Literal["flagged", "stopped"] | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One student's outcome (the CSV export): arm, first exposure and the counts of
    `core.experiments.metrics.StudentOutcome`."""

    arm: str
    first_exposure_at: datetime
    outcome: StudentOutcome


def _neutral(answer: ExperimentAnswer, config: ModelConfig) -> float:
    """Predicted success (0-1) of a student at the initial rating: the item's difficulty on
    the probability scale (as it was when the experiment started)."""
    rating = config.elo.initial_student_rating
    difficulties = list(answer.difficulties.values()) or [config.elo.unlabelled_difficulty]
    chances = [
        expected_success(rating=rating, difficulty=d, scale=config.elo.scale) for d in difficulties
    ]
    return sum(chances) / len(chances)


@dataclass(frozen=True, slots=True)
class _Data:
    assignments: list[ExperimentAssignment]
    answers: list[ExperimentAnswer]
    mastery: dict[str, dict[str, datetime]]


def _outcomes(
    data: _Data, *, until: datetime, config: ModelConfig
) -> dict[str, tuple[ExperimentAssignment, StudentOutcome]]:
    exposed = {a.student_id: a for a in data.assignments if a.first_exposure_at <= until}
    records: list[AnswerRecord] = []
    seen_before: dict[str, set[str]] = {}
    for answer in data.answers:
        assignment = exposed.get(answer.student_id)
        if assignment is None or answer.occurred_at > until:
            continue
        if answer.occurred_at < assignment.first_exposure_at:
            seen_before.setdefault(answer.student_id, set()).add(answer.item_id)
            continue
        records.append(
            AnswerRecord(
                student_id=answer.student_id,
                item_id=answer.item_id,
                occurred_at=answer.occurred_at,
                performance=answer.performance,
                predicted=answer.predicted,
                neutral_predicted=_neutral(answer, config),
                solution_viewed=answer.solution_viewed,
                skills=tuple(sorted(answer.difficulties)),
            )
        )
    mastered = {
        student: {s: t for s, t in skills.items() if t <= until}
        for student, skills in data.mastery.items()
        if student in exposed
    }
    found = student_outcomes(
        records,
        observed_until=until,
        mastered_at=mastered,
        seen_before={s: frozenset(i) for s, i in seen_before.items()},
        config=MetricsConfig(),
    )
    return {student: (exposed[student], found[student]) for student in found}


def _estimate(outcomes: Sequence[StudentOutcome], metric: str) -> ArmEstimate | None:
    totals, counts = metric_data(outcomes, metric=metric)
    if len(totals) == 0 or counts.sum() <= 0:
        return None
    return arm_estimate(totals=totals, counts=counts)


def _by_arm(
    outcomes: Mapping[str, tuple[ExperimentAssignment, StudentOutcome]], names: Sequence[str]
) -> dict[str, list[StudentOutcome]]:
    grouped: dict[str, list[StudentOutcome]] = {name: [] for name in names}
    for assignment, outcome in outcomes.values():
        grouped.setdefault(assignment.arm, []).append(outcome)
    return grouped


def _difference(
    grouped: Mapping[str, Sequence[StudentOutcome]], arm: str, control: str, metric: str
) -> Difference | None:
    treated, base = _estimate(grouped[arm], metric), _estimate(grouped[control], metric)
    if treated is None or base is None or treated.students < 2 or base.students < 2:
        return None
    return difference(treatment=treated, control=base)


def _interval(low: float, high: float) -> tuple[float, float]:
    return (low, high)


def _comparisons(
    found: ExperimentRecord, grouped: Mapping[str, Sequence[StudentOutcome]]
) -> list[Comparison]:
    control = found.arms[0].name
    tau = mixture_scale(mde=found.minimum_detectable_effect)
    comparisons = []
    for arm in found.arms[1:]:
        for metric in METRIC_NAMES:
            diff = _difference(grouped, arm.name, control, metric)
            if diff is None:
                continue
            sequence = confidence_sequence(difference=diff, tau=tau, alpha=ALPHA)
            comparisons.append(
                Comparison(
                    metric=metric,
                    arm=arm.name,
                    control=control,
                    estimate=diff.estimate,
                    interval=_interval(diff.interval.low, diff.interval.high),
                    sequence=_interval(sequence.low, sequence.high),
                    conclusive=diff.students >= MIN_STUDENTS
                    and not sequence.low <= 0.0 <= sequence.high,
                )
            )
    return comparisons


def _guardrails(
    found: ExperimentRecord, grouped: Mapping[str, Sequence[StudentOutcome]]
) -> list[GuardrailResult]:
    control = found.arms[0].name
    checks = max(1, len(found.guardrails) * (len(found.arms) - 1))
    results = []
    for arm in found.arms[1:]:
        for spec in found.guardrails:
            diff = _difference(grouped, arm.name, control, spec.metric)
            if diff is None:
                continue
            harmful: Literal["increase", "decrease"] = (
                "decrease" if spec.harmful == "decrease" else "increase"
            )
            check = check_guardrail(
                guardrail=Guardrail(
                    metric=spec.metric,
                    margin=spec.margin,
                    tau=mixture_scale(mde=max(spec.margin, _GUARDRAIL_FLOOR)),
                    harmful=harmful,
                    alpha=ALPHA / checks,
                ),
                difference=diff,
                min_students=MIN_STUDENTS,
            )
            results.append(
                GuardrailResult(
                    metric=spec.metric,
                    arm=arm.name,
                    margin=spec.margin,
                    harmful=harmful,
                    breached=check.breached,
                    sequence=_interval(check.interval.low, check.interval.high),
                    reason=f"{arm.name}: {check.reason}",
                )
            )
    return results


def _look_times(start: datetime, until: datetime) -> list[datetime]:
    if until <= start:
        return [until]
    step = max((until - start) / LOOKS, timedelta(hours=1))
    times: list[datetime] = []
    at = start + step
    while at < until and len(times) < LOOKS - 1:
        times.append(at)
        at += step
    return [*times, until]


def _history(
    found: ExperimentRecord, data: _Data, config: ModelConfig, until: datetime
) -> list[Look]:
    if len(found.arms) < 2:
        return []
    start = found.started_at or found.created_at
    tau = mixture_scale(mde=found.minimum_detectable_effect)
    control, arm = found.arms[0].name, found.arms[1].name
    looks = []
    for at in _look_times(start, until):
        grouped = _by_arm(_outcomes(data, until=at, config=config), [a.name for a in found.arms])
        diff = _difference(grouped, arm, control, found.primary_metric)
        students = sum(len(v) for v in grouped.values())
        if diff is None:
            looks.append(Look(at, students, None, None, None))
            continue
        sequence = confidence_sequence(difference=diff, tau=tau, alpha=ALPHA)
        looks.append(
            Look(
                at,
                students,
                diff.estimate,
                _interval(diff.interval.low, diff.interval.high),
                _interval(sequence.low, sequence.high),
            )
        )
    return looks


def _planned(found: ExperimentRecord, control: ArmEstimate | None) -> PlannedSize:
    if control is None or control.students < 2 or not control.sd > 0:
        return PlannedSize(None, None, None)
    mde = found.minimum_detectable_effect
    fixed = sample_size(mde=mde, sd=control.sd, alpha=ALPHA)
    sequential = sample_size(mde=mde, sd=control.sd, alpha=ALPHA, sequential=True)
    return PlannedSize(control.sd, fixed.control, sequential.control)


def _verdict(
    found: ExperimentRecord, comparisons: Sequence[Comparison], arms: Sequence[ArmResult]
) -> str:
    smallest = min((a.students for a in arms), default=0)
    if smallest < MIN_STUDENTS:
        return f"too early: {smallest} students in the smallest arm, {MIN_STUDENTS} needed"
    primary = [c for c in comparisons if c.metric == found.primary_metric]
    conclusive = [c for c in primary if c.conclusive]
    if not conclusive:
        return (
            f"no difference on {found.primary_metric} yet: every always-valid interval "
            "holds 0; keep going, or stop at the planned sample size"
        )
    return "; ".join(
        f"{c.arm} {'above' if c.estimate > 0 else 'below'} {c.control} on {c.metric}: "
        f"{c.estimate:+.4g} (always valid [{c.sequence[0]:.4g}, {c.sequence[1]:.4g}])"
        for c in conclusive
    )


def _load(store: ExperimentStore, experiment_id: str) -> _Data:
    assignments = store.assignments(experiment_id)
    students = [a.student_id for a in assignments]
    answers = store.answers(experiment_id, students)
    return _Data(assignments, answers, store.mastery_times(students))


def experiment_results(
    store: ExperimentStore,
    experiment_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    history: bool = True,
) -> ExperimentResults:
    """Measure the experiment now, check its guardrails and act on a breach (flag it;
    stop it when `auto_stop`).

    Raises:
        NotFound: no such experiment.
    """
    found = experiment(store, experiment_id)
    until = found.stopped_at if found.stopped_at is not None else now
    data = _load(store, experiment_id)
    names = [a.name for a in found.arms]
    grouped = _by_arm(_outcomes(data, until=until, config=config), names)
    picks = store.picks_per_arm(experiment_id)
    arms = []
    for arm in found.arms:
        metrics = {}
        for metric in METRIC_NAMES:
            estimate = _estimate(grouped[arm.name], metric)
            metrics[metric] = (
                MetricValue(None, None, 0, 0.0)
                if estimate is None
                else MetricValue(
                    estimate.value, estimate.variance**0.5, estimate.students, estimate.count
                )
            )
        arms.append(
            ArmResult(
                arm.name,
                arm.policy,
                arm.share,
                len(grouped[arm.name]),
                picks.get(arm.name, 0),
                metrics,
            )
        )
    comparisons = _comparisons(found, grouped)
    guardrails = _guardrails(found, grouped)
    breached = [g for g in guardrails if g.breached]
    breach_action: Literal["flagged", "stopped"] | None = None
    if breached and found.status == "running":
        reason = "guardrail breached: " + "; ".join(g.reason for g in breached)
        found = dataclasses.replace(found, flag=reason)
        if found.auto_stop:
            found = dataclasses.replace(found, status="stopped", stopped_at=now, stop_reason=reason)
        store.save_state(found)
        breach_action = "stopped" if found.status == "stopped" else "flagged"
        # Whoever watches the logs learns of it even if nobody opens the page again.
        log.warning(
            "experiment %s: %s",
            found.experiment_id,
            breach_action,
            extra={"action": "experiment_guardrail", "experiment_id": found.experiment_id},
        )
    return ExperimentResults(
        experiment=found,
        computed_at=now,
        observed_until=until,
        arms=arms,
        comparisons=comparisons,
        guardrails=guardrails,
        history=_history(found, data, config, until) if history else [],
        planned=_planned(found, _estimate(grouped[names[0]], found.primary_metric)),
        verdict=_verdict(found, comparisons, arms),
        breach_action=breach_action,
    )


GUARDRAIL_STOP_ACTION = "experiment.guardrail_stop"
"""The audit log's action for an experiment stopped by a guardrail breach."""

GUARDRAIL_STOP_ACTOR = "system"
"""The audit log's actor for the service's own actions: no key asked for the stop."""


def record_guardrail_stop(
    store: AccessStore, results: ExperimentResults, *, tenant_id: str
) -> bool:
    """Write the stop to tenant `tenant_id`'s audit log when `results` stopped the
    experiment on a guardrail breach (`breach_action == "stopped"`); True when it did.

    The entry names the experiment and, per breached guardrail, its metric, the treatment
    arm, the harmful direction, the margin and the always-valid interval of the difference
    (treatment - control, in the metric's units) that crossed it.
    """
    if results.breach_action != "stopped":
        return False
    breached: list[dict[str, Any]] = [
        {
            "metric": g.metric,
            "arm": g.arm,
            "harmful": g.harmful,
            "margin": g.margin,
            "interval": list(g.sequence),
        }
        for g in results.guardrails
        if g.breached
    ]
    record_audit(
        store,
        tenant_id=tenant_id,
        key_name=GUARDRAIL_STOP_ACTOR,
        action=GUARDRAIL_STOP_ACTION,
        detail={"experiment_id": results.experiment.experiment_id, "guardrails": breached},
    )
    return True


def experiment_outcomes(
    store: ExperimentStore, experiment_id: str, *, config: ModelConfig, now: datetime
) -> list[OutcomeRow]:
    """Every exposed student's outcome, by student id (the CSV export).

    Raises:
        NotFound: no such experiment.
    """
    found = experiment(store, experiment_id)
    until = found.stopped_at if found.stopped_at is not None else now
    data = _load(store, experiment_id)
    outcomes = _outcomes(data, until=until, config=config)
    return [
        OutcomeRow(assignment.arm, assignment.first_exposure_at, outcome)
        for _, (assignment, outcome) in sorted(outcomes.items())
    ]


OUTCOME_COLUMNS = (
    "student_id",
    "arm",
    "first_exposure_at",
    "answers",
    "first_attempts",
    "first_attempt_residual",
    "sessions",
    "closed_sessions",
    "dropoffs",
    "returned",
    "frustrations",
    "solutions_viewed",
    "skills_practised",
    "skills_mastered",
    "mastery_questions",
)
"""The CSV export's columns: the student, their arm and first exposure (ISO 8601, UTC),
then `StudentOutcome`'s counts (`first_attempt_residual` is a sum over first attempts;
`returned` is empty while the return window is open)."""


def outcomes_csv(rows: Sequence[OutcomeRow]) -> str:
    """The per-student outcomes as CSV text (a header, then one line per student)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OUTCOME_COLUMNS)
    for row in rows:
        o = row.outcome
        writer.writerow(
            [
                o.student_id,
                row.arm,
                row.first_exposure_at.isoformat().replace("+00:00", "Z"),
                o.answers,
                o.first_attempts,
                round(o.first_attempt_residual, 6),
                o.sessions,
                o.closed_sessions,
                o.dropoffs,
                "" if o.returned is None else int(o.returned),
                o.frustrations,
                o.solutions_viewed,
                o.skills_practised,
                o.skills_mastered,
                o.mastery_questions,
            ]
        )
    return buffer.getvalue()
