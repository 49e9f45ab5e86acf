"""`smartpractice experiments ...`: list a tenant's experiments, report one's results,
export its per-student outcomes as CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartpractice.cli.common import AsJson, fail, tenant_database, tenant_option
from smartpractice.settings import Settings

if TYPE_CHECKING:
    from smartpractice.services.experiment_results import ExperimentResults

__all__ = ["experiments_app"]

experiments_app = typer.Typer(
    help="A/B experiments between policies and settings: list, report, export.",
    no_args_is_help=True,
)

Tenant = Annotated[str, tenant_option("Whose experiments.")]


@experiments_app.command("list")
def list_command(tenant: Tenant = "default", as_json: AsJson = False) -> None:
    """The tenant's experiments, newest first: id, status, scope, arms.

    Example: smartpractice experiments list --tenant greenwood_high
    """
    from pydantic_core import to_jsonable_python

    from smartpractice.services.experiments import experiments
    from smartpractice.storage.sql_experiments import SqlExperimentStore

    root, db = tenant_database(Settings(), tenant)
    try:
        with db.transaction() as session:
            found = experiments(SqlExperimentStore(session))
    finally:
        root.dispose()
    if as_json:
        typer.echo(json.dumps(to_jsonable_python(found)))
        return
    if not found:
        typer.echo("no experiments")
    for e in found:
        scope = ", ".join(f"{k} {v!r}" for k, v in e.scope.as_dict().items() if v) or "everywhere"
        arms = ", ".join(f"{a.name} {a.share:g} ({a.policy})" for a in e.arms)
        flag = " FLAGGED" if e.flag else ""
        typer.echo(f"{e.experiment_id}  {e.status}{flag}  {scope}  arms: {arms}")


def _report_lines(results: ExperimentResults) -> list[str]:
    e = results.experiment
    lines = [
        f"experiment {e.experiment_id} ({e.status}): {e.hypothesis}",
        f"primary metric: {e.primary_metric}; minimum detectable effect "
        f"{e.minimum_detectable_effect:g}; planned {e.planned_students} students",
        f"verdict: {results.verdict}",
    ]
    if e.flag:
        lines.append(f"FLAGGED: {e.flag}")
    planned = results.planned
    if planned.sequential_per_arm is not None:
        lines.append(
            f"students per arm needed: {planned.sequential_per_arm} (always-valid monitoring), "
            f"{planned.fixed_per_arm} (one pre-registered read); observed sd {planned.sd:.4g}"
        )
    lines.append("arms:")
    for arm in results.arms:
        value = arm.metrics[e.primary_metric].value
        shown = "-" if value is None else f"{value:.4g}"
        lines.append(
            f"  {arm.name} ({arm.policy}, share {arm.share:g}): {arm.students} students, "
            f"{arm.picks} picks, {e.primary_metric} {shown}"
        )
    lines.append("differences (treatment - control; 95% fixed / always valid):")
    for c in results.comparisons:
        mark = "  *" if c.conclusive else ""
        lines.append(
            f"  {c.metric} {c.arm}-{c.control}: {c.estimate:+.4g} "
            f"[{c.interval[0]:.4g}, {c.interval[1]:.4g}] / "
            f"[{c.sequence[0]:.4g}, {c.sequence[1]:.4g}]{mark}"
        )
    lines.append("guardrails:")
    for g in results.guardrails:
        lines.append(f"  {'BREACHED ' if g.breached else ''}{g.reason}")
    return lines


@experiments_app.command("report")
def report_command(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    tenant: Tenant = "default",
    as_json: AsJson = False,
) -> None:
    """An experiment's results: arms, the primary metric with its intervals, every metric's
    difference, guardrails (a breach flags it, and stops it when it stops automatically).

    Example: smartpractice experiments report sp-vs-textbook --json
    """
    from pydantic_core import to_jsonable_python

    from smartpractice.services.experiment_results import (
        experiment_results,
        record_guardrail_stop,
    )
    from smartpractice.services.ports import NotFound
    from smartpractice.storage.sql_access import SqlAccessStore
    from smartpractice.storage.sql_experiments import SqlExperimentStore

    settings = Settings()
    root, db = tenant_database(settings, tenant)
    try:
        with db.transaction() as session:
            results = experiment_results(
                SqlExperimentStore(session),
                experiment_id,
                config=settings.model,
                now=datetime.now(UTC),
            )
        if results.breach_action == "stopped":
            with root.transaction() as session:
                record_guardrail_stop(SqlAccessStore(session), results, tenant_id=tenant)
    except NotFound:
        raise fail(f"no experiment {experiment_id!r} in tenant {tenant!r}") from None
    finally:
        root.dispose()
    if as_json:
        typer.echo(json.dumps(to_jsonable_python(results)))
        return
    for line in _report_lines(results):
        typer.echo(line)


@experiments_app.command("export")
def export_command(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    output: Annotated[Path, typer.Option("--output", help="The CSV file to write.")],
    tenant: Tenant = "default",
) -> None:
    """Every exposed student's outcome as CSV (student, arm, first exposure, counts).

    Example: smartpractice experiments export sp-vs-textbook --output outcomes.csv
    """
    from smartpractice.services.experiment_results import experiment_outcomes, outcomes_csv
    from smartpractice.services.ports import NotFound
    from smartpractice.storage.sql_experiments import SqlExperimentStore

    settings = Settings()
    root, db = tenant_database(settings, tenant)
    try:
        with db.transaction() as session:
            rows = experiment_outcomes(
                SqlExperimentStore(session),
                experiment_id,
                config=settings.model,
                now=datetime.now(UTC),
            )
    except NotFound:
        raise fail(f"no experiment {experiment_id!r} in tenant {tenant!r}") from None
    finally:
        root.dispose()
    output.write_text(outcomes_csv(rows), encoding="utf-8")
    typer.echo(f"wrote {len(rows)} students to {output}")
