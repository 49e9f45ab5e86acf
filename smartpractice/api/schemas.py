"""Request and response bodies of the HTTP API beyond the shared input records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from smartpractice.services.schemas import AttemptIn, ExamIn, ItemIn, SkillIn

__all__ = [
    "BODY_RESPONSES",
    "CONFLICT",
    "KEY_RESPONSES",
    "NOT_FOUND",
    "AttemptBatch",
    "AttemptsAccepted",
    "ChapterReadinessOut",
    "ChapterScoreOut",
    "ConflictOut",
    "ErrorOut",
    "EventStatusOut",
    "ExamBatch",
    "ExamList",
    "ItemBatch",
    "ItemOut",
    "ItemSkillOut",
    "LearningPathOut",
    "MockTestOut",
    "MockTestQuestionOut",
    "MockTestReportOut",
    "NextQuestionOut",
    "Page",
    "PathSkillOut",
    "ProfileOut",
    "ReadinessOut",
    "SkillBatch",
    "StudentSkillOut",
    "StudentSkillsOut",
    "Timestamp",
    "UpsertResult",
    "encoded",
]

MAX_BATCH = 1000


class AttemptBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempts: list[AttemptIn] = Field(min_length=1, max_length=MAX_BATCH)


class SkillBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skills: list[SkillIn] = Field(min_length=1, max_length=10000)


class ItemBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(min_length=1, max_length=10000)


class AttemptsAccepted(BaseModel):
    accepted: int
    duplicates: int
    event_ids: list[str]
    mock_test_reports: list[MockTestReportOut] | None = None
    """The score reports of the mock tests whose last answer these attempts were (left out
    of the answer when there is none)."""


class EventStatusOut(BaseModel):
    event_id: str
    status: Literal["pending", "applied", "rejected"]
    reason: str | None
    received_at: datetime
    applied_at: datetime | None


class UpsertResult(BaseModel):
    upserted: int


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    data: list[dict[str, Any]]


class ErrorOut(BaseModel):
    """Every error but a validation error or a conflict: one sentence, never data, code or
    SQL."""

    detail: str


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class ConflictOut(BaseModel):
    """An id already used with different content."""

    detail: list[FieldProblem]


_ERROR = {"model": ErrorOut}

KEY_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**_ERROR, "description": "Missing, malformed, unknown or revoked API key"},
    403: {**_ERROR, "description": "The key lacks the scope (or tenant) this route needs"},
    429: {
        **_ERROR,
        "description": "Rate limit of this key exceeded; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
"""Responses of every route that needs a key."""
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "The body is not valid UTF-8 JSON"},
    413: {**_ERROR, "description": "The body is larger than `max_body_bytes`"},
    415: {**_ERROR, "description": "The body is not sent as JSON (`content-type`)"},
}
"""Responses of every route that reads a body."""
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**_ERROR, "description": "Not found"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ConflictOut, "description": "An id already used with different content"}
}


# Responses of the event log (attempts and their status).
# Each area keeps its response models together below its heading.


# Responses of the catalogue, students, profiles, next-question and learning paths.
# Each area keeps its response models together below its heading.

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""An instant in ISO 8601 (UTC written `Z`); the routes encode it before validation
(`encoded`), so it is a string here."""


def encoded(result: object) -> dict[str, Any]:
    """A service's result in JSON types (dataclasses as objects, instants in ISO 8601), as
    the API wrote it before its routes declared response models: the model validates it
    and the JSON stays the same."""
    found: dict[str, Any] = to_jsonable_python(result)
    return found


class ItemSkillOut(BaseModel):
    difficulty: float
    initial_difficulty: float
    attempts: int
    success_rate: float | None


class ItemOut(BaseModel):
    """An item with its statistics: answers, share answered right (0-1; None before any
    answer), and per skill its difficulty (Elo points) and statistics."""

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
    skills: dict[str, ItemSkillOut]
    exam: str | None = None


class NextQuestionOut(BaseModel):
    """The item picked, the id its pick was logged under (None when not kept: a student
    with no applied attempt yet) and the explanation (scores, weights, path, reasons)."""

    student_id: str
    selection_id: int | None
    item: ItemOut
    explanation: dict[str, Any]
    experiment: str | None = None
    """The running experiment the pick was served under (None: none covers the scope)."""
    arm: str | None = None
    """The student's arm in it."""


class PathSkillOut(BaseModel):
    skill_id: str
    status: str
    evidence: str
    mastery_probability: float
    proficiency: float
    rating: float
    uncertainty: float
    reason: str
    remediation_for: list[str]
    expected_questions: float


class LearningPathOut(BaseModel):
    """The path through a scope: focus, phase, expected questions, each skill's step."""

    student_id: str
    scope: dict[str, Any]
    focus: str | None
    phase: str
    expected_questions: float
    skills: list[PathSkillOut]


class ProfileOut(BaseModel):
    """The knowledge profile: subject > chapter > topic > the topic's figures."""

    student_id: str
    generated_at: Timestamp
    knowledge_profile: dict[str, Any]


class StudentSkillOut(BaseModel):
    skill_id: str
    name: str
    rating: float
    uncertainty: float
    proficiency: float
    questions_attempted: int
    correct: int
    last_practiced_at: Timestamp | None


class StudentSkillsOut(BaseModel):
    """Ability (Elo points), applied attempts, and every practised skill's figures."""

    student_id: str
    ability: float
    attempts: int
    skills: list[StudentSkillOut]


# Responses of administration, tutor chats and health.
# Each area keeps its response models together below its heading.


class DeletedRows(BaseModel):
    """Rows removed per kind, and cached profiles dropped."""

    events: int
    skill_ratings: int
    misconceptions: int
    selections: int
    experiment_assignments: int
    tutor_sessions: int
    mock_tests: int
    student: int
    cached_profiles: int


class StudentDeleted(BaseModel):
    deleted: bool
    rows: DeletedRows


class AuditEntryOut(BaseModel):
    """One audit entry: which key (by name) did what, when; `detail` holds counts and key
    ids, never personal data."""

    id: int
    at: datetime
    tenant_id: str
    key_name: str
    action: str
    detail: dict[str, Any]


class AuditLog(BaseModel):
    data: list[AuditEntryOut]


class TutorSessionStatus(BaseModel):
    """A chat's status (``pending``, ``analyzed`` or ``rejected``, with `reason`) and its
    analysis once analysed (with ``struggle_by_skill``, 0-1 per skill)."""

    session_id: str
    student_id: str
    item_id: str | None
    attempt_event_id: str | None
    status: str
    reason: str | None
    received_at: datetime
    analyzed_at: datetime | None
    analysis: dict[str, Any] | None


class MisconceptionOut(BaseModel):
    misconception_id: str
    skill_id: str
    description: str
    example_wrong_answers: list[str]


class MisconceptionList(BaseModel):
    data: list[MisconceptionOut]


class HealthOut(BaseModel):
    status: str
    database: str


# Responses of exam readiness: blueprints, readiness, mock tests.
# Each area keeps its response models together below its heading.


class ExamBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exams: list[ExamIn] = Field(min_length=1, max_length=1000)


class ExamList(BaseModel):
    """Every exam's blueprint, by date then id."""

    data: list[ExamIn]


class ChapterReadinessOut(BaseModel):
    place: str
    questions: int
    marks: float
    expected: float
    at_stake: float
    success: float
    attempt_share: float
    strategy: Literal["attempt", "selective", "skip"]
    estimated: bool


class ReadinessOut(BaseModel):
    """Expected marks on a paper drawn to the blueprint, the 80% interval ``[low, high]``,
    per chapter or topic (most marks at stake first) expected marks, marks at stake and the
    answer strategy; `break_even` per section; `method` says how it is computed."""

    student_id: str
    exam_id: str
    exam_name: str
    exam_date: str
    days_to_exam: int
    expected: float
    low: float
    high: float
    max_marks: float
    estimated_marks: float
    break_even: dict[str, float]
    chapters: list[ChapterReadinessOut]
    method: str
    papers: int


class MockTestQuestionOut(BaseModel):
    item_id: str
    section: str
    place: str
    source: str
    difficulty: float
    marks: float
    right: float
    wrong: float
    unattempted: float


class MockTestOut(BaseModel):
    """A mock paper: questions in paper order (marks of a right, wrong and left-out answer
    each), its seed and the readiness forecast at creation. Answer it through
    ``POST /v1/attempts`` with ``mode: "mock_test"`` and ``paper_id``."""

    paper_id: str
    student_id: str
    exam_id: str
    seed: int
    created_at: Timestamp
    exclude_days: float
    sections: list[str]
    max_marks: float
    questions: list[MockTestQuestionOut]
    forecast_expected: float
    forecast_low: float
    forecast_high: float


class ChapterScoreOut(BaseModel):
    place: str
    marks: float
    max_marks: float
    right: int
    wrong: int
    unattempted: int
    forecast: float | None


class MockTestReportOut(BaseModel):
    """A mock test's score (unanswered questions count as left out) per chapter or topic,
    against the forecast at creation; `complete` once every question is answered."""

    paper_id: str
    student_id: str
    exam_id: str
    complete: bool
    answered: int
    questions: int
    marks: float
    max_marks: float
    forecast_expected: float
    forecast_low: float
    forecast_high: float
    within_interval: bool
    chapters: list[ChapterScoreOut]


AttemptsAccepted.model_rebuild()  # it names `MockTestReportOut`, defined below it
