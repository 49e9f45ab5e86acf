"""Shared fixtures: an isolated SQLite file per test, the app, and helpers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url

from smartpractice.api.app import create_app
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice.worker.embedded import drain_pending
from tests.services import POSTGRES_URL, require


@pytest.fixture(scope="session")
def sample_bank_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the sample bank, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "sample.db"
    url = f"sqlite:///{path}"
    upgrade_schema(url)
    database = Database(url)
    with database.transaction() as session:
        load_sample_bank(SqlCatalogStore(session), elo=Settings().model.elo)
    # Closing the last connection checkpoints the WAL into the file we copy.
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database holding the migrated schema and the sample bank, to clone."""
    require("PostgreSQL", POSTGRES_URL)
    name = f"sp_template_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_schema(url)
    database = Database(url)
    with database.transaction() as session:
        load_sample_bank(SqlCatalogStore(session), elo=Settings().model.elo)
    database.dispose()
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database (a copy of the template) for one test."""
    name = f"sp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, sample_bank_db: Path) -> Settings:
    """Settings on a fresh database holding the sample bank: every integration test that
    uses it runs on SQLite and on PostgreSQL."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        return Settings(database_url=url, queue="embedded")
    path = tmp_path / "smartpractice.db"
    shutil.copyfile(sample_bank_db, path)
    return Settings(database_url=f"sqlite:///{path}", queue="embedded")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The API over a fresh database holding the sample bank; events are applied only when
    a test calls `drain` (no worker thread), so tests control timing exactly."""
    app = create_app(settings, demo=True, notify_worker=lambda *_: None)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(client: TestClient) -> Database:
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    return database


@pytest.fixture
def drain(db: Database, settings: Settings) -> Drain:
    return Drain(db, settings)


class Drain:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def __call__(self) -> int:
        return drain_pending(self.db, self.settings)
