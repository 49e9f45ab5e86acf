"""Deleting a student completely, and the retention sweep for raw chats and old events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from smartpractice.services.events import lock_partitions
from smartpractice.services.partitions import partition_of
from smartpractice.services.tutoring import forget_expired_transcripts
from smartpractice.storage.models import (
    Event,
    SelectionLog,
    Student,
    StudentMisconception,
    StudentSkill,
    TutorSession,
)
from smartpractice.storage.sql_events import SqlEventStore

__all__ = ["ERASED_KIND", "RetentionResult", "delete_student", "enforce_retention"]

ERASED_KIND = "erased"
"""`events.kind` of what remains of an erased student's applied attempt: its effect on
the item, and nothing about the student (see `delete_student`)."""

# A skill counts as answered correctly from this performance on (as in core.elo).
_CORRECT_PERFORMANCE = 0.5

# Every table that holds a student's rows, children before parents.
_STUDENT_TABLES = (
    ("skill_ratings", StudentSkill, StudentSkill.student_id),
    ("misconceptions", StudentMisconception, StudentMisconception.student_id),
    ("selections", SelectionLog, SelectionLog.student_id),
    ("tutor_sessions", TutorSession, TutorSession.student_id),
    ("student", Student, Student.student_id),
)


def delete_student(session: Session, student_id: str, *, partitions: int) -> dict[str, int]:
    """Remove every row of `student_id` (state, events, pending ones included, chats,
    selections, misconceptions); returns how many rows each kind had.

    Item difficulties and counts keep what the student's answers taught them: they are
    about the items, not the student. So that replay can still rebuild them exactly, each
    applied attempt is kept only as its effect on its item, at its place in the apply
    order: the item, the event time, and per skill the difficulty after it and whether it
    was answered correctly. The student id, event id, answer details, chat link and the
    student's ratings are gone; nothing links the remaining row to the student. The
    student's partition is locked first, so a worker cannot be half-way through applying
    one of their events.
    """
    lock_partitions(SqlEventStore(session), [partition_of(student_id, partitions)], wait=True)
    removed: dict[str, int] = {"events": _erase_events(session, student_id)}
    for name, table, column in _STUDENT_TABLES:
        result = session.execute(delete(table).where(column == student_id))
        removed[name] = int(getattr(result, "rowcount", 0) or 0)
    return removed


def _erase_events(session: Session, student_id: str) -> int:
    rows = session.execute(
        select(Event.seq, Event.status, Event.payload, Event.outcome).where(
            Event.student_id == student_id
        )
    ).all()
    effects: list[dict[str, Any]] = []
    for seq, status, payload, outcome in rows:
        if status != "applied" or not outcome:
            continue
        skills = {
            skill: {
                "difficulty": after["difficulty"],
                "success": after["performance"] >= _CORRECT_PERFORMANCE,
            }
            for skill, after in outcome.get("skills", {}).items()
        }
        effects.append(
            {
                "seq": seq,
                "event_id": f"erased-{uuid.uuid4().hex}",
                "kind": ERASED_KIND,
                "student_id": "",
                "partition": 0,
                "payload": {"item_success": payload.get("score", 0) >= 0.5, "skills": skills},
                "content_hash": "",
                "predicted": None,
                "performance": None,
                # The item's history (dashboard) reads the difficulties from here.
                "outcome": {
                    "skills": {s: {"difficulty": v["difficulty"]} for s, v in skills.items()}
                },
            }
        )
    if effects:
        session.execute(update(Event), effects)
    kept = [effect["seq"] for effect in effects]
    session.execute(delete(Event).where(Event.student_id == student_id, Event.seq.not_in(kept)))
    return len(rows)


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
