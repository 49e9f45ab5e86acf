"""An event whose stored payload no longer validates is rejected with the reason instead
of failing every batch of its partition."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

_NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_unreadable_payload_is_rejected_and_the_rest_applied(settings: Settings) -> None:
    db = Database(settings.database_url)
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [
                AttemptIn(event_id=f"ev-{n}", student_id="s", item_id="ncert-eg-8-2-1", score=1.0)
                for n in range(3)
            ],
            now=_NOW,
        )
        stored = session.scalars(select(Event.payload).where(Event.event_id == "ev-1")).one()
        # As if written under an older schema: without a field today's records need.
        del stored["score"]
        session.execute(update(Event).where(Event.event_id == "ev-1").values(payload=stored))
    with db.transaction() as session:
        apply_pending_events(SqlEventStore(session), config=settings.model, now=_NOW, limit=10)
    with db.transaction() as session:
        rows = {
            event_id: (status, reason)
            for event_id, status, reason in session.execute(
                select(Event.event_id, Event.status, Event.reason)
            )
        }
    assert rows["ev-0"] == ("applied", None) and rows["ev-2"] == ("applied", None)
    status, reason = rows["ev-1"]
    assert status == "rejected" and reason is not None and "score" in reason
    db.dispose()
