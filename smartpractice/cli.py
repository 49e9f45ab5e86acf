"""The `smartpractice` command: thin commands over the services."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartpractice.cli_access import audit_command, keys_app, tenants_app
from smartpractice.cli_common import announce_database, fail, needs_lab, require_lab, tidy_help
from smartpractice.config import Settings

tidy_help()

if TYPE_CHECKING:
    from smartpractice.importer import RowError
    from smartpractice.storage.db import Database

app = typer.Typer(
    help="smartpractice: skill-by-skill knowledge tracing and Smart Practice selection.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


app.add_typer(keys_app, name="keys")
app.add_typer(tenants_app, name="tenants")
app.command("audit")(audit_command)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the sample NCERT-style bank into an empty database.")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes (more than one needs the celery queue).")
    ] = 1,
) -> None:
    """Run the HTTP API; with the embedded queue, its worker thread too.

    Example: smartpractice serve --demo --port 8000
    Example: SMARTPRACTICE_QUEUE=celery smartpractice serve --workers 4
    """
    import os

    import uvicorn

    from smartpractice.api.app import create_app
    from smartpractice.observability import configure_service_logging
    from smartpractice.services.demo_students import simulate_demo_students
    from smartpractice.services.sample_bank import load_sample_bank
    from smartpractice.storage.db import Database, upgrade_schema

    if not 1 <= port <= 65535:
        raise fail(f"--port: must be a TCP port, 1-65535, not {port}")
    configure_service_logging()
    settings = Settings()
    if workers > 1 and settings.queue != "celery":
        raise fail("several API processes need SMARTPRACTICE_QUEUE=celery (and a worker)")
    if demo and host not in _LOOPBACK:
        raise fail(
            f"--host: --demo runs without authentication, so it only binds to loopback "
            f"(127.0.0.1), not {host}"
        )
    announce_database(settings.database_url)
    if demo:
        typer.echo(
            "WARNING: DEMO MODE, AUTHENTICATION IS OFF: anyone who can reach this port is an "
            "admin. Bound to loopback only. Without --demo every request needs an API key.",
            err=True,
        )
    else:
        _hint_when_no_keys(settings)
    typer.echo(f"smartpractice on http://{host}:{port} (docs at /docs), queue {settings.queue}")
    if workers == 1:
        uvicorn.run(create_app(settings, demo=demo), host=host, port=port, log_level="info")
        return
    # Migrate and load the demo once, here, rather than racing in every process.
    upgrade_schema(settings.database_url)
    if demo:
        db = Database(settings.database_url)
        with db.transaction() as session:
            loaded = load_sample_bank(session, elo=settings.model.elo)
        if loaded:
            simulate_demo_students(db, settings)
        db.dispose()
    os.environ["SMARTPRACTICE_MIGRATE_ON_START"] = "false"
    uvicorn.run(
        "smartpractice.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
    beat: Annotated[
        bool, typer.Option(help="Also run the periodic sweep of events left pending.")
    ] = True,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "info",
) -> None:
    """Run a Celery worker that applies events (for SMARTPRACTICE_QUEUE=celery).

    Example: smartpractice worker --concurrency 2
    (with SMARTPRACTICE_QUEUE=celery, SMARTPRACTICE_BROKER_URL and SMARTPRACTICE_DATABASE_URL set)
    """
    from smartpractice.storage.db import upgrade_schema
    from smartpractice.worker.celery_app import make_celery, worker_queues

    settings = Settings()
    announce_database(settings.database_url)
    upgrade_schema(settings.database_url)
    celery = make_celery(settings)
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"]
    # Every tenant queue, read in turn (Celery creates the ones that do not exist yet).
    argv.append(f"--queues={','.join(worker_queues(settings))}")
    if beat:
        argv.append("--beat")
    celery.worker_main(argv)


def _hint_when_no_keys(settings: Settings) -> None:
    """Keys are required outside the demo: say how to make the first one."""
    from smartpractice.services.access import list_keys
    from smartpractice.storage.db import Database, upgrade_schema

    upgrade_schema(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            live = [k for k in list_keys(session) if k.revoked_at is None]
    finally:
        db.dispose()
    if not live:
        typer.echo(
            "no API keys yet, so every request will be refused (401); create one with "
            "`smartpractice keys create --scope admin --name ops` (or run --demo to try the "
            "service without keys, on loopback)",
            err=True,
        )


def _tenant_database(settings: Settings, tenant: str) -> tuple[Database, Database]:
    """The migrated default database and `tenant`'s (the same for the default tenant);
    dispose of the first when done. Fails clearly for an unregistered tenant."""
    from smartpractice.services.access import list_tenants
    from smartpractice.storage.db import Database, upgrade_schema

    announce_database(settings.database_url)
    upgrade_schema(settings.database_url)
    root = Database(settings.database_url)
    with root.transaction() as session:
        known = list_tenants(session)
    if tenant not in known:
        root.dispose()
        raise fail(f"--tenant: no tenant {tenant!r} (smartpractice tenants create {tenant})")
    upgrade_schema(settings.database_url, tenant)
    return root, root.for_tenant(tenant)


def _audit_cli(root: Database, tenant: str, action: str, detail: dict[str, object]) -> None:
    from smartpractice.services.access import record_audit

    with root.transaction() as session:
        record_audit(session, tenant_id=tenant, key_name="cli", action=action, detail=detail)


def _bad_rows(errors: Sequence[RowError]) -> str:
    from smartpractice.importer import RowError

    count = RowError.count_rows(errors)
    return f"{count} bad row{'' if count == 1 else 's'}"


class CatalogKind(StrEnum):
    """What a CSV file (or a bare JSON list) holds."""

    skills = "skills"
    items = "items"


@app.command("import")
def import_catalog(
    files: Annotated[
        list[Path], typer.Argument(help="JSON or CSV files.", exists=True, metavar="FILE")
    ],
    kind: Annotated[
        CatalogKind | None,
        typer.Option(help="What a CSV (or JSON list) file holds; columns in docs/import.md."),
    ] = None,
    tenant: Annotated[str, typer.Option(help="Whose catalogue to import into.")] = "default",
) -> None:
    """Import skills, items and misconceptions; nothing is imported if any row is bad.

    Every problem is reported with its file and row (1 = a CSV file's first data row is
    row 2, after the header; a JSON array's first entry is row 1).

    Example: smartpractice import bank.json
    Example: smartpractice import --kind items items.csv
    """
    from smartpractice.importer import Batch, read_import_file
    from smartpractice.services.catalog import upsert_items, upsert_skills
    from smartpractice.services.errors import InvalidInput
    from smartpractice.services.tutor import upsert_misconceptions

    settings = Settings()
    batch = Batch()
    for path in files:
        try:
            batch.add(read_import_file(path, kind=kind.value if kind else None))
        except (ValueError, json.JSONDecodeError) as error:
            raise fail(str(error)) from None
    if batch.errors:
        for row_error in batch.errors:
            typer.echo(str(row_error), err=True)
        raise fail(f"{_bad_rows(batch.errors)}; nothing imported")
    root, db = _tenant_database(settings, tenant)
    step = "skills"
    try:
        with db.transaction() as session:
            if batch.skills:
                upsert_skills(session, batch.skills)
                session.flush()
            step = "items"
            if batch.items:
                upsert_items(session, batch.items, elo=settings.model.elo)
            step = "misconceptions"
            if batch.misconceptions:
                session.flush()
                upsert_misconceptions(session, batch.misconceptions)
    except InvalidInput as error:
        located = batch.locate(step, error.errors)
        for row_error in located:
            typer.echo(str(row_error), err=True)
        raise fail(f"{_bad_rows(located)}; nothing imported") from None
    else:
        counts = batch.counts()
        _audit_cli(root, tenant, "catalog.import", counts)
    finally:
        root.dispose()
    typer.echo(
        f"imported {counts['skills']} skills and {counts['items']} items"
        + (f" and {counts['misconceptions']} misconceptions" if batch.misconceptions else "")
    )


@app.command()
def replay(
    check: Annotated[
        bool, typer.Option(help="Only compare the replay with the live ratings; change nothing.")
    ] = False,
    tenant: Annotated[str, typer.Option(help="Whose event log to replay.")] = "default",
) -> None:
    """Rebuild every rating from the event log, in the order events were applied.

    Example: smartpractice replay --check
    """
    from smartpractice.services.replay import compare_with_live, rebuild_ratings, replay_event_log

    settings = Settings()
    root, db = _tenant_database(settings, tenant)
    started = time.perf_counter()
    try:
        with db.transaction() as session:
            if check:
                result = replay_event_log(session, config=settings.model)
                differences = compare_with_live(session, result)
            else:
                result = rebuild_ratings(session, config=settings.model)
                differences = []
        if not check:
            _audit_cli(root, tenant, "replay", {"events": result.events})
    finally:
        root.dispose()
    seconds = time.perf_counter() - started
    typer.echo(f"replayed {result.events} events in {seconds:.2f} s")
    if result.skipped:
        typer.echo(f"skipped {len(result.skipped)} events whose item no longer exists")
    if differences:
        for line in differences[:20]:
            typer.echo(line, err=True)
        raise fail(f"{len(differences)} ratings differ from the live state")
    if check:
        typer.echo("the live ratings equal the replay")


bench_app = typer.Typer(help="Benchmarks for sizing a deployment (figures, not tests).")
app.add_typer(bench_app, name="bench")


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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Next-question p50/p99 (ms) on a generated bank, scope = one topic.

    Example: smartpractice bench select --items 100000 --json
    """
    require_lab("bench select")
    from smartpractice.benchmarks import bench_select

    _print_table(
        bench_select(Settings(), items=items, requests=requests, progress=not as_json), as_json
    )


@bench_app.command("pipeline")
def bench_pipeline_command(
    events: Annotated[int, typer.Option(help="Backlog of attempts to ingest and apply.")] = 20_000,
    workers: Annotated[int, typer.Option(help="Celery worker processes to start.")] = 2,
    rate: Annotated[int, typer.Option(help="Offered attempts per second for the lag run.")] = 1000,
    seconds: Annotated[int, typer.Option(help="Length of the lag run.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ingest/s, applied/s and 202-to-applied lag through real API and worker processes,
    with pgbench's TPC-B tps on the same PostgreSQL for scale.

    Example: smartpractice bench pipeline --workers 2 --rate 1000 --json
    """
    require_lab("bench pipeline")
    from smartpractice.bench_pipeline import bench_pipeline

    result = bench_pipeline(
        Settings(), events=events, workers=workers, offered_rate=rate, lag_seconds=seconds
    )
    _print_table(result, as_json)


@bench_app.command("faults")
def bench_faults_command(
    short: Annotated[
        bool, typer.Option(help="Short phases (3 s before, 4 s of fault), as CI runs it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each fault scenario under load on throwaway PostgreSQL, Redis and Celery workers of
    its own: lost, applied twice, 5xx, the other tenant's delay and throughput per scenario.

    Example: smartpractice bench faults --json
    """
    from smartpractice.bench_faults import bench_faults

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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every dashboard view's p50/p99 (ms) with many students, in a scratch database.

    Example: smartpractice bench dashboard --students 10000 --json
    """
    require_lab("bench dashboard")
    from smartpractice.dashboard.bench import bench_dashboard

    result = bench_dashboard(Settings(), students=students, requests=requests, progress=not as_json)
    _print_table(result, as_json)


@bench_app.command("apply")
def bench_apply_command(
    events: Annotated[int, typer.Option(help="Attempts to ingest and apply.")] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Attempts stored per second and applied per second by one worker.

    Example: smartpractice bench apply --events 20000
    """
    require_lab("bench apply")
    from smartpractice.benchmarks import bench_apply

    _print_table(bench_apply(Settings(), events=events, progress=not as_json), as_json)


from smartpractice.evaluation.command import evaluate as _evaluate  # noqa: E402

app.command("evaluate")(needs_lab("evaluate")(_evaluate))

from smartpractice.transcripts.command import evaluate_transcripts as _evaluate_transcripts  # noqa: E402

app.command("evaluate-transcripts")(needs_lab("evaluate-transcripts")(_evaluate_transcripts))


from smartpractice.simulation.command import simulate as _simulate  # noqa: E402

app.command("simulate")(needs_lab("simulate")(_simulate))


@app.command()
def calibrate(
    min_attempts: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Item skills with fewer applied attempts than this take the calibrated "
            "difficulty (new items included); 20 if not given.",
        ),
    ] = None,
    refit_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Give every item skill its calibrated difficulty, well-measured too."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report, every change included, as JSON.")
    ] = False,
    tenant: Annotated[str, typer.Option(help="Whose item difficulties to calibrate.")] = "default",
) -> None:
    """Refit item difficulties offline from the event log; seed new and rarely seen items.

    Every applied attempt is fitted at once (a regularised 1PL on the Elo scale, students'
    abilities as nuisance parameters, each difficulty's prior centred on its label plus its
    skill's fitted shift). Item skills with fewer than --min-attempts applied attempts take
    the calibrated difficulty; the others keep their online rating unless --all. Only
    item_skills.difficulty changes, in one transaction. `replay` rebuilds difficulties from
    the labels and the log, so run calibrate again after a replay. See docs/evaluation.md.

    Example: smartpractice calibrate --dry-run

    Example: smartpractice calibrate --min-attempts 10 --json
    """
    from smartpractice.services.calibration import DEFAULT_MIN_ATTEMPTS, calibrate_item_skills

    if refit_all and min_attempts is not None:
        raise fail("--all refits every item skill; leave out --min-attempts")
    settings = Settings()
    root, db = _tenant_database(settings, tenant)
    try:
        with db.transaction() as session:
            report = calibrate_item_skills(
                session,
                elo=settings.model.elo,
                min_attempts=min_attempts or DEFAULT_MIN_ATTEMPTS,
                refit_all=refit_all,
                dry_run=dry_run,
            )
        if not dry_run:
            _audit_cli(
                root,
                tenant,
                "calibrate",
                {
                    "attempts": report.attempts,
                    "changed": len(report.changes),
                    "min_attempts": report.min_attempts,
                },
            )
    finally:
        root.dispose()
    if not report.converged:
        typer.echo(f"warning: the fit stopped after {report.iterations} sweeps", err=True)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    for line in report.summary_lines():
        typer.echo(line)


def main() -> None:
    app(prog_name="smartpractice")


if __name__ == "__main__":
    main()
