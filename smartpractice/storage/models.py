"""SQLAlchemy 2 tables. The event log is the source of truth; the rest is derived state
that `replay` can rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "SERVICE_TABLES",
    "ApiKey",
    "AuditEntry",
    "Base",
    "DashboardSession",
    "Event",
    "Exam",
    "Experiment",
    "ExperimentAssignment",
    "ExperimentDifficulty",
    "Item",
    "ItemSkill",
    "Misconception",
    "MockPaper",
    "SelectionLog",
    "Skill",
    "SkillPrerequisite",
    "Student",
    "StudentMisconception",
    "StudentSkill",
    "Tenant",
    "TutorSession",
]

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[dict[str, Any]]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime(),
    }


class Skill(Base):
    __tablename__ = "skills"

    skill_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class SkillPrerequisite(Base):
    __tablename__ = "skill_prerequisites"

    skill_id: Mapped[str] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="CASCADE"), primary_key=True
    )
    prerequisite_id: Mapped[str] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="CASCADE"), primary_key=True
    )


class Item(Base):
    __tablename__ = "items"

    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    chapter: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difficulty_label: Mapped[str | None] = mapped_column(String(20), nullable=True)
    expected_time_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    marks: Mapped[float | None] = mapped_column(Float, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # For a previous-year question, the exam it was set in (jee, neet, cbse).
    exam: Mapped[str | None] = mapped_column(String(50), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)

    # Scopes filter on any one of these alone, so each needs its own index.
    __table_args__ = (
        Index("ix_items_subject", "subject"),
        Index("ix_items_chapter", "chapter"),
        Index("ix_items_topic", "topic"),
        # The dashboard's grade/subject/topic filters (an index-only scan for its menus).
        Index("ix_items_grade_subject_topic", "grade", "subject", "chapter", "topic"),
    )


class ItemSkill(Base):
    __tablename__ = "item_skills"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("items.item_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"), primary_key=True)
    initial_difficulty: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_item_skills_skill_difficulty", "skill_id", "difficulty"),)


class Student(Base):
    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ability: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(nullable=True)

    # The dashboard lists the most recently active students.
    __table_args__ = (Index("ix_students_last_at", "last_at"),)


class StudentSkill(Base):
    """A student's offset on one skill. No foreign keys (migration 0008): their per-row
    checks were half the database's work per applied event; the worker writes the student
    row first in the same transaction and `delete_student` removes these rows itself."""

    __tablename__ = "student_skills"

    student_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    offset: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(nullable=True)

    # A cohort's ratings on a topic's skills (dashboard class view), read from the index
    # alone: a cohort can be every student there is.
    __table_args__ = (
        Index(
            "ix_student_skills_skill_student",
            "skill_id",
            "student_id",
            "offset",
            "attempts",
            "correct",
        ),
    )


class Event(Base):
    """Append-only log of accepted events. Status moves pending -> applied | rejected."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30), default="attempt")
    student_id: Mapped[str] = mapped_column(String(200))
    partition: Mapped[int] = mapped_column(Integer, default=0)
    """crc32(student_id) mod the partition count: one worker at a time per partition."""
    item_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime]
    occurred_at: Mapped[datetime]
    applied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    applied_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    performance: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Per skill after applying: evidence, prediction, rating, uncertainty, difficulty."""

    __table_args__ = (
        Index("ix_events_status_seq", "status", "seq"),
        Index("ix_events_status_partition_seq", "status", "partition", "seq"),
        Index("ix_events_student_item", "student_id", "item_id"),
        # One item's difficulty history in apply order (dashboard item view).
        Index("ix_events_item_applied", "item_id", "applied_seq"),
        # One student's applied events: without it SQLite may answer "student = ? and
        # status = 'applied'" by walking every applied event of the log.
        Index("ix_events_student_status_seq", "student_id", "status", "seq"),
    )


class TutorSession(Base):
    """An AI-tutor chat: stored (redacted) on arrival, analysed by a worker."""

    __tablename__ = "tutor_sessions"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(200), unique=True)
    student_id: Mapped[str] = mapped_column(String(200), index=True)
    partition: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempt_event_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )
    """Redacted messages; emptied after analysis when raw text is not kept, or when old."""
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    received_at: Mapped[datetime]
    analyzed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_tutor_sessions_status_partition", "status", "partition"),)


class Misconception(Base):
    """A known misconception of a skill (the catalogue)."""

    __tablename__ = "misconceptions"

    misconception_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    example_wrong_answers: Mapped[list[str]] = mapped_column(JSON)


class StudentMisconception(Base):
    """A misconception recognised in a student's chats: how often and when last."""

    __tablename__ = "student_misconceptions"

    student_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    misconception_id: Mapped[str] = mapped_column(
        ForeignKey("misconceptions.misconception_id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime]


class SelectionLog(Base):
    """Every Smart Practice pick with its explanation, for analytics and recency."""

    __tablename__ = "selections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    student_id: Mapped[str] = mapped_column(String(200), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    experiment_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The running experiment the pick was served under (None: none)."""
    arm: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The student's arm in that experiment."""

    # Picks per arm of one experiment (reports) without walking the whole log.
    __table_args__ = (Index("ix_selections_experiment_arm", "experiment_id", "arm"),)


class Experiment(Base):
    """An A/B experiment of a tenant: its plan (arms, metric, guardrails) and its state."""

    __tablename__ = "experiments"

    experiment_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hypothesis: Mapped[str] = mapped_column(Text)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    primary_metric: Mapped[str] = mapped_column(String(50))
    guardrails: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    minimum_detectable_effect: Mapped[float] = mapped_column(Float)
    planned_students: Mapped[int] = mapped_column(Integer)
    orthogonal: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_stop: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    """draft -> running -> stopped (never back)."""
    flag: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why a guardrail was breached (None: never breached)."""
    stop_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ExperimentAssignment(Base):
    """A student's arm in an experiment, recorded on first exposure (the arm itself is a
    hash of the pair, so every process agrees before the row exists)."""

    __tablename__ = "experiment_assignments"

    experiment_id: Mapped[str] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    arm: Mapped[str] = mapped_column(String(100))
    first_exposure_at: Mapped[datetime]

    # Deleting a student removes their assignments in every experiment.
    __table_args__ = (Index("ix_experiment_assignments_student", "student_id"),)


class ExperimentDifficulty(Base):
    """Every item's difficulty per skill when an experiment started: the neutral prediction
    of its learning metric does not move with what either arm's answers teach the items."""

    __tablename__ = "experiment_difficulties"

    experiment_id: Mapped[str] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    difficulty: Mapped[float] = mapped_column(Float)


class Exam(Base):
    """An exam's blueprint (the validated import record as JSON) and the columns lists
    sort by."""

    __tablename__ = "exams"

    exam_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    exam_date: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[float] = mapped_column(Float)
    blueprint: Mapped[dict[str, Any]] = mapped_column(JSON)


class MockPaper(Base):
    """A mock test assembled for a student: its seed, items, the paper (sections, marks,
    the readiness forecast at creation) and the answers received so far."""

    __tablename__ = "mock_papers"

    paper_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(200), index=True)
    exam_id: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(BigInteger)
    item_ids: Mapped[list[str]] = mapped_column(JSON)
    paper: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


# Service-wide tables: they live with the default tenant only (PostgreSQL ``public``, the
# main SQLite file); every other table exists once per tenant.
SERVICE_TABLES = frozenset({"tenants", "api_keys", "audit_log", "dashboard_sessions"})


class Tenant(Base):
    """A school or an app: its students, items and events are kept apart from all others."""

    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ApiKey(Base):
    """An API key: only a salted SHA-256 of its secret is stored."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.tenant_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class DashboardSession(Base):
    """A signed-in dashboard browser. Its cookie holds a random session id; only a SHA-256
    of that id is stored, with the key it stands for (never the key itself)."""

    __tablename__ = "dashboard_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.key_id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when: admin actions and deletions. Append-only (database triggers
    refuse UPDATE and DELETE); holds key names and counts, never a student's data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    tenant_id: Mapped[str] = mapped_column(String(40), index=True)
    key_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
