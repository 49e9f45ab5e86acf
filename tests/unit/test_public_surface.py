"""Public modules declare `__all__`, every exported name exists, and the README documents
every CLI command."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import typer.main

import smartpractice
from smartpractice.cli import app

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(smartpractice.__path__, "smartpractice.")
    if ".migrations" not in m.name
    and not m.ispkg
    and m.name != "smartpractice.cli"
    and ".api.routes." not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_module_exports_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []
    for name, command in getattr(click_group, "commands", {}).items():
        sub = getattr(command, "commands", None)
        if sub:
            names += [f"{prefix}{name} {s}" for s in sub]
        else:
            names.append(f"{prefix}{name}")
    return names


def test_readme_documents_every_command() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for command in _commands(app):
        head = command.split()[0]
        assert f"smartpractice {head}" in readme, f"README does not mention {command}"
