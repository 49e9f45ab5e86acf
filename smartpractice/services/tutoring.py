"""AI-tutor chats: durable, idempotent ingestion, the misconception catalogue, and what
the analysis feeds back (per-skill struggle for attempts, misconceptions for profiles)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.tutoring.text import redact_personal_data
from smartpractice.core.tutoring.types import Message, Transcript, TranscriptAnalysis
from smartpractice.core.tutoring.types import Misconception as CatalogueEntry
from smartpractice.services.partitions import partition_of
from smartpractice.services.ports import (
    Analyzer,
    ChatStatus,
    Conflict,
    InvalidInput,
    PendingChat,
    StoredChat,
    TutoringStore,
)
from smartpractice.services.schemas import MisconceptionIn, TutorSessionIn, content_hash

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
    store: TutoringStore, chat: TutorSessionIn, *, now: datetime, partitions: int
) -> AcceptedSession:
    """Store a chat as pending analysis, with e-mail addresses and phone numbers redacted.

    Raises:
        InvalidInput: the item is unknown.
        Conflict: the session id is already stored with other content.
    """
    if chat.item_id is not None and not store.item_exists(chat.item_id):
        raise InvalidInput([{"loc": ["item_id"], "msg": f"unknown item {chat.item_id!r}"}])
    digest = content_hash(chat)
    stored = store.chat_content_hash(chat.session_id)
    partition = partition_of(chat.student_id, partitions)
    if stored is not None:
        if stored != digest:
            raise Conflict([chat.session_id], field="session_id")
        return AcceptedSession(duplicate=True, partition=partition)
    store.add_chat(
        StoredChat(
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
            received_at=now,
        )
    )
    return AcceptedSession(duplicate=False, partition=partition)


def tutor_session_status(store: TutoringStore, session_id: str) -> ChatStatus | None:
    """Status (pending / analyzed / rejected) and the analysis of one chat."""
    return store.chat_status(session_id)


def upsert_misconceptions(store: TutoringStore, entries: Sequence[MisconceptionIn]) -> int:
    """Create or replace catalogue entries; all or nothing.

    Raises:
        InvalidInput: an entry names an unknown skill or repeats an id.
    """
    known = store.skill_ids()
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
    store.save_misconceptions(
        [
            CatalogueEntry(
                misconception_id=entry.misconception_id,
                skill_id=entry.skill_id,
                description=entry.description,
                example_wrong_answers=tuple(entry.example_wrong_answers),
            )
            for entry in entries
        ]
    )
    return len(entries)


def list_misconceptions(
    store: TutoringStore, *, skill_id: str | None = None
) -> list[CatalogueEntry]:
    """Catalogue entries by id, optionally of one skill."""
    return store.misconceptions(skill_id)


def struggles_for_attempts(
    store: TutoringStore, attempts: Iterable[tuple[str, str | None]]
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
    found: dict[str, dict[str, float]] = {}
    wanted = set(event_ids)
    for session_id, attempt_event_id, analysis in store.analysed_chats(event_ids, list(by_session)):
        targets = {by_session.get(session_id), attempt_event_id} & wanted
        for event_id in targets:
            struggles = found.setdefault(str(event_id), {})
            for skill, value in (analysis or {}).get("struggle_by_skill", {}).items():
                struggles[skill] = max(struggles.get(skill, 0.0), float(value))
    return found


def student_misconceptions(
    store: TutoringStore, student_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Recognised misconceptions per skill, last seen first: ``misconception_id``,
    ``skill_id``, ``description``, ``count`` (chats it was seen in), ``last_seen`` (UTC)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for seen in store.student_misconceptions(student_id):
        found.setdefault(seen.skill_id, []).append(asdict(seen))
    return found


def analysis_to_json(analysis: TranscriptAnalysis) -> dict[str, Any]:
    """The analysis as stored and served (JSON-ready), with ``struggle_by_skill``."""
    found: dict[str, Any] = asdict(analysis)
    found["struggle_by_skill"] = analysis.struggle_by_skill()
    return found


def analyze_tutor_session(
    store: TutoringStore,
    chat: PendingChat,
    *,
    analyzer: Analyzer,
    now: datetime,
    keep_raw_text: bool,
) -> None:
    """Analyse one pending chat in the caller's transaction and record what it found."""
    context = store.chat_context(chat.item_id, chat.attempt_event_id)
    transcript = Transcript(
        messages=tuple(
            Message(
                role=m["role"],
                content=m["content"],
                sent_at=datetime.fromisoformat(m["sent_at"]) if m.get("sent_at") else None,
            )
            for m in chat.messages or []
        ),
        problem=context.problem,
    )
    analysis = analyzer(transcript, context.skills, context.catalogue)
    store.record_analysis(
        chat.session_id, analysis_to_json(analysis), now=now, keep_raw_text=keep_raw_text
    )
    store.record_misconceptions(
        chat.student_id,
        {m.misconception_id for m in analysis.misconceptions},
        seen_at=chat.received_at,
    )


def analyze_pending_sessions(
    store: TutoringStore,
    *,
    analyzer: Analyzer,
    now: datetime,
    keep_raw_text: bool,
    partitions: Sequence[int] | None = None,
    limit: int = 200,
) -> int:
    """Analyse pending chats (of `partitions`, if given) in the caller's transaction."""
    if partitions is not None and not partitions:
        return 0
    chats = store.pending_chats(partitions, limit=limit)
    for chat in chats:
        analyze_tutor_session(store, chat, analyzer=analyzer, now=now, keep_raw_text=keep_raw_text)
    return len(chats)


def forget_expired_transcripts(store: TutoringStore, *, older_than: datetime) -> int:
    """Erase the raw text of analysed chats received before `older_than` (their analysis
    and its effect on ratings stay). Returns how many were erased."""
    return store.forget_raw_text(received_before=older_than)
