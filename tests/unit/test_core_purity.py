"""The math core imports only the standard library, NumPy and itself (house style, habit 1).

The check reads the source files with `ast` rather than importing them, so an import hidden
under `if TYPE_CHECKING:` or inside a function is caught too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import smartpractice.core

CORE_DIR = Path(smartpractice.core.__file__).parent
CORE_PACKAGE = "smartpractice.core"
ALLOWED_THIRD_PARTY = frozenset({"numpy"})
EXPECTED_MODULES = {
    "config",
    "types",
    "rating.elo",
    "rating.evidence",
    "practice.path",
    "practice.selection",
    "tutoring.analysis",
}


def core_modules() -> list[tuple[str, Path]]:
    """Every module of the core package, found by walking its directory."""
    modules = [(CORE_PACKAGE, CORE_DIR / "__init__.py")]
    for info in pkgutil.walk_packages([str(CORE_DIR)], prefix=f"{CORE_PACKAGE}."):
        relative = info.name.removeprefix(f"{CORE_PACKAGE}.").split(".")
        base = CORE_DIR.joinpath(*relative)
        path = base / "__init__.py" if info.ispkg else base.with_suffix(".py")
        modules.append((info.name, path))
    return modules


def imported_names(source: str) -> list[tuple[int, str]]:
    """Absolute module names a source file imports, with their line numbers.

    Relative imports (``from . import x``) stay inside the package and are skipped.
    """
    names: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
    return names


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or module == CORE_PACKAGE
        or module.startswith(f"{CORE_PACKAGE}.")
    )


def violations(source: str) -> list[str]:
    return [f"line {line}: {name}" for line, name in imported_names(source) if not is_allowed(name)]


def test_walk_finds_every_core_module() -> None:
    found = {name.removeprefix(f"{CORE_PACKAGE}.") for name, _ in core_modules()}
    assert found >= EXPECTED_MODULES
    assert all(path.is_file() for _, path in core_modules())


@pytest.mark.parametrize(
    ("module", "path"), core_modules(), ids=[name for name, _ in core_modules()]
)
def test_core_module_imports_only_stdlib_numpy_and_core(module: str, path: Path) -> None:
    problems = violations(path.read_text(encoding="utf-8"))
    assert not problems, f"{module} imports outside stdlib/numpy/core: {problems}"


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        ("import math\nfrom datetime import datetime", True),
        ("import numpy as np\nfrom numpy.random import Generator", True),
        ("from smartpractice.core.types import Candidate", True),
        ("from . import elo\nfrom .config import ModelConfig", True),  # relative: in-package
        ("import sqlalchemy", False),
        ("from fastapi import FastAPI", False),
        ("from pydantic import BaseModel", False),
        ("import celery.app", False),
        ("import redis", False),
        ("import httpx", False),
        ("import scipy.stats", False),  # a dependency of the project, but not of the core
        ("from smartpractice.storage import models", False),  # the rest of the package
        ("from smartpractice import config", False),
        ("import smartpractice.services", False),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy", False),
        ("def f():\n    import fastapi", False),
    ],
)
def test_import_checker_itself(source: str, allowed: bool) -> None:
    assert (not violations(source)) is allowed


@pytest.mark.parametrize(
    "module", [name for name, path in core_modules() if path.name != "__init__.py"]
)
def test_core_module_public_surface_is_declared(module: str) -> None:
    # House style habit 6: public modules declare `__all__`, and every listed name exists.
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    assert exported is not None, f"{module} has no __all__"
    missing = [name for name in exported if not hasattr(loaded, name)]
    assert not missing, f"{module}.__all__ lists missing names: {missing}"
