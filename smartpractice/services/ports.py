"""The ports of the use cases: what they read and write through (`RatingStore`,
`CatalogView`), the data those carry, and the errors they raise (adapters map errors to HTTP
codes or CLI messages). Storage and memory implement the ports; services depend only on
them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smartpractice.core.practice.profile import AttemptRecord, TopicKey
from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.records import quick_init
from smartpractice.core.types import ItemRatings, StudentRatings

__all__ = [
    "AttemptRejected",
    "CatalogStore",
    "CatalogView",
    "Conflict",
    "InvalidInput",
    "ItemContent",
    "ItemContext",
    "ItemFilter",
    "ItemHistory",
    "ItemRecord",
    "ItemSkillRecord",
    "NearestRequest",
    "NotFound",
    "PickLog",
    "RatingStore",
    "RecentAnswer",
    "Scope",
    "SkillRecord",
    "StudentStore",
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
    ) -> tuple[int, ItemRecord]:
        """Log a pick; its id and the item picked.

        Raises:
            NotFound: no such item.
        """
        ...


# Ports of tenants, keys, audit, data protection, tutor chats and calibration.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.


# Ports of the analytics the dashboard reads.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.
