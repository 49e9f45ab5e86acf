"""Deleting a student completely, and the retention sweep for raw chats and old events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from smartpractice.services.events import lock_partitions
from smartpractice.services.partitions import partition_of
from smartpractice.services.tutor import forget_expired_transcripts
from smartpractice.storage.models import (
    Event,
    SelectionLog,
    Student,
    StudentMisconception,
    StudentSkill,
    TutorSession,
)

__all__ = ["RetentionResult", "delete_student", "enforce_retention"]

# Every table that holds a student's rows, children before parents.
_STUDENT_TABLES = (
    ("skill_ratings", StudentSkill, StudentSkill.student_id),
    ("misconceptions", StudentMisconception, StudentMisconception.student_id),
    ("selections", SelectionLog, SelectionLog.student_id),
    ("tutor_sessions", TutorSession, TutorSession.student_id),
    ("events", Event, Event.student_id),
    ("student", Student, Student.student_id),
)


def delete_student(session: Session, student_id: str, *, partitions: int) -> dict[str, int]:
    """Remove every row of `student_id` (state, events, pending ones included, chats,
    selections, misconceptions); returns how many rows each kind had.

    Item difficulties and counts keep what the student's answers taught them: they are
    about the items, not the student. The student's partition is locked first, so a worker
    cannot be half-way through applying one of their events.
    """
    lock_partitions(session, [partition_of(student_id, partitions)], wait=True)
    removed: dict[str, int] = {}
    for name, table, column in _STUDENT_TABLES:
        result = session.execute(delete(table).where(column == student_id))
        removed[name] = int(getattr(result, "rowcount", 0) or 0)
    return removed


@dataclass(frozen=True)
class RetentionResult:
    transcripts_erased: int
    events_deleted: int


def enforce_retention(
    session: Session,
    *,
    now: datetime,
    transcript_days: int,
    event_days: int | None,
) -> RetentionResult:
    """Erase raw chat text older than `transcript_days` (the analysis stays) and, when
    `event_days` is set, delete applied and rejected events older than that (pending ones
    are never dropped). A client re-sending an event after its deletion would have it
    applied again, so event retention must be far longer than any client retries."""
    erased = forget_expired_transcripts(session, older_than=now - timedelta(days=transcript_days))
    deleted = 0
    if event_days is not None:
        result = session.execute(
            delete(Event).where(
                Event.received_at < now - timedelta(days=event_days),
                Event.status != "pending",
            )
        )
        deleted = int(getattr(result, "rowcount", 0) or 0)
    return RetentionResult(transcripts_erased=erased, events_deleted=deleted)
