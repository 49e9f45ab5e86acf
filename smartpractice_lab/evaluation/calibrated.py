"""`smartpractice_calibrated`: the production model with item difficulties seeded by
`calibrate` after the train users, as a deployment would run it.

The train users are replayed through `apply_attempt` exactly as for `smartpractice`, their
per-skill evidence is collected as the event log records it, and then the very
calibration `smartpractice calibrate` runs (`smartpractice.services.calibration`) refits
every item-skill and seeds those with fewer than `min_attempts` applied attempts. Test
users then arrive as new students, the online model learning from them as usual. Only the
train users inform the calibration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.calibration import CalibrationPriors
from smartpractice.services.calibration import (
    DEFAULT_MIN_ATTEMPTS,
    CalibrationData,
    ItemSkillState,
    plan_changes,
)
from smartpractice_lab.evaluation.dataset import ItemInfo, Response
from smartpractice_lab.evaluation.production import ProductionModel

__all__ = ["CalibratedProductionModel"]


class CalibratedProductionModel(ProductionModel):
    """The production model, calibrated on the train users before the test users arrive.

    Args:
        items: The catalogue, as for `ProductionModel`; its initial difficulties are the
            calibration's prior centres (Elo points).
        config: The model constants.
        min_attempts: Item-skills with fewer applied train attempts take the calibrated
            difficulty.
        refit_all: Every calibrated item-skill takes it, well-measured ones too.
        priors: Prior strengths of the fit; the defaults when None.
        skill_shifts: Centre each prior on the label plus a fitted shift of its skill.
    """

    name = "smartpractice_calibrated"

    def __init__(
        self,
        items: Mapping[str, ItemInfo],
        config: ModelConfig,
        *,
        min_attempts: int = DEFAULT_MIN_ATTEMPTS,
        refit_all: bool = False,
        priors: CalibrationPriors | None = None,
        skill_shifts: bool = True,
    ) -> None:
        super().__init__(items, config)
        self._min_attempts = min_attempts
        self._refit_all = refit_all
        self._priors = priors or CalibrationPriors()
        self._skill_shifts = skill_shifts
        self.seeded = 0
        """Item-skills that took their calibrated difficulty after the train users."""
        self._labels = {
            (item_id, skill): state.value
            for item_id, context in self.store.items.items()
            for skill, state in context.ratings.difficulties.items()
        }

    def fit(self, train: Iterable[Response]) -> None:
        """Replay the train users online, then calibrate and seed the rarely seen items."""
        data = CalibrationData()
        for response in train:
            applied = self.apply(response)
            data.add(
                response.student_id,
                response.item_id,
                {s: (e.performance, e.weight) for s, e in applied.evidence.items()},
            )
        fitted = data.fit(
            self._labels,
            elo=self._config.elo,
            priors=self._priors,
            skill_shifts=self._skill_shifts,
        )
        store = self.store
        current = {
            (item_id, skill): ItemSkillState(
                state.value, state.attempts, self._labels[(item_id, skill)]
            )
            for item_id, context in store.items.items()
            for skill, state in context.ratings.difficulties.items()
        }
        changes = plan_changes(
            fitted.values, current, min_attempts=self._min_attempts, refit_all=self._refit_all
        )
        for change in changes:
            context = store.items[change.item_id]
            difficulties = dict(context.ratings.difficulties)
            difficulties[change.skill_id] = replace(
                difficulties[change.skill_id], value=change.after
            )
            store.items[change.item_id] = replace(
                context, ratings=replace(context.ratings, difficulties=difficulties)
            )
        self.seeded = len(changes)
