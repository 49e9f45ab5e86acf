"""AI-tutor chats: durable, idempotent ingestion, the misconception catalogue, and what
the analysis feeds back (per-skill struggle for attempts, misconceptions for profiles)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartpractice.core.tutoring.text import redact_personal_data
from smartpractice.core.tutoring.types import (
    Message,
    SkillDescriptor,
    Transcript,
    TranscriptAnalysis,
)
from smartpractice.core.tutoring.types import Misconception as CatalogueEntry
from smartpractice.services.partitions import partition_of
from smartpractice.services.ports import Conflict, InvalidInput
from smartpractice.services.schemas import MisconceptionIn, TutorSessionIn, content_hash
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

__all__ = [
    "AcceptedSession",
    "Analyzer",
    "accept_tutor_session",
    "analysis_to_json",
    "analyze_pending_sessions",
    "analyze_tutor_session",
    "forget_expired_transcripts",
    "list_misconceptions",
    "struggles_for_attempts",
    "student_misconceptions",
    "tutor_session_status",
    "upsert_misconceptions",
]


@dataclass(frozen=True, slots=True)
class AcceptedSession:
    """Whether the chat was new, and its partition (the worker to wake)."""

    duplicate: bool
    partition: int


def accept_tutor_session(
    session: Session, chat: TutorSessionIn, *, now: datetime, partitions: int
) -> AcceptedSession:
    """Store a chat as pending analysis, with e-mail addresses and phone numbers redacted.

    Raises:
        InvalidInput: the item is unknown.
        Conflict: the session id is already stored with other content.
    """
    if chat.item_id is not None and session.get(Item, chat.item_id) is None:
        raise InvalidInput([{"loc": ["item_id"], "msg": f"unknown item {chat.item_id!r}"}])
    digest = content_hash(chat)
    stored = session.scalars(
        select(TutorSession.content_hash).where(TutorSession.session_id == chat.session_id)
    ).one_or_none()
    partition = partition_of(chat.student_id, partitions)
    if stored is not None:
        if stored != digest:
            raise Conflict([chat.session_id], field="session_id")
        return AcceptedSession(duplicate=True, partition=partition)
    session.add(
        TutorSession(
            session_id=chat.session_id,
            student_id=chat.student_id,
            partition=partition,
            item_id=chat.item_id,
            attempt_event_id=chat.attempt_event_id,
            content_hash=digest,
            messages=[
                {
                    "role": m.role,
                    "content": redact_personal_data(m.content),
                    "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                }
                for m in chat.messages
            ],
            message_count=len(chat.messages),
            status="pending",
            received_at=now,
        )
    )
    return AcceptedSession(duplicate=False, partition=partition)


def tutor_session_status(session: Session, session_id: str) -> dict[str, Any] | None:
    """Status (pending / analyzed / rejected) and the analysis of one chat."""
    row = session.scalars(
        select(TutorSession).where(TutorSession.session_id == session_id)
    ).one_or_none()
    if row is None:
        return None
    return {
        "session_id": row.session_id,
        "student_id": row.student_id,
        "item_id": row.item_id,
        "attempt_event_id": row.attempt_event_id,
        "status": row.status,
        "reason": row.reason,
        "received_at": row.received_at,
        "analyzed_at": row.analyzed_at,
        "analysis": row.analysis,
    }


def upsert_misconceptions(session: Session, entries: Sequence[MisconceptionIn]) -> int:
    """Create or replace catalogue entries; all or nothing.

    Raises:
        InvalidInput: an entry names an unknown skill or repeats an id.
    """
    known = set(session.scalars(select(Skill.skill_id)))
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.misconception_id in seen:
            errors.append({"loc": [index, "misconception_id"], "msg": "repeats an earlier row"})
        seen.add(entry.misconception_id)
        if entry.skill_id not in known:
            errors.append({"loc": [index, "skill_id"], "msg": f"unknown skill {entry.skill_id!r}"})
    if errors:
        raise InvalidInput(errors)
    for entry in entries:
        session.merge(
            Misconception(
                misconception_id=entry.misconception_id,
                skill_id=entry.skill_id,
                description=entry.description,
                example_wrong_answers=list(entry.example_wrong_answers),
            )
        )
    return len(entries)


def list_misconceptions(session: Session, *, skill_id: str | None = None) -> list[dict[str, Any]]:
    """Catalogue entries, optionally of one skill."""
    query = select(Misconception).order_by(Misconception.misconception_id)
    if skill_id is not None:
        query = query.where(Misconception.skill_id == skill_id)
    return [
        {
            "misconception_id": m.misconception_id,
            "skill_id": m.skill_id,
            "description": m.description,
            "example_wrong_answers": m.example_wrong_answers,
        }
        for m in session.scalars(query)
    ]


def struggles_for_attempts(
    session: Session, attempts: Iterable[tuple[str, str | None]]
) -> dict[str, dict[str, float]]:
    """Per attempt event id, the per-skill struggle (0-1) of its analysed chats.

    `attempts` are (event_id, tutor_session_id or None) pairs. A chat counts for an attempt
    when it names the attempt (`attempt_event_id`) or the attempt names it; with several,
    each skill takes its highest struggle.
    """
    pairs = list(attempts)
    if not pairs:
        return {}
    event_ids = [event_id for event_id, _ in pairs]
    by_session = {sid: event_id for event_id, sid in pairs if sid is not None}
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(TutorSession.session_id, TutorSession.attempt_event_id, TutorSession.analysis).where(
            TutorSession.status == "analyzed",
            or_(
                is_one_of(TutorSession.attempt_event_id, event_ids, dialect=dialect),
                is_one_of(TutorSession.session_id, list(by_session), dialect=dialect),
            ),
        )
    )
    found: dict[str, dict[str, float]] = {}
    wanted = set(event_ids)
    for session_id, attempt_event_id, analysis in rows:
        targets = {by_session.get(session_id), attempt_event_id} & wanted
        for event_id in targets:
            struggles = found.setdefault(str(event_id), {})
            for skill, value in (analysis or {}).get("struggle_by_skill", {}).items():
                struggles[skill] = max(struggles.get(skill, 0.0), float(value))
    return found


def student_misconceptions(session: Session, student_id: str) -> dict[str, list[dict[str, Any]]]:
    """Recognised misconceptions per skill: description, how often, when last seen."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row, entry in session.execute(
        select(StudentMisconception, Misconception)
        .join(
            Misconception, Misconception.misconception_id == StudentMisconception.misconception_id
        )
        .where(StudentMisconception.student_id == student_id)
        .order_by(StudentMisconception.last_seen_at.desc())
    ):
        found.setdefault(entry.skill_id, []).append(
            {
                "misconception_id": entry.misconception_id,
                "skill_id": entry.skill_id,
                "description": entry.description,
                "count": row.count,
                "last_seen": row.last_seen_at,
            }
        )
    return found


Analyzer = Callable[
    [Transcript, Sequence[SkillDescriptor], Sequence[CatalogueEntry]], TranscriptAnalysis
]
"""Analyse a chat given the item's skills and their catalogue misconceptions."""


def analysis_to_json(analysis: TranscriptAnalysis) -> dict[str, Any]:
    """The analysis as stored and served (JSON-ready), with ``struggle_by_skill``."""
    found: dict[str, Any] = asdict(analysis)
    found["struggle_by_skill"] = analysis.struggle_by_skill()
    return found


def _item_of(session: Session, row: TutorSession) -> Item | None:
    item_id = row.item_id
    if item_id is None and row.attempt_event_id is not None:
        item_id = session.scalar(
            select(Event.item_id).where(Event.event_id == row.attempt_event_id)
        )
    return session.get(Item, item_id) if item_id is not None else None


def _record_misconceptions(
    session: Session, student_id: str, analysis: TranscriptAnalysis, *, seen_at: datetime
) -> None:
    for found in {m.misconception_id for m in analysis.misconceptions}:
        row = session.get(StudentMisconception, (student_id, found))
        if row is None:
            session.add(
                StudentMisconception(
                    student_id=student_id, misconception_id=found, count=1, last_seen_at=seen_at
                )
            )
        else:
            row.count += 1
            row.last_seen_at = max(row.last_seen_at, seen_at)


def analyze_tutor_session(
    session: Session, row: TutorSession, *, analyzer: Analyzer, now: datetime, keep_raw_text: bool
) -> None:
    """Analyse one pending chat in the caller's transaction and record what it found."""
    item = _item_of(session, row)
    skill_ids = list(
        session.scalars(select(ItemSkill.skill_id).where(ItemSkill.item_id == item.item_id))
        if item is not None
        else []
    )
    skills = [
        SkillDescriptor(skill_id=s.skill_id, name=s.name, description=s.description)
        for s in session.scalars(select(Skill).where(Skill.skill_id.in_(skill_ids)))
    ]
    catalogue = [
        CatalogueEntry(
            misconception_id=m.misconception_id,
            skill_id=m.skill_id,
            description=m.description,
            example_wrong_answers=tuple(m.example_wrong_answers),
        )
        for m in session.scalars(select(Misconception).where(Misconception.skill_id.in_(skill_ids)))
    ]
    transcript = Transcript(
        messages=tuple(
            Message(
                role=m["role"],
                content=m["content"],
                sent_at=datetime.fromisoformat(m["sent_at"]) if m.get("sent_at") else None,
            )
            for m in row.messages or []
        ),
        problem=(item.text or "") if item is not None else "",
    )
    analysis = analyzer(transcript, skills, catalogue)
    row.analysis = analysis_to_json(analysis)
    row.status = "analyzed"
    row.analyzed_at = now
    if not keep_raw_text:
        row.messages = None
    _record_misconceptions(session, row.student_id, analysis, seen_at=row.received_at)


def analyze_pending_sessions(
    session: Session,
    *,
    analyzer: Analyzer,
    now: datetime,
    keep_raw_text: bool,
    partitions: Sequence[int] | None = None,
    limit: int = 200,
) -> int:
    """Analyse pending chats (of `partitions`, if given) in the caller's transaction."""
    query = select(TutorSession).where(TutorSession.status == "pending")
    if partitions is not None:
        if not partitions:
            return 0
        query = query.where(TutorSession.partition.in_(list(partitions)))
    rows = session.scalars(query.order_by(TutorSession.seq).limit(limit)).all()
    for row in rows:
        analyze_tutor_session(session, row, analyzer=analyzer, now=now, keep_raw_text=keep_raw_text)
    return len(rows)


def forget_expired_transcripts(session: Session, *, older_than: datetime) -> int:
    """Erase the raw text of analysed chats received before `older_than` (their analysis
    and its effect on ratings stay). Returns how many were erased."""
    result = session.execute(
        update(TutorSession)
        .where(
            TutorSession.received_at < older_than,
            TutorSession.status != "pending",
            TutorSession.messages.is_not(None),
        )
        .values(messages=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
