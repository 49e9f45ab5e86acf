"""`events_before_blocked`: which pending events a worker may apply when some items are
held by another worker."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from smartpractice.services.events import PendingEvent, events_before_blocked
from smartpractice.services.schemas import AttemptIn

_T = datetime(2026, 1, 1, tzinfo=UTC)


def _event(seq: int, student: str, item: str) -> PendingEvent:
    return PendingEvent(
        seq=seq,
        event_id=f"e{seq}",
        student_id=student,
        item_id=item,
        attempt=AttemptIn(event_id=f"e{seq}", student_id=student, item_id=item, score=1.0),
        received_at=_T,
        occurred_at=_T,
    )


def test_a_held_item_holds_back_the_students_later_events_only() -> None:
    events = [
        _event(1, "s1", "free"),
        _event(2, "s2", "held"),
        _event(3, "s1", "free"),
        _event(4, "s2", "free"),  # after s2's blocked event: must wait too
        _event(5, "s3", "free"),
    ]
    ready = events_before_blocked(events, {"free"})
    assert [e.seq for e in ready] == [1, 3, 5]


_events = st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("wxyz")), max_size=30).map(
    lambda pairs: [_event(n, s, i) for n, (s, i) in enumerate(pairs)]
)


@given(_events, st.sets(st.sampled_from("wxyz")))
def test_ready_events_are_each_students_longest_free_prefix(
    events: list[PendingEvent], free: set[str]
) -> None:
    ready = events_before_blocked(events, free)
    assert [e.seq for e in ready] == sorted(e.seq for e in ready)
    for student in {e.student_id for e in events}:
        own = [e for e in events if e.student_id == student]
        mine = [e for e in ready if e.student_id == student]
        assert own[: len(mine)] == mine  # a prefix of the student's events, in order
        assert all(e.item_id in free for e in mine)
        if len(mine) < len(own):
            assert own[len(mine)].item_id not in free  # stopped exactly at a held item
