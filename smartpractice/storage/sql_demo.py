"""What the demo's simulated classes read and write besides the production use cases:
whether the database already has students, the catalogue's item-skills, and when each
simulated event counts as applied."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartpractice.services.ports import DemoItemSkill
from smartpractice.storage.models import Event, Item, ItemSkill, Student

__all__ = ["SqlDemoStore"]


class SqlDemoStore:
    """The demo's reads and writes over a tenant's session (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def has_students(self) -> bool:
        return bool(self._session.scalar(select(func.count()).select_from(Student)))

    def item_skills(self) -> list[DemoItemSkill]:
        rows = self._session.execute(
            select(Item.topic, Item.item_id, Item.expected_time_seconds, ItemSkill.skill_id)
            .add_columns(ItemSkill.initial_difficulty)
            .join(ItemSkill, ItemSkill.item_id == Item.item_id)
            .order_by(Item.item_id, ItemSkill.skill_id)
        ).tuples()
        return [DemoItemSkill(*row) for row in rows]

    def set_apply_delays(self, delays: Mapping[str, timedelta]) -> None:
        for event in self._session.scalars(select(Event).where(Event.event_id.in_(list(delays)))):
            event.applied_at = event.received_at + delays[event.event_id]
