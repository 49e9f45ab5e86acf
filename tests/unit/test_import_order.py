"""The layers follow the folders, and imports run one way only.

- `core` imports nothing of the package (the math; `test_core_purity` also limits its
  third-party imports);
- `services.ports` and `services.schemas` (the contract of the use cases) import only core;
- `storage` and `memory` (the ports' implementations) import core, the contract and
  `settings`; storage may use a memory store (the worker's batch store keeps one batch's
  ratings in memory between its one read and its one write);
- `adapters` (similarity backends, the Redis cache) import core, the contract and `settings`;
- `services` (the use cases) import core, the contract, each other and `settings`, never
  storage or an adapter: they get those through the ports;
- `api`, `worker` and `cli` wire everything together and may import any of the above;
- nothing in `smartpractice` imports `smartpractice_lab`, which may import anything.

The check reads the source with `ast`, so imports under ``if TYPE_CHECKING:`` or inside a
function count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import smartpractice

ROOT = Path(smartpractice.__file__).parent
CONTRACT = ("smartpractice.core", "smartpractice.services.ports", "smartpractice.services.schemas")
SETTINGS = ("smartpractice.settings",)
IMPLEMENTATIONS = CONTRACT + SETTINGS
SERVICE_LAYERS = (*IMPLEMENTATIONS, "smartpractice.services")
WIRING = (
    *SERVICE_LAYERS,
    "smartpractice.storage",
    "smartpractice.memory",
    "smartpractice.adapters",
    "smartpractice.api",
    "smartpractice.worker",
    "smartpractice.cli",
    "smartpractice",  # ``from smartpractice import __version__``
)

# Most specific prefix first: a module's layer is the first prefix its name starts with.
ALLOWED: list[tuple[str, tuple[str, ...]]] = [
    ("smartpractice.core", ("smartpractice.core",)),
    ("smartpractice.services.ports", ("smartpractice.core", "smartpractice.services.ports")),
    ("smartpractice.services.schemas", ("smartpractice.core", "smartpractice.services.schemas")),
    ("smartpractice.settings", ("smartpractice.core", "smartpractice.settings")),
    ("smartpractice.storage", (*IMPLEMENTATIONS, "smartpractice.storage", "smartpractice.memory")),
    ("smartpractice.memory", (*IMPLEMENTATIONS, "smartpractice.memory")),
    ("smartpractice.adapters", (*IMPLEMENTATIONS, "smartpractice.adapters")),
    ("smartpractice.services", SERVICE_LAYERS),
    ("smartpractice.migrations", (*IMPLEMENTATIONS, "smartpractice.storage")),
    ("smartpractice.client", (*CONTRACT, "smartpractice.api.schemas", "smartpractice")),
    ("smartpractice.api", WIRING),
    ("smartpractice.worker", WIRING),
    ("smartpractice.cli", WIRING),
    ("smartpractice", ("smartpractice",)),  # the package's own __init__
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_imports(path: Path) -> list[tuple[int, str]]:
    """Absolute names of the package's modules that a source file imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(
            (node.lineno, name) for name in names if name.split(".")[0].startswith("smartpractice")
        )
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f"{prefix}.")


def allowed_for(module: str) -> tuple[str, ...]:
    for prefix, allowed in ALLOWED:
        if within(module, prefix):
            return allowed
    raise AssertionError(f"{module} belongs to no layer; add its folder to ALLOWED")


def is_allowed(module: str, imported: str) -> bool:
    if imported == "smartpractice":
        return within(module, "smartpractice.api") or module in {
            "smartpractice.client",
            "smartpractice.cli.app",
        }
    return any(
        within(imported, prefix) for prefix in allowed_for(module) if prefix != "smartpractice"
    )


def layer_violations() -> list[str]:
    problems: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        for line, imported in package_imports(path):
            if not is_allowed(module, imported):
                problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {module} -> {imported}")
    return problems


def test_imports_run_one_way() -> None:
    problems = layer_violations()
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "imported", "expected"),
    [
        ("smartpractice.core.rating.elo", "smartpractice.core.types", True),
        ("smartpractice.core.rating.elo", "smartpractice.services.ports", False),
        ("smartpractice.services.practice", "smartpractice.services.ports", True),
        ("smartpractice.services.practice", "smartpractice.storage.models", False),
        ("smartpractice.services.practice", "smartpractice.adapters.redis_cache", False),
        ("smartpractice.storage.sql_catalog", "smartpractice.services.ports", True),
        ("smartpractice.storage.sql_catalog", "smartpractice.services.practice", False),
        ("smartpractice.memory.ratings", "smartpractice.storage.models", False),
        ("smartpractice.api.app", "smartpractice.storage.db", True),
        ("smartpractice.api.app", "smartpractice_lab.simulation", False),
        ("smartpractice.cli.app", "smartpractice_lab.cli", False),
        ("smartpractice.worker.embedded", "smartpractice.services.events", True),
    ],
)
def test_the_rule_itself(module: str, imported: str, expected: bool) -> None:
    assert is_allowed(module, imported) is expected


def test_every_module_has_a_layer() -> None:
    for path in ROOT.rglob("*.py"):
        allowed_for(module_name(path))
