"""Experiments: A/B tests between policies and model settings, per tenant.

An experiment is data (`ExperimentRecord`): a scope, arms (each a share of the students, a
policy and partial `ModelConfig` overrides), a primary metric and guardrails. It is
created as a draft, started, and stopped (by hand, or by a guardrail breach when
`auto_stop`); never started again. While it runs, next-question serves every student
whose request overlaps its scope under their arm (`serve_under`): the arm is a hash of
(experiment, student) (`core.experiments.assignment`), recorded on first exposure. The
results (`services.experiment_results`) are measured from the event log.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig, PathConfig, SelectionConfig
from smartpractice.core.experiments.assignment import arm_problems, assign_arm
from smartpractice.core.experiments.metrics import METRIC_NAMES
from smartpractice.services.ports import (
    ExperimentArm,
    ExperimentRecord,
    ExperimentStore,
    InvalidInput,
    NotFound,
    Scope,
)
from smartpractice.services.practice import POLICIES

__all__ = [
    "HARMFUL_DIRECTIONS",
    "OVERRIDABLE_SECTIONS",
    "ServedArm",
    "arm_config",
    "create_experiment",
    "experiment",
    "experiment_problems",
    "experiments",
    "override_problems",
    "scopes_overlap",
    "serve_under",
    "start_experiment",
    "stop_experiment",
]

OVERRIDABLE_SECTIONS: Mapping[str, type[Any]] = {"selection": SelectionConfig, "path": PathConfig}
"""The `ModelConfig` sections an arm may change: what the service serves. Rating and
evidence settings change what every arm's students are measured with, so they stay the
tenant's."""

HARMFUL_DIRECTIONS = ("increase", "decrease")

_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def _problem(loc: Sequence[str | int], msg: str, value: object = None) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "input": value}


def _setting_problem(kind: object, value: object) -> str | None:
    """Why `value` cannot replace a setting whose default is `kind` (None: it can)."""
    if isinstance(kind, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(kind, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return None
    if isinstance(kind, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        return None if math.isfinite(value) else "must be a finite number"
    return "cannot differ between arms (only numbers and true/false settings can)"


def override_problems(
    overrides: Mapping[str, object], *, loc: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """What is wrong with an arm's overrides (``{section: {setting: value}}``), each naming
    the unknown section or setting or the bad value; empty when they are valid."""
    problems = []
    for section, settings in overrides.items():
        cls = OVERRIDABLE_SECTIONS.get(section)
        if cls is None:
            known = ", ".join(OVERRIDABLE_SECTIONS)
            problems.append(
                _problem(
                    [*loc, section],
                    f"unknown settings section {section!r}; arms may override {known}",
                    section,
                )
            )
            continue
        if not isinstance(settings, Mapping):
            problems.append(_problem([*loc, section], "must be an object of settings", settings))
            continue
        defaults = cls()
        names = {f.name for f in dataclasses.fields(cls)}
        for name, value in settings.items():
            if name not in names:
                problems.append(
                    _problem([*loc, section, name], f"unknown setting {section}.{name}", name)
                )
                continue
            why = _setting_problem(getattr(defaults, name), value)
            if why:
                problems.append(_problem([*loc, section, name], f"{section}.{name} {why}", value))
    return problems


def arm_config(config: ModelConfig, arm: ExperimentArm) -> ModelConfig:
    """The tenant's `config` with the arm's overrides (validated at creation)."""
    for section, settings in arm.overrides.items():
        current = getattr(config, section)
        changed = dataclasses.replace(current, **dict(settings))
        config = dataclasses.replace(config, **{section: changed})
    return config


def scopes_overlap(first: Scope, second: Scope) -> bool:
    """Whether two scopes can hold the same item: subject, chapter and topic each either
    unset in one of them or equal (case-insensitive). A scope of skills only overlaps
    everything (its items may sit in any chapter)."""
    for a, b in (
        (first.subject, second.subject),
        (first.chapter, second.chapter),
        (first.topic, second.topic),
    ):
        if a is not None and b is not None and a.casefold() != b.casefold():
            return False
    return True


def experiment_problems(draft: ExperimentRecord) -> list[dict[str, Any]]:
    """Everything wrong with a new experiment, each naming the field (empty: valid)."""
    problems = []
    identifier = draft.experiment_id
    if not 1 <= len(identifier) <= 100 or not set(identifier) <= _ID_CHARACTERS:
        problems.append(
            _problem(
                ["experiment_id"],
                "1-100 characters: letters, digits, '-', '_', '.' or ':'",
                draft.experiment_id,
            )
        )
    for message in arm_problems([(arm.name, arm.share) for arm in draft.arms]):
        problems.append(_problem(["arms"], message))
    for index, arm in enumerate(draft.arms):
        if arm.policy not in POLICIES:
            problems.append(
                _problem(
                    ["arms", index, "policy"],
                    f"unknown policy {arm.policy!r}; known: {', '.join(POLICIES)}",
                    arm.policy,
                )
            )
        problems.extend(override_problems(arm.overrides, loc=["arms", index, "overrides"]))
    if draft.primary_metric not in METRIC_NAMES:
        problems.append(
            _problem(
                ["primary_metric"],
                f"unknown metric; known: {', '.join(METRIC_NAMES)}",
                draft.primary_metric,
            )
        )
    for index, guardrail in enumerate(draft.guardrails):
        if guardrail.metric not in METRIC_NAMES:
            problems.append(
                _problem(
                    ["guardrails", index, "metric"],
                    f"unknown metric; known: {', '.join(METRIC_NAMES)}",
                    guardrail.metric,
                )
            )
        if guardrail.harmful not in HARMFUL_DIRECTIONS:
            problems.append(
                _problem(
                    ["guardrails", index, "harmful"],
                    "must be 'increase' or 'decrease'",
                    guardrail.harmful,
                )
            )
        if not (math.isfinite(guardrail.margin) and guardrail.margin >= 0):
            problems.append(
                _problem(["guardrails", index, "margin"], "must be >= 0", guardrail.margin)
            )
    mde = draft.minimum_detectable_effect
    if not (math.isfinite(mde) and mde > 0):
        problems.append(_problem(["minimum_detectable_effect"], "must be above 0", mde))
    return problems


def create_experiment(store: ExperimentStore, draft: ExperimentRecord) -> ExperimentRecord:
    """Store a new experiment as a draft (not yet serving anyone).

    Raises:
        InvalidInput: the experiment is invalid (`experiment_problems`) or its id is taken;
            nothing is stored.
    """
    problems = experiment_problems(draft)
    if problems:
        raise InvalidInput(problems)
    stored = dataclasses.replace(draft, status="draft", started_at=None, stopped_at=None)
    if not store.add(stored):
        raise InvalidInput(
            [_problem(["experiment_id"], "an experiment with this id exists", draft.experiment_id)]
        )
    return stored


def experiment(store: ExperimentStore, experiment_id: str) -> ExperimentRecord:
    """The experiment.

    Raises:
        NotFound: no such experiment in this tenant.
    """
    found = store.get(experiment_id)
    if found is None:
        raise NotFound(f"experiment {experiment_id!r}")
    return found


def experiments(store: ExperimentStore) -> list[ExperimentRecord]:
    """Every experiment of the tenant, newest first."""
    return store.all()


def _overridden(arms: Sequence[ExperimentArm]) -> set[str]:
    return {
        f"{section}.{name}" for arm in arms for section, s in arm.overrides.items() for name in s
    }


def start_experiment(
    store: ExperimentStore, experiment_id: str, *, now: datetime
) -> ExperimentRecord:
    """Start serving the experiment's arms.

    Two running experiments may overlap in scope only when both are declared orthogonal,
    change different settings and at most one of them changes the policy.

    Raises:
        NotFound: no such experiment.
        InvalidInput: it is running or stopped already, or it would overlap a running one;
            nothing changed.
    """
    found = experiment(store, experiment_id)
    if found.status != "draft":
        raise InvalidInput(
            [
                _problem(
                    ["status"],
                    f"experiment {experiment_id!r} is {found.status}; only a draft can start "
                    "(a stopped experiment never restarts: create a new one)",
                    found.status,
                )
            ]
        )
    for other in store.running():
        if not scopes_overlap(found.scope, other.scope):
            continue
        compatible = (
            found.orthogonal
            and other.orthogonal
            and not (_overridden(found.arms) & _overridden(other.arms))
            and not (
                any(a.policy != "smart_practice" for a in found.arms)
                and any(a.policy != "smart_practice" for a in other.arms)
            )
        )
        if not compatible:
            raise InvalidInput(
                [
                    _problem(
                        ["scope"],
                        f"experiment {other.experiment_id!r} is running on an overlapping "
                        "scope; stop it first, or declare both orthogonal (different "
                        "settings, at most one changing the policy)",
                        other.experiment_id,
                    )
                ]
            )
    started = dataclasses.replace(found, status="running", started_at=now)
    store.save_state(started)
    store.freeze_difficulties(experiment_id)
    return started


def stop_experiment(
    store: ExperimentStore, experiment_id: str, *, now: datetime, reason: str = "stopped by hand"
) -> ExperimentRecord:
    """Stop serving the experiment's arms; its results stay readable.

    Raises:
        NotFound: no such experiment.
        InvalidInput: it is not running; nothing changed.
    """
    found = experiment(store, experiment_id)
    if found.status != "running":
        raise InvalidInput(
            [
                _problem(
                    ["status"],
                    f"experiment {experiment_id!r} is {found.status}; only a running one can stop",
                    found.status,
                )
            ]
        )
    stopped = dataclasses.replace(found, status="stopped", stopped_at=now, stop_reason=reason)
    store.save_state(stopped)
    return stopped


@dataclass(frozen=True, slots=True)
class ServedArm:
    """What a next-question request is served under: the experiment and the student's
    arm in it (the first running experiment overlapping the scope), and the policy and
    model constants of all the overlapping experiments' arms combined."""

    experiment_id: str
    arm: str
    policy: str
    config: ModelConfig


def serve_under(
    store: ExperimentStore,
    running: Sequence[ExperimentRecord],
    student_id: str,
    scope: Scope,
    *,
    config: ModelConfig,
    now: datetime,
) -> ServedArm | None:
    """The arm the student is served under for a request in `scope` (None: no running
    experiment overlaps it), recording the assignment on first exposure.

    One indexed read per overlapping experiment (`ExperimentStore.arm_of`), and one insert
    that ignores duplicates on first exposure: two first requests at once compute the same
    arm from the hash, so whichever row lands, they agree.
    """
    served: ServedArm | None = None
    policy = "smart_practice"
    for found in running:
        if not scopes_overlap(found.scope, scope):
            continue
        arms = [(a.name, a.share) for a in found.arms]
        name = store.arm_of(found.experiment_id, student_id)
        if name is None:
            name = assign_arm(found.experiment_id, student_id, arms)
            store.assign(found.experiment_id, student_id, name, at=now)
        arm = next((a for a in found.arms if a.name == name), found.arms[0])
        config = arm_config(config, arm)
        if arm.policy != "smart_practice":
            policy = arm.policy
        if served is None:
            served = ServedArm(found.experiment_id, arm.name, policy, config)
    if served is None:
        return None
    return dataclasses.replace(served, policy=policy, config=config)
