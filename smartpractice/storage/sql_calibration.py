"""The database's `CalibrationStore`: item-skill states, the applied attempts of the event
log, and writing calibrated difficulties."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smartpractice.services.ports import AttemptOutcome, ItemSkillState
from smartpractice.storage.models import Event, ItemSkill

__all__ = ["SqlCalibrationStore"]

_LOCK_CHUNK = 2000
"""Items per locking query (keeps every IN list below the drivers' parameter limits)."""


class SqlCalibrationStore:
    """`CalibrationStore` over a tenant's session (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def item_skill_states(
        self, item_ids: Collection[str] | None = None
    ) -> dict[tuple[str, str], ItemSkillState]:
        """Every item-skill's state, or those of `item_ids`, then locked ``FOR UPDATE``
        (PostgreSQL; SQLite ignores it) in (item, skill) order."""
        columns = (
            ItemSkill.item_id,
            ItemSkill.skill_id,
            ItemSkill.difficulty,
            ItemSkill.attempts,
            ItemSkill.initial_difficulty,
        )
        if item_ids is None:
            rows = self._session.execute(select(*columns)).tuples()
            return {(i, s): ItemSkillState(d, a, init) for i, s, d, a, init in rows}
        found: dict[tuple[str, str], ItemSkillState] = {}
        ordered = sorted(item_ids)
        for start in range(0, len(ordered), _LOCK_CHUNK):
            query = (
                select(*columns)
                .where(ItemSkill.item_id.in_(ordered[start : start + _LOCK_CHUNK]))
                .order_by(ItemSkill.item_id, ItemSkill.skill_id)
                .with_for_update()
            )
            for i, s, d, a, init in self._session.execute(query).tuples():
                found[(i, s)] = ItemSkillState(d, a, init)
        return found

    def applied_attempts(self) -> Iterator[AttemptOutcome]:
        query = (
            select(Event.student_id, Event.item_id, Event.outcome, Event.performance)
            .where(Event.status == "applied", Event.kind == "attempt")
            .execution_options(yield_per=5000)
        )
        for student_id, item_id, outcome, performance in self._session.execute(query).tuples():
            yield AttemptOutcome(
                student_id=student_id,
                item_id=item_id,
                skills=(outcome or {}).get("skills") or {},
                performance=performance,
            )

    def set_difficulties(self, difficulties: Mapping[tuple[str, str], float]) -> None:
        if difficulties:
            self._session.execute(
                update(ItemSkill),
                [
                    {"item_id": item_id, "skill_id": skill_id, "difficulty": value}
                    for (item_id, skill_id), value in difficulties.items()
                ],
            )
