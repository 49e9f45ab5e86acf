"""The stored content hash decides whether a re-sent event is a duplicate or a conflict,
so its canonical form must not drift between releases."""

from __future__ import annotations

from smartpractice.services.schemas import AttemptIn, content_hash, dumped_content_hash

_ATTEMPT = AttemptIn(
    event_id="ev-1",
    student_id="stu-1",
    item_id="item-1",
    score=0.75,
    occurred_at="2026-03-01T10:00:00Z",
    skill_scores={"math:a": 0.5},
    hints_used=1,
)


def test_hash_of_a_known_attempt_is_the_one_earlier_releases_stored() -> None:
    # Pinned from the release before the hash was computed from the stored dump.
    expected = "5cd7517e1d0e53684eb8ae21a9b779da2c3082bdc81587353b77981c3bbb577b"
    assert content_hash(_ATTEMPT) == expected
    assert dumped_content_hash(_ATTEMPT.model_dump(mode="json")) == expected


def test_any_change_of_content_changes_the_hash() -> None:
    changed = _ATTEMPT.model_copy(update={"score": 0.7})
    assert content_hash(changed) != content_hash(_ATTEMPT)
