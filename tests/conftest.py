"""Shared fixtures: an isolated SQLite file per test, the app, and helpers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartpractice.api.app import create_app
from smartpractice.config import Settings
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.worker.embedded import drain_pending


@pytest.fixture(scope="session")
def sample_bank_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the sample bank, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "sample.db"
    url = f"sqlite:///{path}"
    upgrade_schema(url)
    database = Database(url)
    with database.transaction() as session:
        load_sample_bank(session, elo=Settings().model.elo)
    # Closing the last connection checkpoints the WAL into the file we copy.
    database.dispose()
    return path


@pytest.fixture
def settings(tmp_path: Path, sample_bank_db: Path) -> Settings:
    path = tmp_path / "smartpractice.db"
    shutil.copyfile(sample_bank_db, path)
    return Settings(database_url=f"sqlite:///{path}", queue="embedded")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The API over a fresh database holding the sample bank; events are applied only when
    a test calls `drain` (no worker thread), so tests control timing exactly."""
    app = create_app(settings, demo=True, notify_worker=lambda: None)
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
