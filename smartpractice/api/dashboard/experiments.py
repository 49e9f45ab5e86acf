"""The dashboard's experiment pages: the list, one experiment's results, its CSV."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from smartpractice.api.dashboard.charts import line_chart
from smartpractice.api.dashboard.render import render
from smartpractice.api.deps import SettingsDep, audit_guardrail_stop, running_experiments
from smartpractice.api.security import ReadDatabase
from smartpractice.services.experiment_results import (
    ExperimentResults,
    experiment_outcomes,
    experiment_results,
    outcomes_csv,
)
from smartpractice.services.experiments import experiments
from smartpractice.services.ports import NotFound
from smartpractice.storage.sql_experiments import SqlExperimentStore

__all__ = ["router"]

router = APIRouter(prefix="/dashboard/experiments", include_in_schema=False)


def _not_found(request: Request, experiment_id: str) -> HTMLResponse:
    return render(
        request,
        "not_found.html",
        status_code=404,
        title="Not found",
        nav="experiments",
        what=f"No experiment {experiment_id!r}.",
    )


@router.get("", response_class=HTMLResponse)
def experiments_page(request: Request, db: ReadDatabase) -> HTMLResponse:
    """Every experiment of the tenant, newest first."""
    with db.transaction() as session:
        found = experiments(SqlExperimentStore(session))
    return render(
        request, "experiments.html", title="Experiments", nav="experiments", experiments=found
    )


def _history_chart(results: ExperimentResults) -> dict[str, object]:
    points: dict[str, list[dict[str, float | None]]] = {
        "estimate": [],
        "sequence_low": [],
        "sequence_high": [],
        "fixed_low": [],
        "fixed_high": [],
    }
    for n, look in enumerate(results.history, start=1):
        points["estimate"].append({"n": n, "v": look.estimate})
        sequence, interval = look.sequence, look.interval
        points["sequence_low"].append({"n": n, "v": sequence[0] if sequence else None})
        points["sequence_high"].append({"n": n, "v": sequence[1] if sequence else None})
        points["fixed_low"].append({"n": n, "v": interval[0] if interval else None})
        points["fixed_high"].append({"n": n, "v": interval[1] if interval else None})
    return line_chart(
        points,
        x="n",
        y="v",
        names={
            "estimate": "Difference",
            "sequence_low": "Always valid 95%: low",
            "sequence_high": "Always valid 95%: high",
            "fixed_low": "Fixed 95%: low",
            "fixed_high": "Fixed 95%: high",
        },
        x_title="Look",
        y_title=f"{results.experiment.primary_metric}: treatment - control",
        digits=4,
    )


@router.get("/{experiment_id}", response_class=HTMLResponse)
def experiment_page(
    request: Request, experiment_id: str, db: ReadDatabase, settings: SettingsDep
) -> HTMLResponse:
    """Arms, sample sizes, the primary metric with its intervals over time, every metric's
    difference and the guardrails (checked now: a breach flags, and may stop, it)."""
    try:
        with db.transaction() as session:
            results = experiment_results(
                SqlExperimentStore(session),
                experiment_id,
                config=settings.model,
                now=datetime.now(UTC),
            )
    except NotFound:
        return _not_found(request, experiment_id)
    audit_guardrail_stop(request, db, results)
    if results.experiment.status == "stopped":
        running_experiments(request, db).clear()
    return render(
        request,
        "experiment.html",
        title=f"Experiment {experiment_id}",
        nav="experiments",
        r=results,
        history_chart=_history_chart(results),
    )


@router.get("/{experiment_id}/outcomes.csv", response_model=None)
def experiment_csv(
    request: Request, experiment_id: str, db: ReadDatabase, settings: SettingsDep
) -> Response:
    """Per-student outcomes as CSV (the same file as the API's)."""
    try:
        with db.transaction() as session:
            rows = experiment_outcomes(
                SqlExperimentStore(session),
                experiment_id,
                config=settings.model,
                now=datetime.now(UTC),
            )
    except NotFound:
        return _not_found(request, experiment_id)
    return Response(
        outcomes_csv(rows),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{experiment_id}-outcomes.csv"'},
    )
