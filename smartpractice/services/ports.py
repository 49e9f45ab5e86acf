"""The ports of the use cases: what they read and write through (`RatingStore`,
`CatalogView`), the data those carry, and the errors they raise (adapters map errors to HTTP
codes or CLI messages). Storage and memory implement the ports; services depend only on
them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from smartpractice.core.practice.profile import AttemptRecord, TopicKey
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
    "AppliedEvent",
    "AttemptOutcome",
    "AttemptRejected",
    "AuditRecord",
    "CalibrationStore",
    "CatalogStore",
    "CatalogView",
    "ChatContext",
    "ChatStatus",
    "Conflict",
    "DataProtectionStore",
    "DemoItemSkill",
    "ErasedAttempt",
    "EventStatus",
    "EventStore",
    "ExamBankItem",
    "ExamStore",
    "ExperimentAnswer",
    "ExperimentArm",
    "ExperimentAssignment",
    "ExperimentGuardrail",
    "ExperimentRecord",
    "ExperimentStore",
    "InvalidInput",
    "ItemContent",
    "ItemContext",
    "ItemFilter",
    "ItemHistory",
    "ItemRecord",
    "ItemSkillRecord",
    "ItemSkillState",
    "LockPartition",
    "LoggedEvent",
    "NearestRequest",
    "NewEvent",
    "NotFound",
    "PendingChat",
    "PendingRow",
    "PickLog",
    "RatingStore",
    "RecentAnswer",
    "RejectedEvent",
    "ReplayRatings",
    "Scope",
    "SeenMisconception",
    "SkillRecord",
    "StoredChat",
    "StoredExam",
    "StoredKey",
    "StoredPaper",
    "StudentStore",
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


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An accepted attempt to store as a pending event.

    Attributes:
        payload: The stored record's JSON (a `StoredAttempt` of the current format).
        content_hash: Hash of the attempt as received, which decides whether a re-sent
            event id is a duplicate or a conflict.
        occurred_at: When the attempt happened (the time it was received, if not given).
    """

    event_id: str
    student_id: str
    partition: int
    item_id: str
    payload: dict[str, Any]
    content_hash: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class EventStatus:
    """Where one event is: ``pending``, ``applied`` or ``rejected`` (with why)."""

    event_id: str
    status: str
    reason: str | None
    received_at: datetime
    applied_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingRow:
    """A pending event as stored, its payload still JSON text (parsed by the use case)."""

    seq: int
    event_id: str
    student_id: str
    item_id: str
    payload: str
    received_at: datetime
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """An applied event: the prediction (0-1) before it, the credited performance (0-1)
    and what it did (`AppliedAttempt.summary`)."""

    seq: int
    predicted: float
    performance: float
    outcome: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    """An event that can never apply, and why."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An applied event as replay reads it: an attempt (``kind`` "attempt", `payload` a
    stored attempt record) or what an erased student's attempt did to its item."""

    seq: int
    event_id: str
    kind: str
    item_id: str
    payload: dict[str, Any]
    occurred_at: datetime


class ReplayRatings(RatingStore, Protocol):
    """Every rating in memory: what replay rebuilds (students, items' contexts, and each
    item's (attempts, correct) counts)."""

    items: dict[str, ItemContext]
    students: dict[str, StudentRatings]
    item_attempts: dict[str, tuple[int, int]]


class EventStore(Protocol):
    """The event log, and the ratings the apply step locks and writes, inside the caller's
    transaction."""

    @property
    def chats(self) -> TutoringStore:
        """The tutor chats in the same transaction, for the struggle of an attempt's
        chats."""
        ...

    def skills_of_items(self, item_ids: Collection[str]) -> dict[str, set[str]]:
        """The skills of each of these items that exists."""
        ...

    def content_hashes(self, event_ids: Collection[str]) -> dict[str, str]:
        """The content hash of each of these event ids already stored."""
        ...

    def insert_new(self, events: Sequence[NewEvent], *, received_at: datetime) -> set[str]:
        """Store the events as pending, in the given order (their apply order), leaving out
        those whose id another transaction stored meanwhile; returns the ids stored."""
        ...

    def status(self, event_id: str) -> EventStatus | None: ...

    def read_pending(
        self,
        *,
        limit: int,
        partitions: Sequence[int] | None,
        after_seq: int | None = None,
        skip_students: Collection[str] = (),
    ) -> list[PendingRow]:
        """Up to `limit` pending events in acceptance order (of `partitions`, after
        `after_seq`, not of `skip_students`, when given)."""
        ...

    def analyzed_chats(self, session_ids: Collection[str]) -> set[str]:
        """Those of these tutor chats whose analysis is done (no longer pending)."""
        ...

    def batch_ratings(
        self, answers: Collection[tuple[str, str]], *, initial_ability: float
    ) -> RatingStore:
        """The ratings of a batch of (student_id, item_id) answers, the students' rows
        locked; the items come once locked (`try_lock_items`, `load_items`)."""
        ...

    def try_lock_items(self, item_ids: Collection[str]) -> set[str]:
        """Lock, without waiting, the items no other transaction holds; returns the ids
        safe to apply (locked, or unknown). Settle with `keep_item_locks`."""
        ...

    def keep_item_locks(self, keep: bool) -> None:
        """Keep the locks `try_lock_items` took, or release them."""
        ...

    def wait_for_items(self, item_ids: Collection[str]) -> bool:
        """Lock every item, waiting; False (nothing kept) when they stay held past the
        lock timeout."""
        ...

    def load_items(self, item_ids: Collection[str]) -> None:
        """Read the locked items into the batch's ratings."""
        ...

    def record_outcomes(
        self, applied: Sequence[AppliedEvent], rejected: Sequence[RejectedEvent], *, now: datetime
    ) -> None:
        """Write the batch's changed ratings and mark its events applied (numbered in the
        global apply order as of now) or rejected: one statement per table."""
        ...

    def reject(self, rejected: Sequence[RejectedEvent], *, now: datetime) -> None:
        """Mark these events rejected, with why."""
        ...

    def lock_partitions(self, partitions: Sequence[int], *, wait: bool) -> list[int]:
        """Take, for the rest of the transaction, those of `partitions` no other worker
        holds (with `wait`, every one); returns the partitions taken."""
        ...

    def pending_partitions(self, *, older_than: datetime | None) -> list[int]:
        """Partitions with pending events or tutor chats (received before `older_than`)."""
        ...

    def pending_count(self) -> int: ...

    def initial_ratings(self, *, initial_ability: float) -> ReplayRatings:
        """Ratings in memory as before any event: the items' initial difficulties."""
        ...

    def applied_events(self, *, chunk: int) -> Iterator[list[LoggedEvent]]:
        """Applied events in apply order, `chunk` at a time."""
        ...

    def live_students(self) -> dict[str, StudentRatings]:
        """Every stored student's ratings."""
        ...

    def live_item_skills(self) -> list[tuple[str, str, float, int]]:
        """Every stored (item_id, skill_id, difficulty, attempts)."""
        ...

    def replace_ratings(self, ratings: ReplayRatings, outcomes: Sequence[AppliedEvent]) -> None:
        """Replace every stored rating with these, and the events' recorded outcomes."""
        ...


# Ports of the catalogue, the students' ratings and Smart Practice's picks.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.


@dataclass(frozen=True, slots=True)
class SkillRecord:
    """A skill of the catalogue, with its prerequisites (sorted)."""

    skill_id: str
    name: str
    description: str
    prerequisites: list[str]


@dataclass(frozen=True, slots=True)
class ItemSkillRecord:
    """One skill of an item: its current and initial difficulty (Elo points), how often it
    was answered, and the share answered right (0-1; None before any answer)."""

    difficulty: float
    initial_difficulty: float
    attempts: int
    success_rate: float | None


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """An item as the API shows it: its place, its text, how often it was answered and the
    share answered right (0-1; None before any answer), and its skills by id (sorted)."""

    item_id: str
    source: str
    subject: str
    chapter: str
    topic: str
    grade: int | None
    difficulty_label: str | None
    expected_time_seconds: float | None
    marks: float | None
    text: str | None
    attempts: int
    success_rate: float | None
    skills: dict[str, ItemSkillRecord]
    exam: str | None = None
    """For a previous-year question, the exam it was set in."""


@dataclass(frozen=True, slots=True)
class ItemContent:
    """An item as imported: its place and text, and the initial difficulty (Elo points)
    of each skill it tests."""

    item_id: str
    source: str
    subject: str
    chapter: str
    topic: str
    grade: int | None
    difficulty_label: str | None
    expected_time_seconds: float | None
    marks: float | None
    text: str | None
    initial_difficulties: dict[str, float]
    exam: str | None = None


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Which items to list: any combination of place names (any case) and one skill."""

    subject: str | None = None
    chapter: str | None = None
    topic: str | None = None
    skill: str | None = None


class CatalogStore(Protocol):
    """Where skills and items are stored, listed and read one by one."""

    def skill_ids(self) -> set[str]:
        """Every stored skill id."""
        ...

    def prerequisites(self) -> dict[str, list[str]]:
        """Every skill's prerequisite skills."""
        ...

    def save_skills(self, skills: Sequence[SkillRecord]) -> None:
        """Create or replace the skills and their prerequisite edges."""
        ...

    def save_items(self, items: Sequence[ItemContent]) -> None:
        """Create or update the items; a skill an item keeps keeps the difficulty it has
        learned once answered, a skill it drops is removed."""
        ...

    def count_items(self) -> int:
        """How many items are stored."""
        ...

    def skills_page(self, *, offset: int, limit: int) -> tuple[list[SkillRecord], int]:
        """Skills in id order from `offset`, at most `limit`, and how many there are."""
        ...

    def items_page(
        self, where: ItemFilter, *, offset: int, limit: int
    ) -> tuple[list[ItemRecord], int]:
        """Matching items in id order from `offset`, at most `limit`, and how many match."""
        ...

    def item(self, item_id: str) -> ItemRecord | None:
        """One item, or None if there is no such item."""
        ...


# Ports of exam readiness: blueprints, the bank a paper draws from, mock papers.


@dataclass(frozen=True, slots=True)
class StoredExam:
    """An exam as stored: its id, name, date, duration (minutes) and the validated
    blueprint record (`ExamIn`) as JSON."""

    exam_id: str
    name: str
    exam_date: date
    duration_minutes: float
    blueprint: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExamBankItem:
    """An item of a blueprint's chapters or topics, as readiness, exam practice and mock
    tests see it: its place, source, exam (previous-year questions), expected time
    (seconds; None if unknown), current difficulty per skill (Elo points) and the answers
    behind each difficulty (absent: none)."""

    item_id: str
    chapter: str
    topic: str
    source: str
    exam: str | None
    expected_time_seconds: float | None
    difficulties: dict[str, float]
    difficulty_attempts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredPaper:
    """A mock paper as stored: who it is for, its exam, seed, items in paper order, the
    paper itself (questions, sections, marks, the forecast at creation) as JSON, and the
    answers received so far (item id -> answered right)."""

    paper_id: str
    student_id: str
    exam_id: str
    seed: int
    item_ids: list[str]
    paper: dict[str, Any]
    answers: dict[str, bool]
    created_at: datetime


class ExamStore(Protocol):
    """Where exam blueprints and mock papers are stored, and the bank they draw from."""

    def save_exams(self, exams: Sequence[StoredExam]) -> None:
        """Create or replace the exams."""
        ...

    def exams(self) -> list[StoredExam]:
        """Every exam, by date then id."""
        ...

    def exam(self, exam_id: str) -> StoredExam | None:
        """One exam, or None."""
        ...

    def place_names(self) -> set[str]:
        """Every chapter and topic name items carry (what a blueprint's weights name)."""
        ...

    def bank(self, places: Collection[str]) -> list[ExamBankItem]:
        """The items whose chapter or topic is one of `places`, by id."""
        ...

    def save_paper(self, paper: StoredPaper) -> None:
        """Store a new mock paper."""
        ...

    def paper(self, paper_id: str) -> StoredPaper | None:
        """One mock paper with its answers so far, or None."""
        ...

    def record_answers(self, paper_id: str, answers: Mapping[str, bool]) -> None:
        """Add answers (item id -> right) to a stored paper; a later answer to the same
        item replaces the earlier one."""
        ...


class StudentStore(Protocol):
    """What the students' reads need: their ratings, their applied answers and the
    catalogue facts those are judged against."""

    def version(self, student_id: str) -> int | None:
        """How many attempts have been applied to the student (None if never seen)."""
        ...

    def ratings(self, student_id: str) -> StudentRatings | None:
        """All of a student's ratings, or None for a student never seen."""
        ...

    def typical_difficulties(self, skill_ids: Iterable[str]) -> dict[str, float]:
        """Mean current difficulty (Elo points) of the items testing each skill."""
        ...

    def skill_names(self, skill_ids: Iterable[str]) -> dict[str, str]:
        """The name of each known skill."""
        ...

    def prerequisites(self) -> dict[str, list[str]]:
        """Every skill's prerequisite skills."""
        ...

    def applied_attempts(self, student_id: str) -> list[AttemptRecord]:
        """Every applied attempt of the student, with its item's topic."""
        ...

    def topic_skills(self, topics: Iterable[TopicKey]) -> dict[TopicKey, list[str]]:
        """The skills (sorted) the items of each topic test."""
        ...


class PickLog(Protocol):
    """Where Smart Practice's picks are logged, and the catalogue it reads them from."""

    def view(self, student_id: str, *, recent_window: int) -> CatalogView:
        """The catalogue, ratings and past that a pick for the student reads."""
        ...

    def last_explanation(self, student_id: str) -> object:
        """The explanation logged with the student's last pick (None if never served)."""
        ...

    def log_pick(
        self,
        *,
        student_id: str,
        item_id: str,
        scope: Mapping[str, Any],
        explanation: Mapping[str, Any],
        at: datetime,
        experiment_id: str | None = None,
        arm: str | None = None,
    ) -> tuple[int, ItemRecord]:
        """Log a pick (with the experiment and arm it was served under, if any); its id and
        the item picked.

        Raises:
            NotFound: no such item.
        """
        ...


# Ports of experiments: their plans, the students' arms, and the answers they are measured on.


@dataclass(frozen=True, slots=True)
class ExperimentArm:
    """One arm of an experiment.

    Attributes:
        name: The arm's name, unique in the experiment.
        share: Share (0-1) of the students assigned to it; an experiment's shares sum to 1.
        policy: ``smart_practice`` (the selector) or ``textbook`` (the scope's skills in
            textbook order, `services.practice.pick_textbook_item`).
        overrides: Settings that differ from the tenant's `ModelConfig`, per section
            (``selection`` or ``path``), e.g. ``{"selection": {"target_success": 0.7}}``.
    """

    name: str
    share: float
    policy: str = "smart_practice"
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExperimentGuardrail:
    """A metric no arm may worsen against the control by more than `margin` (the metric's
    units; `harmful`: which direction is worse)."""

    metric: str
    margin: float
    harmful: str = "increase"


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    """An experiment's plan and state.

    Attributes:
        experiment_id: Its id (unique in the tenant).
        hypothesis: What the team expects, in their words.
        scope: Where it runs: subject, chapter, topic (None: any); all None: everywhere.
        arms: The arms; the first is the control.
        primary_metric: The metric the decision rests on (`core.experiments.metrics`).
        guardrails: Metrics no arm may worsen.
        minimum_detectable_effect: Smallest difference worth detecting (the primary
            metric's units, > 0); tunes the confidence sequence.
        planned_students: Students planned in all (from the sample-size calculator).
        orthogonal: May run beside other orthogonal experiments on an overlapping scope.
        auto_stop: A guardrail breach stops the experiment (else only flags it).
        status: ``draft``, ``running`` or ``stopped``.
        flag: Why a guardrail was breached (None: never).
        stop_reason: Why it stopped.
    """

    experiment_id: str
    hypothesis: str
    scope: Scope
    arms: tuple[ExperimentArm, ...]
    primary_metric: str
    guardrails: tuple[ExperimentGuardrail, ...]
    minimum_detectable_effect: float
    planned_students: int
    orthogonal: bool
    auto_stop: bool
    status: str
    created_at: datetime
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    flag: str | None = None
    stop_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ExperimentAssignment:
    """A student's arm in an experiment and when they were first served under it."""

    student_id: str
    arm: str
    first_exposure_at: datetime


@dataclass(frozen=True, slots=True)
class ExperimentAnswer:
    """One applied attempt of an assigned student, as the metrics read it.

    Attributes:
        predicted: The model's predicted success (0-1) before the answer.
        performance: Credited performance (0-1).
        difficulties: The item's difficulty per skill (Elo points) when the experiment
            started; today's for an item added since.
    """

    student_id: str
    item_id: str
    occurred_at: datetime
    performance: float
    predicted: float
    solution_viewed: bool
    difficulties: Mapping[str, float]


class ExperimentStore(Protocol):
    """Where a tenant's experiments, their assignments and their answers are kept."""

    def add(self, experiment: ExperimentRecord) -> bool:
        """Store a new experiment; False when the id is taken (nothing stored)."""
        ...

    def get(self, experiment_id: str) -> ExperimentRecord | None: ...

    def all(self) -> list[ExperimentRecord]:
        """Every experiment, newest first."""
        ...

    def running(self) -> list[ExperimentRecord]:
        """The running experiments, oldest start first."""
        ...

    def save_state(self, experiment: ExperimentRecord) -> None:
        """Store the experiment's status, flag, stop reason and times."""
        ...

    def arm_of(self, experiment_id: str, student_id: str) -> str | None:
        """The student's recorded arm (None: never exposed)."""
        ...

    def assign(self, experiment_id: str, student_id: str, arm: str, *, at: datetime) -> None:
        """Record the student's arm unless a row exists already (concurrent first
        exposures agree: the arm is a hash of the pair)."""
        ...

    def assignments(self, experiment_id: str) -> list[ExperimentAssignment]: ...

    def freeze_difficulties(self, experiment_id: str) -> int:
        """Keep every item's difficulty per skill as it is now, for the experiment's
        metrics; the number of (item, skill) pairs kept."""
        ...

    def answers(self, experiment_id: str, student_ids: Collection[str]) -> list[ExperimentAnswer]:
        """The applied attempts of these students, oldest first, with the items'
        difficulties when the experiment started (today's for an item added since)."""
        ...

    def mastery_times(self, student_ids: Collection[str]) -> dict[str, dict[str, datetime]]:
        """Per student, when each skill first appeared mastered in a logged pick."""
        ...

    def picks_per_arm(self, experiment_id: str) -> dict[str, int]:
        """Logged picks served under each arm."""
        ...


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

__all__ += [
    "AnalyticsStore",
    "CohortFilter",
    "CohortRatings",
    "EventCounts",
    "ItemAttempt",
    "ItemCalibration",
    "ItemLabelGap",
    "ItemSkillMovement",
    "ItemStats",
    "PageRating",
    "Pick",
    "PractisedTopic",
    "RecentStudent",
    "Rejection",
    "SkillOutcomes",
    "StudentEvent",
    "SubjectGradeFilter",
    "TopicOption",
]


@dataclass(frozen=True, slots=True)
class CohortFilter:
    """A class or cohort: students who practised `topic` (of `subject`, `grade`), optionally
    only ids starting with `prefix` (a customer's class or school namespace)."""

    grade: int | None = None
    subject: str | None = None
    topic: str | None = None
    prefix: str | None = None


@dataclass(frozen=True, slots=True)
class SubjectGradeFilter:
    """The items of a subject and/or grade (None: any)."""

    subject: str | None = None
    grade: int | None = None


@dataclass(frozen=True, slots=True)
class RecentStudent:
    """A recently active student: answers so far, success rate (0-1, None before any)."""

    student_id: str
    attempts: int
    success_rate: float | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class TopicOption:
    """One (grade, subject, chapter, topic) of the catalogue and its items' attempts."""

    grade: int | None
    subject: str
    chapter: str
    topic: str
    attempts: int


@dataclass(frozen=True, slots=True)
class PractisedTopic:
    """A topic and how many students of a group have a rated skill of it."""

    grade: int | None
    subject: str
    topic: str
    students: int


@dataclass(frozen=True, slots=True)
class CohortRatings:
    """Every (student, skill) rating of a cohort: `rows` are (student id, skill id, offset in
    Elo points, attempts, correct) as plain tuples (a cohort can be every student there
    is), `abilities` each of those students' ability (Elo points)."""

    rows: list[tuple[str, str, float, int, int]]
    abilities: dict[str, float]


@dataclass(frozen=True, slots=True)
class PageRating:
    """One shown student's rating state on one skill, with the student's ability."""

    student_id: str
    skill_id: str
    offset: float
    attempts: int
    correct: int
    last_at: datetime | None
    ability: float


@dataclass(frozen=True, slots=True)
class SkillOutcomes:
    """An applied event's per-skill outcome (`{"skills": {skill_id: {...}}}`), by event
    number `seq` of `student_id`."""

    student_id: str
    seq: int
    outcome: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ItemLabelGap:
    """An item whose learned difficulty (mean over its skills, Elo points) is far from the
    seed of its difficulty label."""

    item_id: str
    label: str
    learned: float
    seed: float


@dataclass(frozen=True, slots=True)
class ItemCalibration:
    """An item's recent applied attempts: count, mean predicted and observed success (0-1)."""

    item_id: str
    n: int
    predicted: float
    observed: float


@dataclass(frozen=True, slots=True)
class ItemSkillMovement:
    """One skill of an item: its seeded and its current difficulty (Elo points)."""

    skill_id: str
    initial: float
    now: float


@dataclass(frozen=True, slots=True)
class ItemStats:
    """An item's place, label, counters and per-skill difficulty movement."""

    item_id: str
    topic: str
    grade: int | None
    label: str | None
    attempts: int
    correct: int
    skills: list[ItemSkillMovement]


@dataclass(frozen=True, slots=True)
class ItemAttempt:
    """An applied attempt on an item: when, its per-skill outcome, the predicted success
    (0-1) and the overall score (0-1)."""

    occurred_at: datetime
    outcome: dict[str, Any] | None
    predicted: float | None
    score: float | None


@dataclass(frozen=True, slots=True)
class EventCounts:
    """The event log's size: events accepted and applied (the newest positions), pending
    and rejected, and when the oldest pending event arrived."""

    accepted: int
    applied: int
    pending: int
    rejected: int
    oldest_pending: datetime | None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A rejected event: its id, why, and when it arrived."""

    event_id: str
    reason: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StudentEvent:
    """One of a student's events as the dashboard shows it."""

    event_id: str
    item_id: str
    status: str
    reason: str | None
    occurred_at: datetime
    payload: dict[str, Any]
    predicted: float | None
    performance: float | None
    outcome: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Pick:
    """A logged Smart Practice pick: the item, the scope asked for, and why."""

    id: int
    student_id: str
    item_id: str
    scope: dict[str, Any]
    explanation: dict[str, Any]
    created_at: datetime


class AnalyticsStore(Protocol):
    """What the dashboard's read models read: each method costs what a page shows, not
    what the database holds."""

    def recent_students(self, *, limit: int) -> list[RecentStudent]:
        """The most recently active students, newest first."""
        ...

    def student_count(self) -> int:
        """Students there are."""
        ...

    def student_exists(self, student_id: str) -> bool:
        """Whether the student has a row (has answered or been rated)."""
        ...

    def students_starting(self, prefix: str, *, limit: int) -> list[str]:
        """The first `limit` student ids starting with `prefix`, in id order."""
        ...

    def filter_options(self) -> list[TopicOption]:
        """Every (grade, subject, chapter, topic) of the catalogue, in that order."""
        ...

    def practised_topics(self, where: CohortFilter) -> list[PractisedTopic]:
        """The topics (within `where`'s grade and subject) that students whose ids start with
        `where.prefix` have a rated skill of, most students first."""
        ...

    def skill_names(self, skill_ids: Sequence[str]) -> dict[str, str]:
        """Display name per skill id."""
        ...

    def typical_difficulties(self, skill_ids: Sequence[str]) -> dict[str, float]:
        """Mean current difficulty (Elo points) of the items testing each skill."""
        ...

    def topic_skills(self, where: CohortFilter) -> list[str]:
        """The skills tested by the items of `where`'s grade, subject and topic, sorted."""
        ...

    def cohort_ratings(self, where: CohortFilter, skills: Sequence[str]) -> CohortRatings:
        """The cohort's ratings on `skills` (and abilities of its students)."""
        ...

    def page_ratings(self, student_ids: Sequence[str], skills: Sequence[str]) -> list[PageRating]:
        """The rating states of the shown students on `skills`."""
        ...

    def recent_outcomes(
        self, student_ids: Sequence[str], *, per_student: int
    ) -> list[SkillOutcomes]:
        """Each student's last `per_student` events' outcomes (None: not applied)."""
        ...

    def label_gaps(
        self,
        where: SubjectGradeFilter,
        *,
        seeds: Sequence[tuple[str, float]],
        unlabelled: float,
        min_attempts: int,
        tolerance: float,
        limit: int,
    ) -> list[ItemLabelGap]:
        """Labelled items, every skill attempted at least `min_attempts` times, whose learned
        difficulty is at least `tolerance` Elo points from their label's seed (`seeds`:
        label and difficulty; `unlabelled` for another label); at most `limit`."""
        ...

    def recent_item_calibration(
        self, where: SubjectGradeFilter, *, events: int
    ) -> list[ItemCalibration]:
        """Per item of `where`, its attempts among the last `events` applied events."""
        ...

    def item_count(self, where: SubjectGradeFilter) -> int:
        """Items of `where`."""
        ...

    def most_attempted_items(
        self, where: SubjectGradeFilter, *, offset: int, limit: int
    ) -> list[ItemStats]:
        """A page of the items of `where`, most attempted first (ties by id)."""
        ...

    def item_attempts(self, item_id: str, *, limit: int) -> list[ItemAttempt]:
        """The item's last `limit` applied attempts, oldest first."""
        ...

    def event_counts(self) -> EventCounts:
        """The event log's counts and its oldest pending event."""
        ...

    def received_times(self, *, limit: int) -> list[datetime]:
        """When the last `limit` events arrived, newest first."""
        ...

    def apply_times(self, *, limit: int) -> list[tuple[datetime, datetime | None]]:
        """(received, applied) times of the last `limit` applied events, newest first."""
        ...

    def calibration_sums(self, *, events: int, bins: int) -> dict[int, tuple[int, float, float]]:
        """Over the last `events` applied events with a prediction, per predicted-success bin
        (0 to `bins` - 1): count, sum of predictions and sum of successes."""
        ...

    def latest_rejections(self, *, limit: int) -> list[Rejection]:
        """The last `limit` rejected events, newest first."""
        ...

    def student_events(self, student_id: str, *, limit: int) -> list[StudentEvent]:
        """The student's last `limit` events, oldest first."""
        ...

    def picks(self, student_id: str, *, limit: int) -> list[Pick]:
        """The student's last `limit` Smart Practice picks, newest first."""
        ...
