"""The ports of the use cases: what they read and write through (`RatingStore`,
`CatalogView`), the data those carry, and the errors they raise (adapters map errors to HTTP
codes or CLI messages). Storage and memory implement the ports; services depend only on
them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.records import quick_init
from smartpractice.core.tutoring.types import Misconception as CatalogueEntry
from smartpractice.core.tutoring.types import SkillDescriptor, Transcript, TranscriptAnalysis
from smartpractice.core.types import ItemRatings, StudentRatings

__all__ = [
    "ERASED_KIND",
    "AccessStore",
    "Analyzer",
    "AppliedAttempt",
    "AttemptOutcome",
    "AttemptRejected",
    "AuditRecord",
    "CalibrationStore",
    "CatalogView",
    "ChatContext",
    "ChatStatus",
    "Conflict",
    "DataProtectionStore",
    "DemoItemSkill",
    "ErasedAttempt",
    "InvalidInput",
    "ItemContext",
    "ItemHistory",
    "ItemSkillState",
    "LockPartition",
    "NearestRequest",
    "NotFound",
    "PendingChat",
    "RatingStore",
    "RecentAnswer",
    "Scope",
    "SeenMisconception",
    "StoredChat",
    "StoredKey",
    "TutoringStore",
]


class InvalidInput(ValueError):
    """Input that names unknown things or breaks a rule; `errors` lists field and problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


class Conflict(ValueError):
    """An event id was already used for different content."""

    def __init__(self, event_ids: list[str], field: str = "event_id") -> None:
        super().__init__(f"{field} already used with different content: {event_ids}")
        self.event_ids = event_ids
        self.field = field


class NotFound(LookupError):
    """The named student, item or event does not exist."""


class AttemptRejected(ValueError):
    """The event can never be applied (for example its item no longer exists)."""


@quick_init
@dataclass(frozen=True, slots=True)
class ItemContext:
    """What applying an attempt needs to know about the item."""

    item_id: str
    expected_time_seconds: float | None
    ratings: ItemRatings


class RatingStore(Protocol):
    """Where ratings live while attempts are applied."""

    def load_item(self, item_id: str) -> ItemContext | None: ...

    def load_student(self, student_id: str, skills: Iterable[str]) -> StudentRatings: ...

    def save(
        self, *, student_id: str, item_id: str, update: AttemptUpdate, success: bool
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """Where to practise: any combination of subject, chapter, topic and skills."""

    subject: str | None = None
    chapter: str | None = None
    topic: str | None = None
    skills: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "chapter": self.chapter,
            "topic": self.topic,
            "skills": list(self.skills),
        }


@dataclass(frozen=True, slots=True)
class NearestRequest:
    """Find up to `limit` items of `skill_id` in `scope` whose difficulty is nearest `target`
    (Elo points), at most `window` points away (None: no limit)."""

    scope: Scope
    skill_id: str
    target: float
    window: float | None
    limit: int


@dataclass(frozen=True, slots=True)
class RecentAnswer:
    """One of the student's recent answers.

    Attributes:
        item_id: The item answered.
        skills: The skills it tests (sorted).
        performance: Credited performance (0-1, mean over the item's skills).
        predicted: The model's predicted success (0-1) before the answer.
    """

    item_id: str
    skills: tuple[str, ...]
    performance: float
    predicted: float


ItemHistory = tuple[dict[str, float], dict[str, tuple[int, int]]]
"""Hours since the student last answered each item, and (wins, losses) on it."""


class CatalogView(Protocol):
    """What the selection pipeline reads: the catalogue, the ratings and the student's past.

    `SqlCatalogView` is the service's; the simulator's lives in memory. Both answer every
    question the same way for the same state.
    """

    def scope_skills(self, scope: Scope) -> list[str]:
        """Skills of the scope: its named skills, else every skill of its items (sorted).

        Raises:
            InvalidInput: the scope names unknown skills.
        """
        ...

    def taught_skills(self, scope: Scope) -> list[str]:
        """The skills the scope teaches (sorted): its named skills, else every skill some
        item of the scope tests alone. A skill only ever tested beside another there is one
        the scope builds on, as a prerequisite is."""
        ...

    def nearest_items(self, requests: Sequence[NearestRequest]) -> list[list[str]]:
        """Per request, the item ids nearest its target, nearest first (ties by item id)."""
        ...

    def item_skills(self, item_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Current difficulty (Elo points) per skill of each item, skills in id order."""
        ...

    def typical_difficulties(self, skill_ids: set[str]) -> dict[str, float]:
        """Mean current difficulty (Elo points) of the items testing each skill."""
        ...

    def prerequisites(self) -> Mapping[str, Sequence[str]]:
        """Every skill's prerequisite skills."""
        ...

    def student_ratings(self, student_id: str) -> StudentRatings | None:
        """The student's ratings, or None for a student never seen."""
        ...

    def recent_difficulties(self, student_id: str, *, window: int) -> dict[str, float]:
        """Mean current difficulty per skill of the last `window` items the student answered."""
        ...

    def recent_answers(self, student_id: str, *, window: int) -> list[RecentAnswer]:
        """The student's last `window` answers, most recent first."""
        ...

    def history(self, student_id: str, item_ids: Sequence[str], *, now: datetime) -> ItemHistory:
        """Hours since the student last answered each item and wins/losses on it (answers
        count, not picks: asking twice without answering gets the same item)."""
        ...


# Ports of the event log and replay (accepting, ordering and applying attempts).
# Each area keeps its ports together below its heading, in the order the use cases
# read them.


# Ports of the catalogue, the students' ratings and Smart Practice's picks.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.


# Ports of tenants, keys, audit, data protection, tutor chats and calibration.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An API key as stored: only a salted hash of its secret.

    Attributes:
        key_id: Finds the key (16 hex digits, the part of the token after ``sp_``).
        tenant_id: The tenant it acts for.
        name: Who or what holds it (1-200 characters).
        scope: ``ingest``, ``read`` or ``admin``.
        salt: Hex salt of `secret_hash`.
        secret_hash: Hex SHA-256 of the salt's bytes and the secret.
        created_at: When it was made (UTC).
        revoked_at: When it was revoked (UTC), None while it works.
    """

    key_id: str
    tenant_id: str
    name: str
    scope: str
    salt: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry: who (the key's name) did what, when (UTC), for which tenant;
    `detail` holds counts and key ids, never personal data. `id` grows with time (0 for
    an entry not yet stored)."""

    id: int
    at: datetime
    tenant_id: str
    key_name: str
    action: str
    detail: dict[str, Any]


class AccessStore(Protocol):
    """The service-wide tables of the default database: tenants, keys, dashboard sessions
    and the audit log."""

    def register_tenant(self, tenant_id: str, name: str, *, now: datetime) -> bool:
        """Register `tenant_id` unless it is; True when it was new.

        Raises:
            ValueError: `tenant_id` is not a valid tenant id (it names schemas and files).
        """
        ...

    def tenants(self) -> list[tuple[str, str]]:
        """(tenant id, name) of every tenant, the default one first (it exists even when
        unregistered, with an empty name), the others by id."""
        ...

    def tenant_exists(self, tenant_id: str) -> bool: ...

    def add_key(self, key: StoredKey) -> None: ...

    def key(self, key_id: str) -> StoredKey | None: ...

    def keys(self, tenant_id: str | None) -> list[StoredKey]:
        """Every key (of `tenant_id`, if given) by tenant, then creation time."""
        ...

    def revoke_key(self, key_id: str, *, at: datetime) -> None: ...

    def open_dashboard_session(
        self, id_hash: str, key_id: str, *, now: datetime, expires_at: datetime
    ) -> None:
        """Store a dashboard session (by a digest of its id), removing expired ones."""
        ...

    def dashboard_session_key(self, id_hash: str, *, now: datetime) -> StoredKey | None:
        """The live key of a dashboard session not expired at `now`, else None."""
        ...

    def close_dashboard_session(self, id_hash: str) -> None: ...

    def add_audit(self, entry: AuditRecord) -> None: ...

    def audit_entries(self, tenant_id: str, *, limit: int) -> list[AuditRecord]:
        """A tenant's newest `limit` audit entries first."""
        ...


ERASED_KIND = "erased"
"""`events.kind` of what remains of an erased student's applied attempt: its effect on
the item, and nothing about the student (see `services.data_protection.delete_student`)."""


@dataclass(frozen=True, slots=True)
class AppliedAttempt:
    """An applied attempt of a student being erased.

    Attributes:
        seq: Its place in the apply order.
        score: The attempt's score (0-1).
        skills: Per skill, the recorded outcome (``difficulty`` in Elo points after the
            attempt, ``performance`` 0-1 credited).
    """

    seq: int
    score: float
    skills: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ErasedAttempt:
    """What stays of an applied attempt of an erased student: its effect on the item.

    Attributes:
        seq: Its place in the apply order (kept, so replay applies it where it was).
        item_success: Whether the item counted as answered correctly.
        skills: Per skill, ``difficulty`` after it (Elo points) and ``success``.
    """

    seq: int
    item_success: bool
    skills: dict[str, dict[str, Any]]


LockPartition = Callable[[int], object]
"""Wait until no worker applies events of the partition, and hold it until commit (the
event log's lock, which the workers take)."""


class DataProtectionStore(Protocol):
    """Removing a student's rows and sweeping old ones."""

    def applied_attempts(self, student_id: str) -> tuple[list[AppliedAttempt], int]:
        """The student's applied attempts that recorded an outcome, and how many events
        (of any status) the student has."""
        ...

    def erase_events(self, student_id: str, kept: Sequence[ErasedAttempt]) -> None:
        """Replace the events in `kept` by what stays of them, delete the student's others."""
        ...

    def delete_student_rows(self, student_id: str) -> dict[str, int]:
        """Delete the student's rows of every other table, children before parents; rows
        deleted per kind (``skill_ratings``, ``misconceptions``, ``selections``,
        ``tutor_sessions``, ``student``)."""
        ...

    def delete_old_events(self, *, received_before: datetime) -> int:
        """Delete applied and rejected events received before then; how many."""
        ...


Analyzer = Callable[
    [Transcript, Sequence[SkillDescriptor], Sequence[CatalogueEntry]], TranscriptAnalysis
]
"""Analyse a chat given the item's skills and their catalogue misconceptions."""


@dataclass(frozen=True, slots=True)
class StoredChat:
    """A tutor chat as stored, its messages already redacted (``role``, ``content``,
    ``sent_at`` ISO 8601 or None)."""

    session_id: str
    student_id: str
    partition: int
    item_id: str | None
    attempt_event_id: str | None
    content_hash: str
    messages: list[dict[str, Any]]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ChatStatus:
    """Status of one chat: ``pending``, ``analyzed`` or ``rejected`` (with `reason`), and
    its analysis (JSON, with ``struggle_by_skill``) once analysed."""

    session_id: str
    student_id: str
    item_id: str | None
    attempt_event_id: str | None
    status: str
    reason: str | None
    received_at: datetime
    analyzed_at: datetime | None
    analysis: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class PendingChat:
    """A chat waiting for analysis: whose, about what, its messages (None once erased)."""

    session_id: str
    student_id: str
    item_id: str | None
    attempt_event_id: str | None
    messages: list[dict[str, Any]] | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What analysing a chat needs: the problem's text, the item's skills and the catalogue
    misconceptions of those skills (empty when the item is unknown)."""

    problem: str
    skills: list[SkillDescriptor]
    catalogue: list[CatalogueEntry]


@dataclass(frozen=True, slots=True)
class SeenMisconception:
    """A misconception recognised in a student's chats: how often, when last (UTC)."""

    misconception_id: str
    skill_id: str
    description: str
    count: int
    last_seen: datetime


class TutoringStore(Protocol):
    """Tutor chats, the misconception catalogue and what the analyses found."""

    def item_exists(self, item_id: str) -> bool: ...

    def chat_content_hash(self, session_id: str) -> str | None:
        """The stored chat's content hash, None when no chat has that id."""
        ...

    def add_chat(self, chat: StoredChat) -> None: ...

    def chat_status(self, session_id: str) -> ChatStatus | None: ...

    def skill_ids(self) -> set[str]: ...

    def save_misconceptions(self, entries: Sequence[CatalogueEntry]) -> None:
        """Create or replace catalogue entries by id."""
        ...

    def misconceptions(self, skill_id: str | None) -> list[CatalogueEntry]:
        """Catalogue entries (of `skill_id`, if given) by id."""
        ...

    def analysed_chats(
        self, event_ids: Sequence[str], session_ids: Sequence[str]
    ) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        """(session id, attempt event id, analysis) of the analysed chats naming one of
        `event_ids` or being one of `session_ids`."""
        ...

    def student_misconceptions(self, student_id: str) -> list[SeenMisconception]:
        """The student's recognised misconceptions, last seen first."""
        ...

    def pending_chats(self, partitions: Sequence[int] | None, *, limit: int) -> list[PendingChat]:
        """Up to `limit` chats waiting for analysis (of `partitions`, if given), oldest first."""
        ...

    def chat_context(self, item_id: str | None, attempt_event_id: str | None) -> ChatContext:
        """The context of a chat about `item_id`, else the item of `attempt_event_id`."""
        ...

    def record_analysis(
        self, session_id: str, analysis: dict[str, Any], *, now: datetime, keep_raw_text: bool
    ) -> None:
        """Mark the chat analysed at `now` with `analysis`; erase its text unless kept."""
        ...

    def record_misconceptions(
        self, student_id: str, misconception_ids: Iterable[str], *, seen_at: datetime
    ) -> None:
        """Count one more sighting of each misconception for the student."""
        ...

    def forget_raw_text(self, *, received_before: datetime) -> int:
        """Erase the text of analysed (or rejected) chats received before then; how many."""
        ...


@dataclass(frozen=True, slots=True)
class ItemSkillState:
    """An item-skill's online state: difficulty (Elo points), applied attempts, label
    difficulty (Elo points)."""

    difficulty: float
    attempts: int
    initial: float


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """One applied attempt as calibration reads it.

    Attributes:
        student_id: Who answered.
        item_id: The item.
        skills: Per skill, the recorded outcome (``performance`` 0-1, ``weight``), empty
            when the event recorded none.
        performance: The attempt's overall performance (0-1), None when not recorded.
    """

    student_id: str
    item_id: str
    skills: dict[str, dict[str, Any]]
    performance: float | None


class CalibrationStore(Protocol):
    """Item difficulties and the applied attempts that calibration fits them on."""

    def item_skill_states(
        self, item_ids: Collection[str] | None = None
    ) -> dict[tuple[str, str], ItemSkillState]:
        """Every (item, skill)'s state, or those of `item_ids`, then locked for update in
        (item, skill) order, the order the workers lock them in."""
        ...

    def applied_attempts(self) -> Iterator[AttemptOutcome]:
        """Every applied attempt (streamed, in no particular order)."""
        ...

    def set_difficulties(self, difficulties: Mapping[tuple[str, str], float]) -> None:
        """Write the difficulty (Elo points) of each (item, skill)."""
        ...


@dataclass(frozen=True, slots=True)
class DemoItemSkill:
    """One skill of a catalogue item, as the demo classes see it: its topic, expected time
    (seconds, None when unknown) and label difficulty (Elo points)."""

    topic: str | None
    item_id: str
    expected_time_seconds: float | None
    skill_id: str
    initial_difficulty: float


# Ports of the analytics the dashboard reads.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.
