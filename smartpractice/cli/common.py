"""Helpers every `smartpractice` command shares: errors, the ``--json`` and ``--tenant``
options, the database line, the lab check."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from typer.models import OptionInfo

if TYPE_CHECKING:
    from smartpractice.settings import Settings
    from smartpractice.storage.db import Database

__all__ = [
    "LAB_MODULES",
    "AsJson",
    "announce_database",
    "fail",
    "importable",
    "json_option",
    "missing_lab_modules",
    "needs_lab",
    "require_lab",
    "shown_url",
    "tenant_database",
    "tenant_option",
    "tidy_help",
]

P = ParamSpec("P")
R = TypeVar("R")

LAB_MODULES = ("scipy", "sklearn", "matplotlib", "tqdm")
"""What evaluation, simulation and benchmarks import (the ``lab`` extra)."""


def json_option(help: str = "Print JSON.") -> OptionInfo:
    """The ``--json`` flag (machine-readable output on stdout, messages still on stderr);
    `help` says what the document holds where that is more than "Print JSON."."""
    option: OptionInfo = typer.Option("--json", help=help)
    return option


def tenant_option(help: str) -> OptionInfo:
    """The ``--tenant TENANT`` option (a registered tenant id, `smartpractice tenants list`);
    `help` says what the command does with that tenant's data."""
    option: OptionInfo = typer.Option("--tenant", help=help, metavar="TENANT")
    return option


AsJson = Annotated[bool, json_option()]
"""``--json`` with the plain help, for ``as_json: AsJson = False``."""


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` to stderr; raise the returned exit (code 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def shown_url(url: str) -> str:
    """`url` without its password, a relative SQLite path made absolute."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        parsed = parsed.set(database=str(Path(database).resolve()))
    return parsed.render_as_string(hide_password=True)


def announce_database(url: str) -> None:
    """Say on stderr which database a command opens (``database: sqlite:////abs/x.db``), so
    a command run from another folder does not silently make a new, empty one."""
    typer.echo(f"database: {shown_url(url)}", err=True)


def missing_lab_modules() -> list[str]:
    """The lab extra's modules that cannot be imported here."""
    return [name for name in LAB_MODULES if not importable(name)]


def importable(name: str) -> bool:
    """Whether the module `name` can be found, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_lab(command: str) -> None:
    """Fail clearly when the lab extra is not installed."""
    missing = missing_lab_modules()
    if missing:
        raise fail(
            f"`smartpractice {command}` needs the lab extra: pip install 'smartpractice[lab]' "
            f"(missing: {', '.join(missing)})"
        )


def needs_lab(command: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a command that runs evaluation, simulation or benchmark code."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            require_lab(command)
            if kwargs.get("from_db"):
                from smartpractice.settings import Settings

                announce_database(Settings().database_url)
            return function(*args, **kwargs)

        return wrapper

    return decorate


def tidy_help() -> None:
    """Help without type placeholders that read as noise: no ``<bool>`` beside a flag, and
    a required argument shown as ``FILE...`` rather than ``{files}...`` in the usage line.
    (Typer's display hooks; left as they are if a Typer release renames them.)"""
    from typer import core

    option = getattr(core, "TyperOption", None)
    argument = getattr(core, "TyperArgument", None)
    if option is not None and hasattr(option, "display_type_rich"):
        plain = option.display_type_rich

        def display_type_rich(self: typer.core.TyperOption, ctx: typer.Context) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None
            result: str | None = plain(self, ctx)
            return result

        option.display_type_rich = display_type_rich
    if argument is not None and hasattr(argument, "_usage_display_name"):

        def usage_name(self: typer.core.TyperArgument) -> str:
            name = self.metavar or self.name.upper()
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name = usage_name
        shown = argument.display_type_rich

        def argument_type(self: typer.core.TyperArgument, ctx: typer.Context) -> str | None:
            if self.nargs != 1:  # FILES... says it already; not <list[Path]>
                return None
            result: str | None = shown(self, ctx)
            return result

        argument.display_type_rich = argument_type


def tenant_database(settings: Settings, tenant: str) -> tuple[Database, Database]:
    """The migrated default database and `tenant`'s (the same for the default tenant);
    dispose of the first when done. Fails clearly for an unregistered tenant."""
    from smartpractice.services.access import list_tenants
    from smartpractice.storage.db import Database, upgrade_schema
    from smartpractice.storage.sql_access import SqlAccessStore

    announce_database(settings.database_url)
    upgrade_schema(settings.database_url)
    root = Database(settings.database_url)
    with root.transaction() as session:
        known = list_tenants(SqlAccessStore(session))
    if tenant not in known:
        root.dispose()
        raise fail(f"--tenant: no tenant {tenant!r} (smartpractice tenants create {tenant})")
    upgrade_schema(settings.database_url, tenant)
    return root, root.for_tenant(tenant)
