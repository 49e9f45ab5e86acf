"""The experiments' use cases on an in-memory store: plan validation, overlap, serving under
an arm, and results that flag (and stop) an experiment on a guardrail breach."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from smartpractice.core.config import ModelConfig
from smartpractice.core.experiments.assignment import assign_arm
from smartpractice.services.experiment_results import (
    experiment_outcomes,
    experiment_results,
    outcomes_csv,
)
from smartpractice.services.experiments import (
    arm_config,
    create_experiment,
    override_problems,
    scopes_overlap,
    serve_under,
    start_experiment,
    stop_experiment,
)
from smartpractice.services.ports import (
    ExperimentAnswer,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentGuardrail,
    ExperimentRecord,
    ExperimentStore,
    InvalidInput,
    Scope,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class MemoryExperimentStore:
    """`ExperimentStore` over dictionaries."""

    def __init__(self) -> None:
        self.experiments: dict[str, ExperimentRecord] = {}
        self.arms: dict[tuple[str, str], ExperimentAssignment] = {}
        self.answer_log: list[ExperimentAnswer] = []

    def add(self, experiment: ExperimentRecord) -> bool:
        if experiment.experiment_id in self.experiments:
            return False
        self.experiments[experiment.experiment_id] = experiment
        return True

    def get(self, experiment_id: str) -> ExperimentRecord | None:
        return self.experiments.get(experiment_id)

    def all(self) -> list[ExperimentRecord]:
        return sorted(self.experiments.values(), key=lambda e: e.created_at, reverse=True)

    def running(self) -> list[ExperimentRecord]:
        return [e for e in self.experiments.values() if e.status == "running"]

    def save_state(self, experiment: ExperimentRecord) -> None:
        self.experiments[experiment.experiment_id] = experiment

    def arm_of(self, experiment_id: str, student_id: str) -> str | None:
        found = self.arms.get((experiment_id, student_id))
        return found.arm if found else None

    def assign(self, experiment_id: str, student_id: str, arm: str, *, at: datetime) -> None:
        self.arms.setdefault((experiment_id, student_id), ExperimentAssignment(student_id, arm, at))

    def assignments(self, experiment_id: str) -> list[ExperimentAssignment]:
        return [a for (e, _), a in sorted(self.arms.items()) if e == experiment_id]

    def freeze_difficulties(self, experiment_id: str) -> int:
        return 0

    def answers(self, experiment_id: str, student_ids: Collection[str]) -> list[ExperimentAnswer]:
        return [a for a in self.answer_log if a.student_id in student_ids]

    def mastery_times(self, student_ids: Collection[str]) -> dict[str, dict[str, datetime]]:
        return {}

    def picks_per_arm(self, experiment_id: str) -> dict[str, int]:
        return {}


def _plan(experiment_id: str = "e1", **changes: object) -> ExperimentRecord:
    plan = ExperimentRecord(
        experiment_id=experiment_id,
        hypothesis="h",
        scope=Scope(subject="Maths", topic="Algebra"),
        arms=(
            ExperimentArm("control", 0.5),
            ExperimentArm("treatment", 0.5, overrides={"selection": {"target_success": 0.8}}),
        ),
        primary_metric="first_attempt_residual",
        guardrails=(ExperimentGuardrail("solution_view_rate", 0.05),),
        minimum_detectable_effect=0.05,
        planned_students=100,
        orthogonal=False,
        auto_stop=True,
        status="draft",
        created_at=T0,
    )
    return dataclasses.replace(plan, **changes)  # type: ignore[arg-type]


# (overrides, the message expected; None: valid)
OVERRIDES = [
    ({"selection": {"target_success": 0.7, "recent_window": 10}}, None),
    ({"path": {"mastery_level": 0.85}}, None),
    ({"selection": {"target_sucess": 0.7}}, "unknown setting selection.target_sucess"),
    ({"elo": {"scale": 300.0}}, "unknown settings section 'elo'"),
    ({"selection": {"recent_window": 2.5}}, "selection.recent_window must be a whole number"),
    ({"selection": {"target_success": True}}, "selection.target_success must be a number"),
    ({"path": {"relation_weights": [1, 1, 1, 1]}}, "cannot differ between arms"),
]


@pytest.mark.parametrize(("overrides", "expected"), OVERRIDES)
def test_overrides_name_real_settings(overrides: dict[str, object], expected: str | None) -> None:
    problems = override_problems(overrides)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0]["msg"]


def test_arm_config_changes_only_the_overridden_settings() -> None:
    base = ModelConfig()
    arm = ExperimentArm("a", 1.0, overrides={"selection": {"target_success": 0.8}})
    changed = arm_config(base, arm)
    assert changed.selection.target_success == 0.8
    assert dataclasses.replace(changed.selection, target_success=0.65) == base.selection
    assert changed.path == base.path and changed.elo == base.elo


# (first scope, second scope, overlap?)
SCOPES = [
    (Scope(), Scope(subject="Maths"), True),  # everywhere overlaps everything
    (Scope(subject="Maths"), Scope(subject="maths", topic="Algebra"), True),  # case-blind
    (Scope(subject="Maths"), Scope(subject="Physics"), False),
    (Scope(topic="Algebra"), Scope(subject="Physics"), True),  # a topic could be anywhere
    (Scope(subject="Maths", topic="A"), Scope(subject="Maths", topic="B"), False),
    (Scope(skills=("m:a",)), Scope(subject="Physics"), True),
]


@pytest.mark.parametrize(("first", "second", "overlap"), SCOPES)
def test_scopes_overlap(first: Scope, second: Scope, overlap: bool) -> None:
    assert scopes_overlap(first, second) is overlap
    assert scopes_overlap(second, first) is overlap


def test_bad_plans_store_nothing_and_states_only_move_forward() -> None:
    store = MemoryExperimentStore()
    port: ExperimentStore = store
    shares = (ExperimentArm("a", 0.5), ExperimentArm("b", 0.4))
    with pytest.raises(InvalidInput) as error:
        create_experiment(port, _plan(arms=shares))
    assert "sum to 1" in str(error.value.errors)
    assert store.experiments == {}
    create_experiment(port, _plan())
    with pytest.raises(InvalidInput):
        create_experiment(port, _plan())
    with pytest.raises(InvalidInput):
        stop_experiment(port, "e1", now=T0)  # a draft cannot stop
    start_experiment(port, "e1", now=T0)
    create_experiment(port, _plan("e2", scope=Scope(subject="Maths")))
    with pytest.raises(InvalidInput):
        start_experiment(port, "e2", now=T0)  # overlaps e1
    assert store.experiments["e2"].status == "draft"
    stop_experiment(port, "e1", now=T0)
    with pytest.raises(InvalidInput):
        start_experiment(port, "e1", now=T0)  # a stopped experiment never restarts
    assert start_experiment(port, "e2", now=T0).status == "running"


def test_orthogonal_experiments_overlap_when_they_change_different_settings() -> None:
    store = MemoryExperimentStore()
    create_experiment(store, _plan(orthogonal=True))
    start_experiment(store, "e1", now=T0)
    other = (
        ExperimentArm("c", 0.5),
        ExperimentArm("d", 0.5, overrides={"path": {"mastery_level": 0.85}}),
    )
    create_experiment(store, _plan("e2", orthogonal=True, arms=other))
    start_experiment(store, "e2", now=T0)
    served = serve_under(
        store, store.running(), "s1", Scope(subject="Maths"), config=ModelConfig(), now=T0
    )
    assert served is not None and served.experiment_id == "e1"
    assert {(e, s) for e, s in store.arms} == {("e1", "s1"), ("e2", "s1")}


def test_serving_assigns_by_the_hash_once_and_keeps_the_arm() -> None:
    store = MemoryExperimentStore()
    create_experiment(store, _plan())
    start_experiment(store, "e1", now=T0)
    shares = [("control", 0.5), ("treatment", 0.5)]
    for k in range(20):
        student = f"s{k}"
        first = serve_under(
            store, store.running(), student, Scope(topic="Algebra"), config=ModelConfig(), now=T0
        )
        later = serve_under(
            store,
            store.running(),
            student,
            Scope(topic="Algebra"),
            config=ModelConfig(),
            now=T0 + timedelta(days=1),
        )
        assert first is not None and later is not None
        assert first.arm == later.arm == assign_arm("e1", student, shares)
        assert store.arms[("e1", student)].first_exposure_at == T0
        target = 0.8 if first.arm == "treatment" else ModelConfig().selection.target_success
        assert first.config.selection.target_success == target
    outside = serve_under(
        store, store.running(), "s0", Scope(subject="Physics"), config=ModelConfig(), now=T0
    )
    assert outside is None


def _answers(student: str, *, viewed: bool, residual_bonus: float) -> list[ExperimentAnswer]:
    return [
        ExperimentAnswer(
            student_id=student,
            item_id=f"i{n}",
            occurred_at=T0 + timedelta(minutes=1 + 2 * n),
            performance=min(1.0, 0.5 + residual_bonus) if n % 2 else 0.0,
            predicted=0.6,
            solution_viewed=viewed and n % 3 == 0,
            difficulties={"m:a": 1200.0},
        )
        for n in range(12)
    ]


def test_a_guardrail_breach_flags_and_stops_the_experiment() -> None:
    store = MemoryExperimentStore()
    create_experiment(store, _plan())
    start_experiment(store, "e1", now=T0)
    for k in range(120):
        student = f"s{k}"
        served = serve_under(
            store, store.running(), student, Scope(topic="Algebra"), config=ModelConfig(), now=T0
        )
        assert served is not None
        store.answer_log += _answers(student, viewed=served.arm == "treatment", residual_bonus=0)
    now = T0 + timedelta(days=2)
    results = experiment_results(store, "e1", config=ModelConfig(), now=now)
    assert min(a.students for a in results.arms) >= 30
    breached = [g for g in results.guardrails if g.breached]
    assert [g.metric for g in breached] == ["solution_view_rate"]
    stored = store.experiments["e1"]
    assert stored.status == "stopped" and stored.flag and stored.stop_reason
    assert "solution_view_rate" in stored.flag
    assert results.breach_action == "stopped"
    # Once stopped, a later look acts on nothing (so nothing is audited twice).
    assert experiment_results(store, "e1", config=ModelConfig(), now=now).breach_action is None
    # Only flagged, not stopped, without auto_stop.
    create_experiment(store, _plan("e2", auto_stop=False, scope=Scope(subject="Physics")))
    start_experiment(store, "e2", now=T0)
    for k in range(120):
        student = f"p{k}"
        served = serve_under(
            store, store.running(), student, Scope(subject="Physics"), config=ModelConfig(), now=T0
        )
        assert served is not None
        store.answer_log += _answers(student, viewed=served.arm == "treatment", residual_bonus=0)
    flagged = experiment_results(store, "e2", config=ModelConfig(), now=now)
    assert store.experiments["e2"].status == "running" and store.experiments["e2"].flag
    assert flagged.breach_action == "flagged"


def test_a_clear_effect_is_conclusive_and_the_csv_has_a_row_per_student() -> None:
    store = MemoryExperimentStore()
    create_experiment(store, _plan(guardrails=()))
    start_experiment(store, "e1", now=T0)
    for k in range(200):
        student = f"s{k}"
        served = serve_under(
            store, store.running(), student, Scope(topic="Algebra"), config=ModelConfig(), now=T0
        )
        assert served is not None
        bonus = (0.3 if served.arm == "treatment" else 0.0) + 0.02 * (k % 7)
        store.answer_log += _answers(student, viewed=False, residual_bonus=bonus)
    now = T0 + timedelta(days=30)
    results = experiment_results(store, "e1", config=ModelConfig(), now=now)
    primary = next(c for c in results.comparisons if c.metric == "first_attempt_residual")
    assert primary.conclusive and primary.estimate > 0
    assert primary.sequence[0] <= primary.interval[0]  # the always-valid one is wider
    assert results.verdict.startswith("treatment above control")
    assert results.planned.sequential_per_arm and results.planned.fixed_per_arm
    assert results.planned.sequential_per_arm > results.planned.fixed_per_arm
    assert len(results.history) >= 2
    lines = outcomes_csv(experiment_outcomes(store, "e1", config=ModelConfig(), now=now))
    assert len(lines.splitlines()) == 201
