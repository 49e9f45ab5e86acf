"""Validated input records shared by the HTTP API, the CLI importer and the Python client.

Field names are the contract with the customer's backend (MISSION "Interfaces").
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
)

__all__ = [
    "JSON_BODY",
    "STORED_ATTEMPT_FORMAT",
    "AttemptIn",
    "ExamIn",
    "ItemIn",
    "MarkingIn",
    "MisconceptionIn",
    "SectionIn",
    "SkillIn",
    "StoredAttempt",
    "TutorMessageIn",
    "TutorSessionIn",
    "WeightIn",
    "content_hash",
    "dumped_content_hash",
    "stored_attempt_json",
]


def _not_a_path_step(value: str) -> str:
    # Clients and proxies normalise "/v1/students/../skills" away: such an id could be
    # stored but never read back.
    if value in {".", ".."}:
        raise ValueError("must not be '.' or '..' (URLs cannot name them)")
    return value


JSON_BODY = {"json_body": True}
"""Validation context of a record that arrived as JSON (an API body): its numbers must be
JSON numbers. Without it (a CSV row, whose every cell is text) numbers may be text."""


def _number(value: Any, info: ValidationInfo) -> Any:
    # JSON has a number type: true or "0.5" in a JSON body is a client bug, not a number
    # to coerce. A boolean is never a number.
    if isinstance(value, bool) or (
        isinstance(value, str | bytes) and (info.context or {}).get("json_body")
    ):
        raise ValueError("must be a JSON number, not a boolean or a string")
    return value


Identifier = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^\s/?#]+$"),
    AfterValidator(_not_a_path_step),
]
Number = Annotated[float, BeforeValidator(_number)]
"""A float that only a JSON number (or a Python int or float) can give."""
WholeNumber = Annotated[int, BeforeValidator(_number)]
"""An int that only a JSON number (or a Python int or integral float) can give."""
SKILL_ID_PATTERN = re.compile(r"^[a-z0-9_]+(:[a-z0-9_]+)*$")


class _Strict(BaseModel):
    # NaN and Infinity (which Python's json module writes and reads by default) are
    # refused: no field means them, and they would poison every sum they enter.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
        if _has_nul(value):
            raise ValueError("must not contain NUL (U+0000) characters")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class SkillIn(_Strict):
    """A skill: hierarchical id such as ``math:calculus:derivatives:chain_rule``."""

    skill_id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=5000)] = ""
    prerequisites: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("skill_id")
    @classmethod
    def _hierarchical(cls, value: str) -> str:
        if not SKILL_ID_PATTERN.match(value):
            raise ValueError("must be lowercase words of [a-z0-9_] joined by ':'")
        return value

    @field_validator("prerequisites")
    @classmethod
    def _no_self(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a prerequisite twice")
        return value


class ItemIn(_Strict):
    """A question with its skills (skill id -> initial difficulty in Elo points, or null to
    derive it from the difficulty label)."""

    item_id: Identifier
    source: Annotated[str, Field(min_length=1, max_length=50)]
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    chapter: Annotated[str, Field(min_length=1, max_length=200)]
    topic: Annotated[str, Field(min_length=1, max_length=200)]
    grade: Annotated[WholeNumber, Field(ge=1, le=12)] | None = None
    difficulty_label: Literal["Easy", "Medium", "Hard"] | None = None
    expected_time_seconds: Annotated[Number, Field(gt=0, le=86400)] | None = None
    marks: Annotated[Number, Field(ge=0, le=1000)] | None = None
    text: Annotated[str, Field(max_length=20000)] | None = None
    skills: dict[str, Annotated[Number, Field(ge=0, le=3000)] | None]
    exam: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")] | None = None
    """For a previous-year question, the key of the exam it was set in (``jee``, ``neet``,
    ``cbse``): exam practice and mock tests for that exam prefer it."""

    @field_validator("skills")
    @classmethod
    def _has_skills(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        if not value:
            raise ValueError("an item must test at least one skill")
        if len(value) > 20:
            raise ValueError("an item may test at most 20 skills")
        return value


STORED_ATTEMPT_FORMAT = 3
"""Format of the attempt events written now. 1: the JSON of an accepted `AttemptIn`,
without a ``format`` key (events stored before the record had a version); 2: the same
fields with ``format``; 3: may also hold ``paper_id`` (an answer to a mock test), present
only when set, so that an attempt without it keeps the content hash it always had."""


class StoredAttempt(BaseModel):
    """A graded attempt as the event log holds it, separate from the HTTP input `AttemptIn`.

    Stored events are read back with this type, whose rules are those every stored event
    already met, so that stricter input rules never make an accepted event unreadable.
    Every format reads: fields added later get defaults, unknown ones are ignored, and an
    event without ``format`` is one of format 1.
    """

    model_config = ConfigDict(extra="ignore")

    format: Annotated[int, Field(ge=1)] = 1
    event_id: str
    student_id: str
    item_id: str
    score: Annotated[float, Field(ge=0, le=1)]
    occurred_at: datetime | None = None
    skill_scores: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    attempts: Annotated[int, Field(ge=1)] = 1
    time_spent_seconds: Annotated[float, Field(ge=0)] | None = None
    hints_used: Annotated[int, Field(ge=0)] = 0
    solution_viewed: bool = False
    confidence: Annotated[int, Field(ge=1, le=5)] | None = None
    mode: str | None = None
    tutor_session_id: str | None = None
    paper_id: str | None = None

    @model_serializer(mode="wrap")
    def _without_unset_paper(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset_paper(handler(self))


def _without_unset_paper(dumped: dict[str, Any]) -> dict[str, Any]:
    """`dumped` without ``paper_id`` when it is None: an attempt that answers no mock test
    dumps exactly as before the field existed, so its content hash (duplicate or conflict)
    does not change between releases."""
    if dumped.get("paper_id") is None:
        dumped.pop("paper_id", None)
    return dumped


class AttemptIn(_Strict):
    """One graded attempt. Only event_id, student_id, item_id and score are required."""

    model_config = _Strict.model_config

    event_id: Identifier
    student_id: Identifier
    item_id: Identifier
    score: Annotated[Number, Field(ge=0, le=1)]
    occurred_at: datetime | None = None
    skill_scores: dict[str, Annotated[Number, Field(ge=0, le=1)]] = Field(
        default_factory=dict, max_length=20
    )
    attempts: Annotated[WholeNumber, Field(ge=1, le=100)] = 1
    time_spent_seconds: Annotated[Number, Field(ge=0, le=86400)] | None = None
    hints_used: Annotated[WholeNumber, Field(ge=0, le=100)] = 0
    solution_viewed: Annotated[bool, Field(strict=True)] = False
    confidence: Annotated[WholeNumber, Field(ge=1, le=5)] | None = None
    mode: Annotated[str, Field(max_length=50)] | None = None
    tutor_session_id: Identifier | None = None
    """A tutor chat about this attempt is on its way: the attempt waits for its analysis
    (up to `transcript_wait_seconds`) so the per-skill credit can use it."""
    paper_id: Identifier | None = None
    """The mock test this attempt answers (with ``mode: "mock_test"``)."""

    @model_serializer(mode="wrap")
    def _without_unset_paper(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset_paper(handler(self))

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    def stored(self) -> StoredAttempt:
        """This attempt as the event log holds it (the current format)."""
        return StoredAttempt.model_validate(stored_attempt_json(self.model_dump(mode="json")))


def stored_attempt_json(dumped: dict[str, Any]) -> dict[str, Any]:
    """The event-log JSON (a `StoredAttempt` of format `STORED_ATTEMPT_FORMAT`) of an
    attempt already dumped with ``AttemptIn.model_dump(mode="json")``: the same keys, and
    ``format``."""
    return {"format": STORED_ATTEMPT_FORMAT, **dumped}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must include a timezone, e.g. 2026-11-25T10:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01 with a positive offset is before year 1 in UTC: no datetime holds it.
        raise ValueError("is out of range once converted to UTC") from None


class TutorMessageIn(_Strict):
    """One message of an AI-tutor chat."""

    role: Literal["student", "tutor"]
    content: Annotated[str, Field(min_length=1, max_length=20000)]
    sent_at: datetime | None = None

    @field_validator("sent_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class TutorSessionIn(_Strict):
    """An AI-tutor chat, optionally about one item and linked to one attempt."""

    session_id: Identifier
    student_id: Identifier
    item_id: Identifier | None = None
    attempt_event_id: Identifier | None = None
    messages: list[TutorMessageIn] = Field(min_length=1, max_length=500)


class MisconceptionIn(_Strict):
    """A known misconception of one skill."""

    misconception_id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.:-]+$")]
    skill_id: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    example_wrong_answers: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )


def content_hash(record: BaseModel) -> str:
    """SHA-256 of a record's canonical JSON: equal content, equal hash."""
    return dumped_content_hash(record.model_dump(mode="json"))


def dumped_content_hash(dumped: dict[str, Any]) -> str:
    """`content_hash` of a record already dumped with ``model_dump(mode="json")``. The
    canonical form (stdlib json, sorted keys, no spaces) must never change: stored hashes
    decide whether a re-sent event is a duplicate or a conflict."""
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class MarkingIn(_Strict):
    """Marks for one question worth `correct` marks, by outcome (scaled to questions worth
    more or less): JEE and NEET ``+4 / -1 / 0``, a board paper ``+1 / 0 / 0``."""

    correct: Annotated[Number, Field(gt=0, le=1000)] = 4.0
    wrong: Annotated[Number, Field(ge=-1000, le=0)] = -1.0
    unattempted: Annotated[Number, Field(ge=-1000, le=1000)] = 0.0


class WeightIn(_Strict):
    """What one chapter or topic (`place`: its name as items carry it) carries in a
    section: questions and total marks."""

    place: Annotated[str, Field(min_length=1, max_length=200)]
    questions: Annotated[WholeNumber, Field(ge=1, le=1000)]
    marks: Annotated[Number, Field(gt=0, le=10000)]


class SectionIn(_Strict):
    """A section of the paper: its marking scheme and its chapters' or topics' weights."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    marking: MarkingIn = Field(default_factory=MarkingIn)
    weights: list[WeightIn] = Field(min_length=1, max_length=500)


class ExamIn(_Strict):
    """An exam's blueprint: its date, duration, sections and per chapter or topic the
    questions and marks it carries, and which item sources are exam-like (most first)."""

    exam_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=300)]
    exam: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")]
    """The exam's key as previous-year questions carry it (items' ``exam``)."""
    exam_date: date
    duration_minutes: Annotated[Number, Field(gt=0, le=1440)]
    total_questions: Annotated[WholeNumber, Field(ge=1, le=10000)]
    total_marks: Annotated[Number, Field(gt=0, le=100000)]
    sections: list[SectionIn] = Field(min_length=1, max_length=50)
    exam_like_sources: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: ["pyq"], max_length=20
    )
    note: Annotated[str, Field(max_length=2000)] = ""
    """Free text shown with the blueprint (for instance that its numbers are invented)."""
