"""Migrations: an empty database upgrades to head and matches the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from smartpractice.storage.db import alembic_config, upgrade_schema

pytestmark = pytest.mark.integration


def test_upgrade_empty_sqlite_to_head_then_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_schema(url)
    upgrade_schema(url)  # idempotent
    command.check(alembic_config(url))  # raises if the models and the migrations differ
