"""The production model under evaluation, through the very code path the worker runs.

Each response goes through `smartpractice.services.rating.apply_attempt` on a
`MemoryRatingStore` (the store `replay` uses), or, for a score-only response, through
`apply_graded_attempt`, the part of `apply_attempt` after the event is translated (the
translation, `graded_attempt`, runs once per distinct score); the prediction is
`AppliedAttempt.predicted`, which the core computes before it updates any rating. Nothing of
the model is re-implemented here: only the input is adapted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import GradedAttempt, ItemRatings, RatingState
from smartpractice.memory.ratings import MemoryRatingStore
from smartpractice.services.ports import ItemContext
from smartpractice.services.rating import (
    AppliedAttempt,
    apply_attempt,
    apply_graded_attempt,
    graded_attempt,
)
from smartpractice.services.schemas import StoredAttempt
from smartpractice_lab.evaluation.dataset import ItemInfo, Response
from smartpractice_lab.evaluation.protocol import OnlineModel

__all__ = ["NO_TIME", "ProductionModel", "attempt_of"]

NO_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""Event time given to every response of a data set without timestamps (so no time passes
between attempts)."""


def attempt_of(response: Response) -> StoredAttempt:
    """The attempt event for a response: the original event from the service's log, or a
    score-only attempt for public data sets (free-form ids of a customer's CSV need not
    match the API's id pattern, so it is not validated again: the reader checked the
    score)."""
    if response.attempt is not None:
        return response.attempt
    return StoredAttempt.model_construct(
        event_id="evaluate",
        student_id=response.student_id,
        item_id=response.item_id,
        score=response.score,
    )


def _occurred_at(response: Response) -> datetime:
    if response.timestamp is None:
        return NO_TIME
    return datetime.fromtimestamp(response.timestamp, UTC)


class ProductionModel(OnlineModel):
    """`smartpractice`: multi-skill Elo with uncertainty, as configured in `ModelConfig`.

    Args:
        items: The catalogue: each item's skills, and initial difficulties (Elo points) when
            the catalogue sets them; other items start at the configured unlabelled
            difficulty on every skill.
        config: The model constants (the service's `Settings().model`).
    """

    name = "smartpractice"

    def __init__(self, items: Mapping[str, ItemInfo], config: ModelConfig) -> None:
        self._config = config
        self._graded: dict[float, GradedAttempt] = {}
        self._store = MemoryRatingStore(initial_ability=config.elo.initial_student_rating)
        default = config.elo.label_difficulty(None)
        items_store = self._store.items
        for item_id, info in items.items():
            set_at = info.initial_difficulties
            # Positional: a catalogue of 17k items is 50k records.
            items_store[item_id] = ItemContext(
                item_id,
                info.expected_time_seconds,
                ItemRatings({s: RatingState(set_at.get(s, default)) for s in info.skills}),
            )

    @property
    def store(self) -> MemoryRatingStore:
        """The ratings learned so far."""
        return self._store

    def apply(self, response: Response) -> AppliedAttempt:
        """Apply `response` as the worker would: the prediction made before the update, and
        the evidence credited.

        A response from the event log goes through `apply_attempt` with its original event;
        a score-only response (public data sets) goes straight to `apply_graded_attempt`,
        the part of `apply_attempt` after the event is translated, with the
        `GradedAttempt` that translation would build (one per distinct score, reused).
        """
        if response.attempt is not None:
            return apply_attempt(
                self._store,
                response.attempt,
                occurred_at=_occurred_at(response),
                config=self._config,
            )
        graded = self._graded.get(response.score)
        if graded is None:
            graded = self._graded[response.score] = graded_attempt(attempt_of(response))
        return apply_graded_attempt(
            self._store,
            graded,
            student_id=response.student_id,
            item_id=response.item_id,
            occurred_at=NO_TIME if response.timestamp is None else _occurred_at(response),
            config=self._config,
        )

    def fit(self, train: Iterable[Response]) -> None:
        """Apply every train response in order (nothing is scored)."""
        apply = self.apply
        for response in train:
            apply(response)

    def predict_then_learn(self, response: Response) -> float:
        """`AppliedAttempt.predicted` (0-1), computed by the core before its update."""
        return self.apply(response).predicted
