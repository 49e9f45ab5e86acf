"""Events stored by the previous version (a payload without ``format``) still apply, and
replay, exactly as the same attempt stored now; a new event is stored with its format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.replay import compare_with_live, replay_event_log
from smartpractice.services.schemas import STORED_ATTEMPT_FORMAT, AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Student
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

_NOW = datetime(2026, 5, 1, tzinfo=UTC)

# What the previous version stored for `_ATTEMPT`: the JSON of the accepted `AttemptIn`.
_PREVIOUS_PAYLOAD = json.loads(
    '{"event_id": "mig-1", "student_id": "s-mig", "item_id": "ncert-eg-8-2-1", '
    '"score": 0.75, "occurred_at": "2026-04-30T09:00:00Z", "skill_scores": {}, '
    '"attempts": 2, "time_spent_seconds": 42.5, "hints_used": 1, "solution_viewed": false, '
    '"confidence": 4, "mode": "practice", "tutor_session_id": null}'
)

_ATTEMPT = AttemptIn(
    event_id="mig-1",
    student_id="s-mig",
    item_id="ncert-eg-8-2-1",
    score=0.75,
    occurred_at=datetime(2026, 4, 30, 9, tzinfo=UTC),
    attempts=2,
    time_spent_seconds=42.5,
    hints_used=1,
    confidence=4,
    mode="practice",
)


def _accept_and_apply(
    db: Database, settings: Settings, stored_as: dict[str, Any] | None
) -> tuple[Any, ...]:
    """Accept `_ATTEMPT` (its payload replaced by `stored_as`, if given) and apply it, in
    a transaction rolled back afterwards; what it did and the payload it had."""
    session = db.sessions()
    try:
        store = SqlEventStore(session)
        accept_attempts(store, [_ATTEMPT], now=_NOW)
        if stored_as is not None:
            session.execute(
                update(Event).where(Event.event_id == _ATTEMPT.event_id).values(payload=stored_as)
            )
        assert apply_pending_events(store, config=settings.model, now=_NOW, limit=10) == 1
        event = session.scalars(select(Event).where(Event.event_id == _ATTEMPT.event_id)).one()
        student = session.get(Student, _ATTEMPT.student_id)
        assert student is not None
        assert compare_with_live(store, replay_event_log(store, config=settings.model)) == []
        return (
            (event.status, event.reason, event.predicted, event.performance, event.outcome),
            (student.ability, student.attempts, student.correct, student.last_at),
            dict(event.payload),
        )
    finally:
        session.rollback()
        session.close()


def test_an_event_stored_by_the_previous_version_applies_as_one_stored_now(
    settings: Settings,
) -> None:
    db = Database(settings.database_url)
    previous_event, previous_student, previous_payload = _accept_and_apply(
        db, settings, _PREVIOUS_PAYLOAD
    )
    event, student, payload = _accept_and_apply(db, settings, None)
    db.dispose()
    assert previous_payload == _PREVIOUS_PAYLOAD
    assert payload == {"format": STORED_ATTEMPT_FORMAT, **_PREVIOUS_PAYLOAD}
    assert previous_event[0] == "applied"
    assert previous_event == event
    assert previous_student == student
