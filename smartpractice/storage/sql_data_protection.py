"""The database's `DataProtectionStore`: a student's rows in every table, and the sweep of
old events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from smartpractice.services.ports import ERASED_KIND, AppliedAttempt, ErasedAttempt
from smartpractice.storage.models import (
    Event,
    ExperimentAssignment,
    MockPaper,
    SelectionLog,
    Student,
    StudentMisconception,
    StudentSkill,
    TutorSession,
)

__all__ = ["SqlDataProtectionStore"]

# Every table that holds a student's rows, children before parents.
_STUDENT_TABLES = (
    ("skill_ratings", StudentSkill, StudentSkill.student_id),
    ("misconceptions", StudentMisconception, StudentMisconception.student_id),
    ("selections", SelectionLog, SelectionLog.student_id),
    ("experiment_assignments", ExperimentAssignment, ExperimentAssignment.student_id),
    ("tutor_sessions", TutorSession, TutorSession.student_id),
    ("mock_tests", MockPaper, MockPaper.student_id),
    ("student", Student, Student.student_id),
)


class SqlDataProtectionStore:
    """`DataProtectionStore` over a tenant's session (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def applied_attempts(self, student_id: str) -> tuple[list[AppliedAttempt], int]:
        rows = self._session.execute(
            select(Event.seq, Event.status, Event.payload, Event.outcome).where(
                Event.student_id == student_id
            )
        ).all()
        applied = [
            AppliedAttempt(seq=seq, score=payload.get("score", 0), skills=outcome.get("skills", {}))
            for seq, status, payload, outcome in rows
            if status == "applied" and outcome
        ]
        return applied, len(rows)

    def erase_events(self, student_id: str, kept: Sequence[ErasedAttempt]) -> None:
        effects: list[dict[str, Any]] = [
            {
                "seq": erased.seq,
                "event_id": f"erased-{uuid.uuid4().hex}",
                "kind": ERASED_KIND,
                "student_id": "",
                "partition": 0,
                "payload": {"item_success": erased.item_success, "skills": erased.skills},
                "content_hash": "",
                "predicted": None,
                "performance": None,
                # The item's history (dashboard) reads the difficulties from here.
                "outcome": {
                    "skills": {s: {"difficulty": v["difficulty"]} for s, v in erased.skills.items()}
                },
            }
            for erased in kept
        ]
        if effects:
            self._session.execute(update(Event), effects)
        seqs = [erased.seq for erased in kept]
        self._session.execute(
            delete(Event).where(Event.student_id == student_id, Event.seq.not_in(seqs))
        )

    def delete_student_rows(self, student_id: str) -> dict[str, int]:
        removed: dict[str, int] = {}
        for name, table, column in _STUDENT_TABLES:
            result = self._session.execute(delete(table).where(column == student_id))
            removed[name] = int(getattr(result, "rowcount", 0) or 0)
        return removed

    def delete_old_events(self, *, received_before: datetime) -> int:
        result = self._session.execute(
            delete(Event).where(Event.received_at < received_before, Event.status != "pending")
        )
        return int(getattr(result, "rowcount", 0) or 0)
