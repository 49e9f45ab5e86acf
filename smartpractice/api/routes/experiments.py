"""Experiments: create, start, stop (admin); read, list, results and per-student outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from smartpractice.api.deps import (
    SettingsDep,
    audit,
    audit_guardrail_stop,
    running_experiments,
)
from smartpractice.api.experiment_schemas import (
    ExperimentIn,
    ExperimentList,
    ExperimentOut,
    ExperimentResultsOut,
)
from smartpractice.api.schemas import BODY_RESPONSES, NOT_FOUND, encoded
from smartpractice.api.security import AdminDatabase, AdminKey, ReadDatabase
from smartpractice.services.experiment_results import (
    experiment_outcomes,
    experiment_results,
    outcomes_csv,
)
from smartpractice.services.experiments import (
    create_experiment,
    experiment,
    experiments,
    start_experiment,
    stop_experiment,
)
from smartpractice.services.ports import (
    ExperimentArm,
    ExperimentGuardrail,
    ExperimentRecord,
    Scope,
)
from smartpractice.storage.db import Database
from smartpractice.storage.sql_experiments import SqlExperimentStore

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])

_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid experiment, or a state change it cannot make (nothing changed)"}
}


def draft_from(body: ExperimentIn, *, now: datetime) -> ExperimentRecord:
    """The experiment a request body describes, as a draft."""
    return ExperimentRecord(
        experiment_id=body.experiment_id,
        hypothesis=body.hypothesis,
        scope=Scope(subject=body.scope.subject, chapter=body.scope.chapter, topic=body.scope.topic),
        arms=tuple(
            ExperimentArm(name=a.name, share=a.share, policy=a.policy, overrides=a.overrides)
            for a in body.arms
        ),
        primary_metric=body.primary_metric,
        guardrails=tuple(
            ExperimentGuardrail(metric=g.metric, margin=g.margin, harmful=g.harmful)
            for g in body.guardrails
        ),
        minimum_detectable_effect=body.minimum_detectable_effect,
        planned_students=body.planned_students,
        orthogonal=body.orthogonal,
        auto_stop=body.auto_stop,
        status="draft",
        created_at=now,
    )


@router.post(
    "",
    response_model=ExperimentOut,
    status_code=201,
    responses={**BODY_RESPONSES, **_INVALID},
    summary="Create an experiment (a draft: start it to serve its arms)",
)
def post_experiment(
    request: Request, body: ExperimentIn, db: AdminDatabase, principal: AdminKey
) -> dict[str, Any]:
    with db.transaction() as session:
        created = create_experiment(
            SqlExperimentStore(session), draft_from(body, now=datetime.now(UTC))
        )
    audit(request, principal, "experiment.create", {"experiment_id": created.experiment_id})
    return encoded(created)


@router.get("", response_model=ExperimentList, summary="The tenant's experiments, newest first")
def list_experiments(db: ReadDatabase) -> ExperimentList:
    with db.transaction() as session:
        found = experiments(SqlExperimentStore(session))
    return ExperimentList.model_validate({"data": [encoded(e) for e in found]})


def _changed_state(request: Request, db: Database) -> None:
    running_experiments(request, db).clear()


@router.post(
    "/{experiment_id}/start",
    response_model=ExperimentOut,
    responses={**NOT_FOUND, **_INVALID},
    summary="Start serving the experiment's arms",
)
def post_start(
    request: Request, experiment_id: str, db: AdminDatabase, principal: AdminKey
) -> dict[str, Any]:
    with db.transaction() as session:
        started = start_experiment(
            SqlExperimentStore(session), experiment_id, now=datetime.now(UTC)
        )
    _changed_state(request, db)
    audit(request, principal, "experiment.start", {"experiment_id": experiment_id})
    return encoded(started)


@router.post(
    "/{experiment_id}/stop",
    response_model=ExperimentOut,
    responses={**NOT_FOUND, **_INVALID},
    summary="Stop the experiment (its results stay readable; it never restarts)",
)
def post_stop(
    request: Request, experiment_id: str, db: AdminDatabase, principal: AdminKey
) -> dict[str, Any]:
    with db.transaction() as session:
        stopped = stop_experiment(SqlExperimentStore(session), experiment_id, now=datetime.now(UTC))
    _changed_state(request, db)
    audit(request, principal, "experiment.stop", {"experiment_id": experiment_id})
    return encoded(stopped)


@router.get(
    "/{experiment_id}",
    response_model=ExperimentResultsOut,
    responses=NOT_FOUND,
    summary="The experiment with its live results (checks its guardrails)",
)
def get_experiment(
    request: Request, experiment_id: str, db: ReadDatabase, settings: SettingsDep
) -> dict[str, Any]:
    """Per-arm metrics, every treatment arm against the control (the first arm) with a
    fixed-horizon and an always-valid 95% interval, the guardrails, the primary metric's
    history and the sample-size plan. A guardrail breach found here flags the experiment
    and, with `auto_stop`, stops it (audited as `experiment.guardrail_stop`)."""
    with db.transaction() as session:
        results = experiment_results(
            SqlExperimentStore(session),
            experiment_id,
            config=settings.model,
            now=datetime.now(UTC),
        )
    audit_guardrail_stop(request, db, results)
    if results.experiment.status == "stopped":
        _changed_state(request, db)
    return encoded(results)


@router.get(
    "/{experiment_id}/outcomes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **NOT_FOUND},
    summary="Per-student outcomes as CSV, for your own analysis",
)
def get_outcomes_csv(experiment_id: str, db: ReadDatabase, settings: SettingsDep) -> Response:
    with db.transaction() as session:
        store = SqlExperimentStore(session)
        experiment(store, experiment_id)
        rows = experiment_outcomes(
            store, experiment_id, config=settings.model, now=datetime.now(UTC)
        )
    return Response(
        outcomes_csv(rows),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{experiment_id}-outcomes.csv"'},
    )
