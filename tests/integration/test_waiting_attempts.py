"""Attempts waiting for their tutor chat hold back only their own student's later events,
however many of them there are."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from smartpractice.adapters.similarity.analyzer import make_analyzer
from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.schemas import AttemptIn
from smartpractice.services.tutoring_analysis import transcript_handling
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

_ITEM = "ncert-eg-8-2-1"


def test_many_waiting_attempts_do_not_hold_another_students_event(
    tmp_path: Path, sample_bank_db: Path
) -> None:
    path = tmp_path / "smartpractice.db"
    shutil.copyfile(sample_bank_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", tutor_backend="lexical")
    db = Database(settings.database_url)
    now = datetime.now(UTC)
    waiting = [
        AttemptIn(
            event_id=f"w-{n}",
            student_id=f"waiting-{n}",
            item_id=_ITEM,
            score=1.0,
            tutor_session_id=f"chat-never-sent-{n}",
        )
        for n in range(1700)
    ]
    first = AttemptIn(event_id="w-0-before", student_id="waiting-0", item_id=_ITEM, score=1.0)
    later = AttemptIn(event_id="w-0-later", student_id="waiting-0", item_id=_ITEM, score=1.0)
    other = AttemptIn(event_id="other", student_id="unrelated", item_id=_ITEM, score=1.0)
    with db.transaction() as session:
        accept_attempts(SqlEventStore(session), [first, *waiting, later, other], now=now)
    with db.transaction() as session:
        applied = apply_pending_events(
            SqlEventStore(session),
            config=settings.model,
            now=now,
            limit=settings.worker_batch_size,
            transcripts=transcript_handling(settings, make_analyzer(settings)),
        )
    assert applied == 2
    with db.transaction() as session:
        status = dict(session.execute(select(Event.event_id, Event.status)).tuples().all())
    assert status["other"] == status["w-0-before"] == "applied"
    assert status["w-0-later"] == "pending"
    assert {status[f"w-{n}"] for n in range(1700)} == {"pending"}
    db.dispose()
