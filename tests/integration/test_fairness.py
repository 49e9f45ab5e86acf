"""One tenant's flood, within its limits, delays another tenant's events by a batch at
most; a key's events are limited, not only its requests."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartpractice.api.app import create_app
from smartpractice.services.access import Scope, create_key, ensure_tenant
from smartpractice.services.events import accept_attempts
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database, upgrade_schema
from smartpractice.storage.models import Event
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.worker.embedded import drain_tenants

pytestmark = pytest.mark.integration

_ITEM = "ncert-eg-8-2-1"


@pytest.fixture
def sqlite_settings(tmp_path: Path, sample_bank_db: Path) -> Settings:
    path = tmp_path / "smartpractice.db"
    shutil.copyfile(sample_bank_db, path)
    return Settings(database_url=f"sqlite:///{path}", tutor_backend="lexical")


def _attempts(prefix: str, n: int) -> list[AttemptIn]:
    return [
        AttemptIn(
            event_id=f"{prefix}-{k}", student_id=f"{prefix}-s{k % 50}", item_id=_ITEM, score=1
        )
        for k in range(n)
    ]


def _applied(db: Database) -> int:
    with db.transaction() as session:
        query = select(func.count()).select_from(Event).where(Event.status == "applied")
        return int(session.execute(query).scalar_one())


def test_the_embedded_worker_takes_tenants_in_turn(sqlite_settings: Settings) -> None:
    root = Database(sqlite_settings.database_url)
    with root.transaction() as session:
        ensure_tenant(SqlAccessStore(session), "flood")
    upgrade_schema(sqlite_settings.database_url, "flood")
    flood = root.for_tenant("flood")
    with flood.transaction() as session:
        load_sample_bank(SqlCatalogStore(session), elo=sqlite_settings.model.elo)
    now = datetime.now(UTC)
    with flood.transaction() as session:
        accept_attempts(SqlEventStore(session), _attempts("f", 2000), now=now)
    with root.transaction() as session:
        accept_attempts(SqlEventStore(session), _attempts("calm", 1), now=now)
    # The flooding tenant comes first; the other's event waits for one of its batches.
    drain_tenants([flood, root], sqlite_settings, max_rounds=1)
    assert _applied(root) == 1
    assert _applied(flood) == sqlite_settings.worker_batch_size
    root.dispose()


def test_a_keys_events_are_limited_not_only_its_requests(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"event_rate_limit": "1500/minute"})
    app = create_app(settings, notify_worker=lambda *_: None)
    with TestClient(app) as client:
        with app.state.db.transaction() as session:
            keys = [
                create_key(
                    SqlAccessStore(session), tenant_id="default", scope=Scope.ingest, name=n
                ).token
                for n in ("flood", "calm")
            ]
        flood, calm = ({"Authorization": f"Bearer {k}"} for k in keys)
        batch = [a.model_dump(mode="json") for a in _attempts("f", 1000)]
        assert (
            client.post("/v1/attempts", json={"attempts": batch}, headers=flood).status_code == 202
        )
        again = [{**a, "event_id": "2" + a["event_id"]} for a in batch]
        refused = client.post("/v1/attempts", json={"attempts": again}, headers=flood)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        one = _attempts("calm", 1)[0].model_dump(mode="json")
        assert client.post("/v1/attempts", json=one, headers=calm).status_code == 202
