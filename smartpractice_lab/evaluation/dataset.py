"""What `evaluate` replays: responses in answer order, the item catalogue, a user split.

Every reader (folder TSV, generic CSV, the service's event log) produces the same plain
records, so the replay protocol and the models never see where the data came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from smartpractice.core.records import quick_init
from smartpractice.services.schemas import StoredAttempt

__all__ = [
    "DatasetError",
    "ItemInfo",
    "ReplayData",
    "Response",
    "parse_split",
    "split_users",
]


class DatasetError(ValueError):
    """Bad evaluation input, located by file, row (1 = header line) and column.

    Args:
        source: The file (or database) the input came from.
        message: What is wrong.
        row: Line number in the file (the header is row 1), if it is about one row.
        column: Column name, if it is about one column.
    """

    def __init__(
        self, source: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        where = source
        if row is not None:
            where += f" row {row}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.row = row
        self.column = column


@quick_init
@dataclass(frozen=True, slots=True)
class Response:
    """One student's answer to one item.

    Attributes:
        student_id: Who answered.
        item_id: Which item.
        skills: The item's skills (at least one); a multi-skill item is still one response.
        score: Outcome, 0-1 (0/1 for right/wrong, fractions for partial credit).
        timestamp: Seconds since the Unix epoch, or None when the source has no time.
        attempt: The original service event (from the event log) with its hints, attempts,
            time and confidence; None for public data sets, which carry only the score.
    """

    student_id: str
    item_id: str
    skills: tuple[str, ...]
    score: float
    timestamp: float | None = None
    attempt: StoredAttempt | None = None

    @property
    def correct(self) -> bool:
        """Whether the response counts as a success (score >= 0.5)."""
        return self.score >= 0.5


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """What the catalogue says about an item before anyone answers it.

    Attributes:
        skills: The skills the item tests.
        initial_difficulties: Initial Elo difficulty per skill (Elo points) when the catalogue
            sets one (the service's items); empty to use the model's unlabelled default.
        expected_time_seconds: Expected time on the item, if known.
    """

    skills: tuple[str, ...]
    initial_difficulties: Mapping[str, float] = field(default_factory=dict)
    expected_time_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ReplayData:
    """Train and test responses, each in replay (answer) order, plus the item catalogue.

    Attributes:
        source: Where the data came from (for messages).
        train: Responses of the train users; models learn from them, nothing is scored.
        test: Responses of the test users (disjoint from train), predicted one by one.
        items: Every item either side answers, with its skills.
    """

    source: str
    train: Sequence[Response]
    test: Sequence[Response]
    items: Mapping[str, ItemInfo]


def parse_split(text: str) -> float:
    """The test fraction (0-1, exclusive) of a ``users:FRACTION`` split such as ``users:0.2``.

    Raises:
        ValueError: the text is not of that form.
    """
    kind, _, value = text.partition(":")
    try:
        fraction = float(value)
    except ValueError:
        fraction = -1.0
    if kind != "users" or not 0.0 < fraction < 1.0:
        raise ValueError(
            f"--split must look like users:0.2 (a test fraction in (0, 1)), not {text!r}"
        )
    return fraction


def split_users(
    responses: Sequence[Response], *, test_fraction: float, seed: int
) -> tuple[list[Response], list[Response]]:
    """A user-disjoint split: a random `test_fraction` (0-1) of the students become test users.

    The order of responses is kept on both sides. The same responses, fraction and seed
    always give the same split.

    Returns:
        The train responses and the test responses.
    """
    students = sorted({r.student_id for r in responses})
    rng = np.random.default_rng(seed)
    shuffled = [students[i] for i in rng.permutation(len(students))]
    test_count = max(1, round(test_fraction * len(students))) if students else 0
    test_students = set(shuffled[:test_count])
    train = [r for r in responses if r.student_id not in test_students]
    test = [r for r in responses if r.student_id in test_students]
    return train, test
