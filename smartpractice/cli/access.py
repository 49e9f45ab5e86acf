"""`smartpractice keys ...`, `smartpractice tenants ...` and `smartpractice audit`: access
control from the shell. Whoever runs these holds the database credentials, so they need
no API key; every change they make is written to the audit log as the ``cli``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from smartpractice.cli.common import AsJson, announce_database, fail, tenant_option
from smartpractice.settings import Settings

if TYPE_CHECKING:
    from smartpractice.storage.db import Database

__all__ = ["audit_command", "keys_app", "tenants_app"]

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
tenants_app = typer.Typer(help="Create and list tenants (schools or apps).", no_args_is_help=True)

_CLI = "cli"


def _service_database(settings: Settings) -> Database:
    """The migrated default database, which holds tenants, keys and the audit log; the
    caller disposes of it."""
    from smartpractice.storage.db import Database, upgrade_schema

    announce_database(settings.database_url)
    upgrade_schema(settings.database_url)
    return Database(settings.database_url)


@tenants_app.command("create")
def create_tenant(
    tenant: Annotated[str, typer.Argument(help="Tenant id: a-z, 0-9 and _, 1-40 characters.")],
    name: Annotated[str | None, typer.Option(help="Human-readable name.")] = None,
) -> None:
    """Register a tenant and create its tables (a schema on PostgreSQL, a file on SQLite).

    Example: smartpractice tenants create greenwood_high --name "Greenwood High School"
    """
    from smartpractice.services.access import ensure_tenant, record_audit
    from smartpractice.services.ports import InvalidInput
    from smartpractice.storage.db import upgrade_schema
    from smartpractice.storage.sql_access import SqlAccessStore

    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            created = ensure_tenant(SqlAccessStore(session), tenant, name)
            if created:
                record_audit(
                    SqlAccessStore(session),
                    tenant_id=tenant,
                    key_name=_CLI,
                    action="tenant.create",
                    detail={},
                )
        upgrade_schema(settings.database_url, tenant)
    except InvalidInput as error:
        raise fail(f"tenant: {error.errors[0]['msg']}") from None
    finally:
        db.dispose()
    typer.echo(f"tenant {tenant} {'created' if created else 'already exists; tables upgraded'}")


def _print_columns(headers: list[str], rows: list[list[str]]) -> None:
    """A table with a header line, every column as wide as its widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in [headers, *rows]:
        typer.echo("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


@tenants_app.command("list")
def list_tenants_command(
    as_json: AsJson = False,
) -> None:
    """Every tenant, the default one first: id and name.

    Example: smartpractice tenants list
    Example: smartpractice tenants list --json
    """
    from smartpractice.services.access import tenant_names
    from smartpractice.storage.sql_access import SqlAccessStore

    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            names = tenant_names(SqlAccessStore(session))
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps([{"tenant": t, "name": n} for t, n in names.items()]))
        return
    _print_columns(["TENANT", "NAME"], [[t, n] for t, n in names.items()])


@keys_app.command("create")
def create_key_command(
    scope: Annotated[str, typer.Option(help="ingest, read or admin.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key (shown in the audit log).")],
    tenant: Annotated[str, tenant_option("The tenant the key belongs to.")] = "default",
) -> None:
    """Create an API key and print it once (only its salted hash is stored).

    Example: smartpractice keys create --scope ingest --name "lms backend"
    """
    from smartpractice.services.access import Scope, create_key, ensure_tenant, record_audit
    from smartpractice.services.ports import InvalidInput
    from smartpractice.storage.db import DEFAULT_TENANT
    from smartpractice.storage.sql_access import SqlAccessStore

    try:
        wanted = Scope(scope)
    except ValueError:
        raise fail(f"--scope: must be one of ingest, read, admin, not {scope!r}") from None
    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            if tenant == DEFAULT_TENANT:
                ensure_tenant(SqlAccessStore(session), DEFAULT_TENANT)
            created = create_key(SqlAccessStore(session), tenant_id=tenant, scope=wanted, name=name)
            record_audit(
                SqlAccessStore(session),
                tenant_id=tenant,
                key_name=_CLI,
                action="key.create",
                detail={"key_id": created.info.key_id, "name": name, "scope": wanted.value},
            )
    except InvalidInput as error:
        first = error.errors[0]
        raise fail(f"--{first['loc'][0]}: {first['msg']}") from None
    finally:
        db.dispose()
    typer.echo(f"key {created.info.key_id} ({wanted.value}) for tenant {tenant}:")
    typer.echo(created.token)
    typer.echo("Store it now: it cannot be shown again.", err=True)


@keys_app.command("list")
def list_keys_command(
    tenant: Annotated[str | None, tenant_option("Only this tenant's keys.")] = None,
    as_json: AsJson = False,
) -> None:
    """Every key: id, tenant, scope, name, created, revoked (never the secret).

    Example: smartpractice keys list
    Example: smartpractice keys list --tenant greenwood_high --json
    """
    from smartpractice.services.access import list_keys
    from smartpractice.storage.sql_access import SqlAccessStore

    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            keys = list_keys(SqlAccessStore(session), tenant)
    finally:
        db.dispose()
    rows = [
        {
            "key_id": k.key_id,
            "tenant": k.tenant_id,
            "scope": k.scope.value,
            "name": k.name,
            "created_at": k.created_at.isoformat(),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        }
        for k in keys
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = [
        [
            str(row["key_id"]),
            str(row["tenant"]),
            str(row["scope"]),
            str(row["name"]),
            str(row["created_at"])[:19],
            f"revoked {str(row['revoked_at'])[:19]}" if row["revoked_at"] else "active",
        ]
        for row in rows
    ]
    _print_columns(["KEY_ID", "TENANT", "SCOPE", "NAME", "CREATED", "STATE"], table)


@keys_app.command("revoke")
def revoke_key_command(
    key_id: Annotated[str, typer.Argument(help="The key id printed by `keys create`/`keys list`.")],
) -> None:
    """Revoke a key: every API process refuses it within `key_cache_seconds`.

    Example: smartpractice keys revoke 3f2a9c0d1e4b5a69
    """
    from smartpractice.services.access import record_audit, revoke_key
    from smartpractice.services.ports import NotFound
    from smartpractice.storage.sql_access import SqlAccessStore

    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            info = revoke_key(SqlAccessStore(session), key_id)
            record_audit(
                SqlAccessStore(session),
                tenant_id=info.tenant_id,
                key_name=_CLI,
                action="key.revoke",
                detail={"key_id": key_id},
            )
    except NotFound:
        raise fail(f"KEY_ID: no key {key_id!r}") from None
    finally:
        db.dispose()
    typer.echo(f"key {key_id} revoked")


def audit_command(
    tenant: Annotated[str, tenant_option("Whose entries.")] = "default",
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Newest entries to show.")] = 50,
) -> None:
    """Print a tenant's audit log, newest first (JSON lines).

    Example: smartpractice audit --tenant greenwood_high
    """
    from pydantic_core import to_json

    from smartpractice.services.access import audit_entries
    from smartpractice.storage.sql_access import SqlAccessStore

    settings = Settings()
    db = _service_database(settings)
    try:
        with db.transaction() as session:
            for entry in audit_entries(SqlAccessStore(session), tenant, limit=limit):
                typer.echo(to_json(entry).decode())
    finally:
        db.dispose()
