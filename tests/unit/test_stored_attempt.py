"""The stored attempt record: events written by the previous version (no ``format`` key)
still read and apply as they did, and a new event round-trips through its JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import ItemRatings, RatingState
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.ports import ItemContext
from smartpractice.services.rating import apply_attempt
from smartpractice.services.schemas import (
    STORED_ATTEMPT_FORMAT,
    AttemptIn,
    StoredAttempt,
    dumped_content_hash,
    stored_attempt_json,
)

# The payload the previous version stored for this attempt (the JSON of the accepted
# `AttemptIn`, key for key), and the content hash it stored beside it.
PREVIOUS_FORMAT = (
    '{"event_id": "old-1", "student_id": "s-old", "item_id": "i1", "score": 0.75, '
    '"occurred_at": "2026-03-01T09:00:00Z", "skill_scores": {"math:fractions": 0.5}, '
    '"attempts": 1, "time_spent_seconds": 42.5, "hints_used": 1, "solution_viewed": false, '
    '"confidence": 4, "mode": "practice", "tutor_session_id": null}'
)
PREVIOUS_HASH = "293fef1f117e31b6dba4a952f767c20207b4fad4fb4fecc0fc867ee057a5399f"


def _same_attempt_today() -> AttemptIn:
    return AttemptIn(
        event_id="old-1",
        student_id="s-old",
        item_id="i1",
        score=0.75,
        occurred_at=datetime.fromisoformat("2026-03-01T10:00:00+01:00"),
        skill_scores={"math:fractions": 0.5},
        time_spent_seconds=42.5,
        hints_used=1,
        confidence=4,
        mode="practice",
    )


def _store() -> MemoryRatingStore:
    store = MemoryRatingStore(initial_ability=1000.0)
    skills = {"math:fractions": RatingState(1100.0), "math:decimals": RatingState(950.0)}
    store.items["i1"] = ItemContext("i1", 60.0, ItemRatings(skills))
    return store


def _applied(record: StoredAttempt) -> tuple[Any, ...]:
    store = _store()
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    outcome = apply_attempt(store, record, occurred_at=at, config=ModelConfig())
    summary = outcome.summary(config=ModelConfig(), now=at)
    return outcome.predicted, outcome.performance, summary, store.students, store.items


def test_an_event_of_the_previous_format_reads_as_format_1() -> None:
    record = StoredAttempt.model_validate_json(PREVIOUS_FORMAT)
    assert record.format == 1
    assert record.model_dump(mode="json", exclude={"format"}) == json.loads(PREVIOUS_FORMAT)


def test_an_event_of_the_previous_format_applies_as_the_same_attempt_stored_now() -> None:
    previous = StoredAttempt.model_validate_json(PREVIOUS_FORMAT)
    now = StoredAttempt.model_validate_json(_same_attempt_today().stored().model_dump_json())
    assert _applied(previous) == _applied(now)


def test_a_new_event_round_trips_with_its_format() -> None:
    attempt = _same_attempt_today()
    payload = stored_attempt_json(attempt.model_dump(mode="json"))
    assert payload["format"] == STORED_ATTEMPT_FORMAT == 3
    read = StoredAttempt.model_validate_json(json.dumps(payload))
    assert read == attempt.stored()
    assert read.model_dump(mode="json") == payload


def test_the_content_hash_of_an_attempt_is_the_one_the_previous_version_stored() -> None:
    # A re-sent event is a duplicate (not a conflict) across the change of format.
    assert dumped_content_hash(_same_attempt_today().model_dump(mode="json")) == PREVIOUS_HASH


def test_a_later_format_still_reads_its_known_fields() -> None:
    payload = {**json.loads(PREVIOUS_FORMAT), "format": 3, "added_later": True}
    assert StoredAttempt.model_validate(payload).format == 3


def test_the_http_input_is_stricter_than_the_stored_record() -> None:
    loose = {**json.loads(PREVIOUS_FORMAT), "event_id": "has space"}
    assert StoredAttempt.model_validate(loose).event_id == "has space"
    with pytest.raises(ValueError, match="event_id"):
        AttemptIn.model_validate(loose)


def test_an_answer_to_a_mock_test_keeps_its_paper_and_other_attempts_hash_as_before() -> None:
    answer = _same_attempt_today().model_copy(update={"mode": "mock_test", "paper_id": "p-1"})
    record = answer.stored()
    assert record.paper_id == "p-1"
    assert StoredAttempt.model_validate_json(record.model_dump_json()).paper_id == "p-1"
    # Without a paper the dump (and so the hash) is the one format 2 stored.
    assert "paper_id" not in _same_attempt_today().model_dump(mode="json")
    assert "paper_id" not in _same_attempt_today().stored().model_dump(mode="json")
