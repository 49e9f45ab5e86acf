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
    _down_one_and_up_again(url)


def _down_one_and_up_again(url: str) -> None:
    # The newest migration's downgrade leaves what its upgrade expects to find.
    config = alembic_config(url)
    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    command.check(config)


def test_upgrade_empty_postgresql_to_head_then_check(postgres_template: str) -> None:
    import uuid

    from sqlalchemy import create_engine, make_url

    from tests.services import POSTGRES_URL

    name = f"sp_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        upgrade_schema(url)
        command.check(alembic_config(url))
        _down_one_and_up_again(url)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
