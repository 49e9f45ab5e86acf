"""The ports of the use cases: what they read and write through (`RatingStore`,
`CatalogView`), the data those carry, and the errors they raise (adapters map errors to HTTP
codes or CLI messages). Storage and memory implement the ports; services depend only on
them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.records import quick_init
from smartpractice.core.types import ItemRatings, StudentRatings

__all__ = [
    "AttemptRejected",
    "CatalogView",
    "Conflict",
    "InvalidInput",
    "ItemContext",
    "ItemHistory",
    "NearestRequest",
    "NotFound",
    "RatingStore",
    "RecentAnswer",
    "Scope",
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


# Ports of the analytics the dashboard reads.
# Each area keeps its ports together below its heading, in the order the use cases
# read them.
