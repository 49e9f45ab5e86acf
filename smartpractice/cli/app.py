"""The `smartpractice` command: thin commands over the services."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartpractice.cli.access import audit_command, keys_app, tenants_app
from smartpractice.cli.common import (
    announce_database,
    fail,
    json_option,
    tenant_database,
    tenant_option,
    tidy_help,
)
from smartpractice.cli.experiments import experiments_app
from smartpractice.settings import Settings

tidy_help()

if TYPE_CHECKING:
    from smartpractice.cli.importer import RowError
    from smartpractice.storage.db import Database

__all__ = ["add_plugin_commands", "app", "main"]

app = typer.Typer(
    help="smartpractice: skill-by-skill knowledge tracing and Smart Practice selection.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


app.add_typer(keys_app, name="keys")
app.add_typer(tenants_app, name="tenants")
app.command("audit")(audit_command)
app.add_typer(experiments_app, name="experiments")

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
    from smartpractice.api.demo import demo_rounds
    from smartpractice.api.observability import configure_service_logging
    from smartpractice.services.demo_students import set_up_demo
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
        try:
            set_up_demo(demo_rounds(db, settings))
        finally:
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
    from smartpractice.storage.sql_access import SqlAccessStore

    upgrade_schema(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            live = [k for k in list_keys(SqlAccessStore(session)) if k.revoked_at is None]
    finally:
        db.dispose()
    if not live:
        typer.echo(
            "no API keys yet, so every request will be refused (401); create one with "
            "`smartpractice keys create --scope admin --name ops` (or run --demo to try the "
            "service without keys, on loopback)",
            err=True,
        )


_tenant_database = tenant_database


def _audit_cli(root: Database, tenant: str, action: str, detail: dict[str, object]) -> None:
    from smartpractice.services.access import record_audit
    from smartpractice.storage.sql_access import SqlAccessStore

    with root.transaction() as session:
        record_audit(
            SqlAccessStore(session), tenant_id=tenant, key_name="cli", action=action, detail=detail
        )


def _bad_rows(errors: Sequence[RowError]) -> str:
    from smartpractice.cli.importer import RowError

    count = RowError.count_rows(errors)
    return f"{count} bad row{'' if count == 1 else 's'}"


class CatalogKind(StrEnum):
    """What a CSV file (or a bare JSON list) holds."""

    skills = "skills"
    items = "items"
    exams = "exams"


@app.command("import")
def import_catalog(
    files: Annotated[
        list[Path], typer.Argument(help="JSON or CSV files.", exists=True, metavar="FILE")
    ],
    kind: Annotated[
        CatalogKind | None,
        typer.Option(help="What a CSV (or JSON list) file holds; columns in docs/import.md."),
    ] = None,
    tenant: Annotated[str, tenant_option("Whose catalogue to import into.")] = "default",
) -> None:
    """Import skills, items, misconceptions and exam blueprints; nothing is imported if any
    row is bad.

    Every problem is reported with its file and row (1 = a CSV file's first data row is
    row 2, after the header; a JSON array's first entry is row 1).

    Example: smartpractice import bank.json
    Example: smartpractice import --kind items items.csv
    Example: smartpractice import --kind exams blueprints.csv
    """
    from smartpractice.cli.importer import Batch, read_import_file
    from smartpractice.services.catalog import upsert_items, upsert_skills
    from smartpractice.services.exams import upsert_exams
    from smartpractice.services.ports import InvalidInput
    from smartpractice.services.tutoring import upsert_misconceptions
    from smartpractice.storage.sql_catalog import SqlCatalogStore
    from smartpractice.storage.sql_exams import SqlExamStore
    from smartpractice.storage.sql_tutoring import SqlTutoringStore

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
                upsert_skills(SqlCatalogStore(session), batch.skills)
                session.flush()
            step = "items"
            if batch.items:
                upsert_items(SqlCatalogStore(session), batch.items, elo=settings.model.elo)
            step = "misconceptions"
            if batch.misconceptions:
                session.flush()
                upsert_misconceptions(SqlTutoringStore(session), batch.misconceptions)
            step = "exams"
            if batch.exams:
                session.flush()
                upsert_exams(SqlExamStore(session), batch.exams, today=date.today())
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
        + (f" and {counts['exams']} exams" if batch.exams else "")
    )


@app.command()
def replay(
    check: Annotated[
        bool, typer.Option(help="Only compare the replay with the live ratings; change nothing.")
    ] = False,
    tenant: Annotated[str, tenant_option("Whose event log to replay.")] = "default",
) -> None:
    """Rebuild every rating from the event log, in the order events were applied.

    Example: smartpractice replay --check
    """
    from smartpractice.services.replay import compare_with_live, rebuild_ratings, replay_event_log
    from smartpractice.storage.sql_events import SqlEventStore

    settings = Settings()
    root, db = _tenant_database(settings, tenant)
    started = time.perf_counter()
    try:
        with db.transaction() as session:
            store = SqlEventStore(session)
            if check:
                result = replay_event_log(store, config=settings.model)
                differences = compare_with_live(store, result)
            else:
                result = rebuild_ratings(store, config=settings.model)
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
        bool, json_option("Print the report, every change included, as JSON.")
    ] = False,
    tenant: Annotated[str, tenant_option("Whose item difficulties to calibrate.")] = "default",
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
    from smartpractice.storage.sql_calibration import SqlCalibrationStore

    if refit_all and min_attempts is not None:
        raise fail("--all refits every item skill; leave out --min-attempts")
    settings = Settings()
    root, db = _tenant_database(settings, tenant)
    try:
        with db.transaction() as session:
            report = calibrate_item_skills(
                SqlCalibrationStore(session),
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


def add_plugin_commands(cli: typer.Typer) -> None:
    """Add the commands other installed packages register under the ``smartpractice.commands``
    entry point (the lab's evaluate, simulate, evaluate-transcripts and bench)."""
    for entry in entry_points(group="smartpractice.commands"):
        entry.load()(cli)


add_plugin_commands(app)


def main() -> None:
    app(prog_name="smartpractice")


if __name__ == "__main__":
    main()
