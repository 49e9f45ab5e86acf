"""Deleting a student completely, and the retention sweep for raw chats and old events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from smartpractice.services.partitions import partition_of
from smartpractice.services.ports import (
    ERASED_KIND,
    DataProtectionStore,
    ErasedAttempt,
    LockPartition,
    TutoringStore,
)
from smartpractice.services.tutoring import forget_expired_transcripts

__all__ = [
    "ERASED_KIND",
    "RetentionResult",
    "StudentDeletion",
    "delete_student",
    "enforce_retention",
]

# A skill counts as answered correctly from this performance on (as in core.elo).
_CORRECT_PERFORMANCE = 0.5


@dataclass(frozen=True, slots=True)
class StudentDeletion:
    """Rows removed per kind when a student was deleted (all 0: no such student)."""

    events: int
    skill_ratings: int
    misconceptions: int
    selections: int
    experiment_assignments: int
    tutor_sessions: int
    mock_tests: int
    student: int

    def counts(self) -> dict[str, int]:
        """Rows per kind, events first, then the other tables children before parents."""
        return {
            "events": self.events,
            "skill_ratings": self.skill_ratings,
            "misconceptions": self.misconceptions,
            "selections": self.selections,
            "experiment_assignments": self.experiment_assignments,
            "tutor_sessions": self.tutor_sessions,
            "mock_tests": self.mock_tests,
            "student": self.student,
        }


def delete_student(
    store: DataProtectionStore,
    student_id: str,
    *,
    partitions: int,
    lock_partition: LockPartition,
) -> StudentDeletion:
    """Remove every row of `student_id` (state, events, pending ones included, chats,
    selections, misconceptions); returns how many rows each kind had.

    Item difficulties and counts keep what the student's answers taught them: they are
    about the items, not the student. So that replay can still rebuild them exactly, each
    applied attempt is kept only as its effect on its item, at its place in the apply
    order: the item, the event time, and per skill the difficulty after it and whether it
    was answered correctly. The student id, event id, answer details, chat link and the
    student's ratings are gone; nothing links the remaining row to the student. The
    student's partition is locked first (`lock_partition`), so a worker cannot be half-way
    through applying one of their events.
    """
    lock_partition(partition_of(student_id, partitions))
    applied, events = store.applied_attempts(student_id)
    store.erase_events(
        student_id,
        [
            ErasedAttempt(
                seq=attempt.seq,
                item_success=attempt.score >= 0.5,
                skills={
                    skill: {
                        "difficulty": after["difficulty"],
                        "success": after["performance"] >= _CORRECT_PERFORMANCE,
                    }
                    for skill, after in attempt.skills.items()
                },
            )
            for attempt in applied
        ],
    )
    return StudentDeletion(events=events, **store.delete_student_rows(student_id))


@dataclass(frozen=True)
class RetentionResult:
    transcripts_erased: int
    events_deleted: int


def enforce_retention(
    store: DataProtectionStore,
    chats: TutoringStore,
    *,
    now: datetime,
    transcript_days: int,
    event_days: int | None,
) -> RetentionResult:
    """Erase raw chat text older than `transcript_days` (the analysis stays) and, when
    `event_days` is set, delete applied and rejected events older than that (pending ones
    are never dropped). A client re-sending an event after its deletion would have it
    applied again, so event retention must be far longer than any client retries."""
    erased = forget_expired_transcripts(chats, older_than=now - timedelta(days=transcript_days))
    deleted = 0
    if event_days is not None:
        deleted = store.delete_old_events(received_before=now - timedelta(days=event_days))
    return RetentionResult(transcripts_erased=erased, events_deleted=deleted)
