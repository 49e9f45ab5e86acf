"""The database's `TutoringStore`: tutor chats, the misconception catalogue and the
misconceptions recognised in each student's chats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartpractice.core.tutoring.types import Misconception as CatalogueEntry
from smartpractice.core.tutoring.types import SkillDescriptor
from smartpractice.services.ports import (
    ChatContext,
    ChatStatus,
    PendingChat,
    SeenMisconception,
    StoredChat,
)
from smartpractice.storage.bulk import is_one_of
from smartpractice.storage.models import (
    Event,
    Item,
    ItemSkill,
    Misconception,
    Skill,
    StudentMisconception,
    TutorSession,
)

__all__ = ["SqlTutoringStore"]


def _entry(row: Misconception) -> CatalogueEntry:
    return CatalogueEntry(
        misconception_id=row.misconception_id,
        skill_id=row.skill_id,
        description=row.description,
        example_wrong_answers=tuple(row.example_wrong_answers),
    )


class SqlTutoringStore:
    """`TutoringStore` over a tenant's session (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # The rows `pending_chats` read, so recording their analysis needs no second read.
        self._pending: dict[str, TutorSession] = {}

    def item_exists(self, item_id: str) -> bool:
        return self._session.get(Item, item_id) is not None

    def chat_content_hash(self, session_id: str) -> str | None:
        return self._session.scalars(
            select(TutorSession.content_hash).where(TutorSession.session_id == session_id)
        ).one_or_none()

    def add_chat(self, chat: StoredChat) -> None:
        self._session.add(
            TutorSession(
                session_id=chat.session_id,
                student_id=chat.student_id,
                partition=chat.partition,
                item_id=chat.item_id,
                attempt_event_id=chat.attempt_event_id,
                content_hash=chat.content_hash,
                messages=chat.messages,
                message_count=len(chat.messages),
                status="pending",
                received_at=chat.received_at,
            )
        )

    def chat_status(self, session_id: str) -> ChatStatus | None:
        row = self._session.scalars(
            select(TutorSession).where(TutorSession.session_id == session_id)
        ).one_or_none()
        if row is None:
            return None
        return ChatStatus(
            session_id=row.session_id,
            student_id=row.student_id,
            item_id=row.item_id,
            attempt_event_id=row.attempt_event_id,
            status=row.status,
            reason=row.reason,
            received_at=row.received_at,
            analyzed_at=row.analyzed_at,
            analysis=row.analysis,
        )

    def skill_ids(self) -> set[str]:
        return set(self._session.scalars(select(Skill.skill_id)))

    def save_misconceptions(self, entries: Sequence[CatalogueEntry]) -> None:
        for entry in entries:
            self._session.merge(
                Misconception(
                    misconception_id=entry.misconception_id,
                    skill_id=entry.skill_id,
                    description=entry.description,
                    example_wrong_answers=list(entry.example_wrong_answers),
                )
            )

    def misconceptions(self, skill_id: str | None) -> list[CatalogueEntry]:
        query = select(Misconception).order_by(Misconception.misconception_id)
        if skill_id is not None:
            query = query.where(Misconception.skill_id == skill_id)
        return [_entry(m) for m in self._session.scalars(query)]

    def analysed_chats(
        self, event_ids: Sequence[str], session_ids: Sequence[str]
    ) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        dialect = self._session.get_bind().dialect.name
        rows = self._session.execute(
            select(
                TutorSession.session_id, TutorSession.attempt_event_id, TutorSession.analysis
            ).where(
                TutorSession.status == "analyzed",
                or_(
                    is_one_of(TutorSession.attempt_event_id, event_ids, dialect=dialect),
                    is_one_of(TutorSession.session_id, session_ids, dialect=dialect),
                ),
            )
        )
        return [(session_id, event_id, analysis) for session_id, event_id, analysis in rows]

    def student_misconceptions(self, student_id: str) -> list[SeenMisconception]:
        return [
            SeenMisconception(
                misconception_id=entry.misconception_id,
                skill_id=entry.skill_id,
                description=entry.description,
                count=row.count,
                last_seen=row.last_seen_at,
            )
            for row, entry in self._session.execute(
                select(StudentMisconception, Misconception)
                .join(
                    Misconception,
                    Misconception.misconception_id == StudentMisconception.misconception_id,
                )
                .where(StudentMisconception.student_id == student_id)
                .order_by(StudentMisconception.last_seen_at.desc())
            ).tuples()
        ]

    def pending_chats(self, partitions: Sequence[int] | None, *, limit: int) -> list[PendingChat]:
        query = select(TutorSession).where(TutorSession.status == "pending")
        if partitions is not None:
            query = query.where(TutorSession.partition.in_(list(partitions)))
        rows = self._session.scalars(query.order_by(TutorSession.seq).limit(limit)).all()
        self._pending = {row.session_id: row for row in rows}
        return [
            PendingChat(
                session_id=row.session_id,
                student_id=row.student_id,
                item_id=row.item_id,
                attempt_event_id=row.attempt_event_id,
                messages=row.messages,
                received_at=row.received_at,
            )
            for row in rows
        ]

    def chat_context(self, item_id: str | None, attempt_event_id: str | None) -> ChatContext:
        if item_id is None and attempt_event_id is not None:
            item_id = self._session.scalar(
                select(Event.item_id).where(Event.event_id == attempt_event_id)
            )
        item = self._session.get(Item, item_id) if item_id is not None else None
        skill_ids = list(
            self._session.scalars(
                select(ItemSkill.skill_id).where(ItemSkill.item_id == item.item_id)
            )
            if item is not None
            else []
        )
        skills = [
            SkillDescriptor(skill_id=s.skill_id, name=s.name, description=s.description)
            for s in self._session.scalars(select(Skill).where(Skill.skill_id.in_(skill_ids)))
        ]
        catalogue = [
            _entry(m)
            for m in self._session.scalars(
                select(Misconception).where(Misconception.skill_id.in_(skill_ids))
            )
        ]
        problem = (item.text or "") if item is not None else ""
        return ChatContext(problem=problem, skills=skills, catalogue=catalogue)

    def record_analysis(
        self, session_id: str, analysis: dict[str, Any], *, now: datetime, keep_raw_text: bool
    ) -> None:
        row = (
            self._pending.get(session_id)
            or self._session.scalars(
                select(TutorSession).where(TutorSession.session_id == session_id)
            ).one()
        )
        row.analysis = analysis
        row.status = "analyzed"
        row.analyzed_at = now
        if not keep_raw_text:
            row.messages = None

    def record_misconceptions(
        self, student_id: str, misconception_ids: Iterable[str], *, seen_at: datetime
    ) -> None:
        for found in misconception_ids:
            row = self._session.get(StudentMisconception, (student_id, found))
            if row is None:
                self._session.add(
                    StudentMisconception(
                        student_id=student_id, misconception_id=found, count=1, last_seen_at=seen_at
                    )
                )
            else:
                row.count += 1
                row.last_seen_at = max(row.last_seen_at, seen_at)

    def forget_raw_text(self, *, received_before: datetime) -> int:
        result = self._session.execute(
            update(TutorSession)
            .where(
                TutorSession.received_at < received_before,
                TutorSession.status != "pending",
                TutorSession.messages.is_not(None),
            )
            .values(messages=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)
