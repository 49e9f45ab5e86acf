"""Two requests sending the same new event at the same moment: the second is answered as a
duplicate (or a conflict), never with a 500 from the unique index (PostgreSQL, where two
writers really run at once)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from smartpractice.api.app import create_app
from smartpractice.services.events import accept_attempts
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

_ATTEMPT = {"event_id": "ev-race", "student_id": "s", "item_id": "ncert-eg-8-2-1", "score": 1.0}


def _wait_until_a_request_waits_on_a_lock(db: Database) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with db.transaction() as session:
            waiting = session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the request never waited on the other request's row")


@pytest.mark.parametrize(("score", "expected"), [(1.0, 202), (0.0, 409)])
def test_same_event_id_stored_meanwhile_is_a_duplicate_or_a_conflict(
    postgres_url: str, score: float, expected: int
) -> None:
    settings = Settings(database_url=postgres_url, queue="embedded")
    app = create_app(settings, demo=True, notify_worker=lambda *_: None)
    db = Database(postgres_url)
    # The other request: its row is inserted but not yet committed, so this request's
    # look-up does not see it and its insert waits on the unique index.
    other = db.sessions()
    accept_attempts(
        SqlEventStore(other), [AttemptIn(**{**_ATTEMPT, "score": score})], now=datetime.now(UTC)
    )
    answers: list[Any] = []
    with TestClient(app) as client:
        thread = threading.Thread(
            target=lambda: answers.append(client.post("/v1/attempts", json=_ATTEMPT))
        )
        thread.start()
        _wait_until_a_request_waits_on_a_lock(db)  # its insert, on the other's row
        other.commit()
        other.close()
        thread.join(30)
    response = answers[0]
    assert response.status_code == expected, response.text
    if expected == 202:
        assert response.json()["duplicates"] == 1 and response.json()["accepted"] == 0
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
    db.dispose()


def test_a_batch_overlapping_two_batches_stored_meanwhile_is_all_duplicates(
    postgres_url: str,
) -> None:
    # A batch of two events, each of which another request is storing at that moment and
    # commits while this one waits: both are duplicates, whatever the order of commits.
    settings = Settings(database_url=postgres_url, queue="embedded")
    app = create_app(settings, demo=True, notify_worker=lambda *_: None)
    db = Database(postgres_url)
    first, second = ({**_ATTEMPT, "event_id": f"ev-{n}"} for n in (1, 2))
    others = []
    for body in (first, second):
        other = db.sessions()
        accept_attempts(SqlEventStore(other), [AttemptIn(**body)], now=datetime.now(UTC))
        others.append(other)
    answers: list[Any] = []
    with TestClient(app) as client:
        thread = threading.Thread(
            target=lambda: answers.append(
                client.post("/v1/attempts", json={"attempts": [first, second]})
            )
        )
        thread.start()
        for other in others:
            _wait_until_a_request_waits_on_a_lock(db)
            other.commit()
            other.close()
        thread.join(30)
    response = answers[0]
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 0 and response.json()["duplicates"] == 2
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 2
    db.dispose()


def test_overlapping_batches_sent_at_once_are_all_accepted(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, queue="embedded")
    app = create_app(settings, demo=True, notify_worker=lambda *_: None)
    # Eight batches of 40 events in different orders, each overlapping the others.
    ids = [f"ev-{n}" for n in range(60)]
    batches = [
        [{**_ATTEMPT, "event_id": eid, "student_id": eid} for eid in ids[k * 3 : k * 3 + 40]][
            :: (1 if k % 2 else -1)
        ]
        for k in range(8)
    ]
    answers: list[int] = []
    with TestClient(app) as client:
        threads = [
            threading.Thread(
                target=lambda b=batch: answers.append(
                    client.post("/v1/attempts", json={"attempts": b}).status_code
                )
            )
            for batch in batches * 3
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert answers == [202] * len(threads)
    db = Database(postgres_url)
    with db.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(Event))
    assert stored == len({eid for batch in batches for eid in (a["event_id"] for a in batch)})
    db.dispose()


def test_a_batch_keeps_its_order_in_the_log(postgres_url: str) -> None:
    # Inserted in event-id order (one lock order for everyone), numbered in batch order.
    db = Database(postgres_url)
    ids = ["ev-c", "ev-a", "ev-b", "ev-e", "ev-d"]
    with db.transaction() as session:
        accept_attempts(
            SqlEventStore(session),
            [AttemptIn(**{**_ATTEMPT, "event_id": eid}) for eid in ids],
            now=datetime.now(UTC),
        )
    with db.transaction() as session:
        stored = list(session.scalars(select(Event.event_id).order_by(Event.seq)))
    assert stored == ids
    db.dispose()
