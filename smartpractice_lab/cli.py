"""The lab's commands on the service's CLI: evaluation, simulation, tutor-chat evaluation and
benchmarks. The service finds them through the ``smartpractice.commands`` entry point (it never
imports the lab); each command checks that the lab extra is installed before it runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from smartpractice.cli.common import AsJson, needs_lab, require_lab
from smartpractice.settings import Settings

bench_app = typer.Typer(help="Benchmarks for sizing a deployment (figures, not tests).")


def _print_table(result: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        typer.echo(f"{key.ljust(width)}  {value}")


@bench_app.command("select")
def bench_select_command(
    items: Annotated[int, typer.Option(help="Items in the generated bank.")] = 100_000,
    requests: Annotated[int, typer.Option(help="Next-question calls to time.")] = 500,
    as_json: AsJson = False,
) -> None:
    """Next-question p50/p99 (ms) on a generated bank, scope = one topic.

    Example: smartpractice bench select --items 100000 --json
    """
    require_lab("bench select")
    from smartpractice_lab.bench.service import bench_select

    _print_table(
        bench_select(Settings(), items=items, requests=requests, progress=not as_json), as_json
    )


@bench_app.command("pipeline")
def bench_pipeline_command(
    events: Annotated[int, typer.Option(help="Backlog of attempts to ingest and apply.")] = 20_000,
    workers: Annotated[int, typer.Option(help="Celery worker processes to start.")] = 2,
    rate: Annotated[int, typer.Option(help="Offered attempts per second for the lag run.")] = 1000,
    seconds: Annotated[int, typer.Option(help="Length of the lag run.")] = 10,
    as_json: AsJson = False,
) -> None:
    """Ingest/s, applied/s and 202-to-applied lag through real API and worker processes,
    with pgbench's TPC-B tps on the same PostgreSQL for scale.

    Example: smartpractice bench pipeline --workers 2 --rate 1000 --json
    """
    require_lab("bench pipeline")
    from smartpractice_lab.bench.pipeline import bench_pipeline

    result = bench_pipeline(
        Settings(), events=events, workers=workers, offered_rate=rate, lag_seconds=seconds
    )
    _print_table(result, as_json)


@bench_app.command("faults")
def bench_faults_command(
    short: Annotated[
        bool, typer.Option(help="Short phases (3 s before, 4 s of fault), as CI runs it.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Each fault scenario under load on throwaway PostgreSQL, Redis and Celery workers of
    its own: lost, applied twice, 5xx, the other tenant's delay and throughput per scenario.

    Example: smartpractice bench faults --json
    """
    from smartpractice_lab.bench.faults import bench_faults

    pre, fault = (3.0, 4.0) if short else (5.0, 10.0)
    result = bench_faults(pre_seconds=pre, fault_seconds=fault, progress=not as_json)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for name, figures in result["scenarios"].items():
        typer.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


@bench_app.command("dashboard")
def bench_dashboard_command(
    students: Annotated[int, typer.Option(help="Students in the scratch database.")] = 10_000,
    requests: Annotated[int, typer.Option(help="Requests timed per view.")] = 30,
    as_json: AsJson = False,
) -> None:
    """Every dashboard view's p50/p99 (ms) with many students, in a scratch database.

    Example: smartpractice bench dashboard --students 10000 --json
    """
    require_lab("bench dashboard")
    from smartpractice_lab.bench.dashboard import bench_dashboard

    result = bench_dashboard(Settings(), students=students, requests=requests, progress=not as_json)
    _print_table(result, as_json)


@bench_app.command("apply")
def bench_apply_command(
    events: Annotated[int, typer.Option(help="Attempts to ingest and apply.")] = 20_000,
    as_json: AsJson = False,
) -> None:
    """Attempts stored per second and applied per second by one worker.

    Example: smartpractice bench apply --events 20000
    """
    require_lab("bench apply")
    from smartpractice_lab.bench.service import bench_apply

    _print_table(bench_apply(Settings(), events=events, progress=not as_json), as_json)


def register(app: typer.Typer) -> None:
    """Add the lab's commands to the service's CLI `app`."""
    from smartpractice_lab.evaluation.command import evaluate
    from smartpractice_lab.simulation.command import simulate, simulate_experiment
    from smartpractice_lab.simulation.exam_command import simulate_exam
    from smartpractice_lab.tutoring.command import evaluate_transcripts

    app.add_typer(bench_app, name="bench")
    app.command("evaluate")(needs_lab("evaluate")(evaluate))
    app.command("evaluate-transcripts")(needs_lab("evaluate-transcripts")(evaluate_transcripts))
    app.command("simulate")(needs_lab("simulate")(simulate))
    app.command("simulate-experiment")(needs_lab("simulate-experiment")(simulate_experiment))
    app.command("simulate-exam")(needs_lab("simulate-exam")(simulate_exam))
