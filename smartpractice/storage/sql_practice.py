"""The database's `PickLog`: Smart Practice's picks logged beside the catalogue they read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, String, Table, bindparam, insert, select, text
from sqlalchemy.orm import Session

from smartpractice.services.ports import CatalogView, ItemRecord, NotFound
from smartpractice.storage.models import SelectionLog, UTCDateTime
from smartpractice.storage.sql_catalog import (
    ITEM_COLUMNS,
    ScopeSkillsCache,
    SqlCatalogStore,
    SqlCatalogView,
    item_records,
)

__all__ = ["SqlPickLog"]


class SqlPickLog:
    """`PickLog` on a session (the caller owns the transaction), with the catalogue's
    slow-moving facts kept in `cache` across picks."""

    def __init__(self, session: Session, cache: ScopeSkillsCache | None = None) -> None:
        self.session = session
        self.cache = cache

    def view(self, student_id: str, *, recent_window: int) -> CatalogView:
        return SqlCatalogView(
            self.session, self.cache, student_id=student_id, recent_window=recent_window
        )

    def last_explanation(self, student_id: str) -> object:
        return self.session.scalars(
            select(SelectionLog.explanation)
            .where(SelectionLog.student_id == student_id)
            .order_by(SelectionLog.id.desc())
            .limit(1)
        ).first()

    def log_pick(
        self,
        *,
        student_id: str,
        item_id: str,
        scope: Mapping[str, Any],
        explanation: Mapping[str, Any],
        at: datetime,
        experiment_id: str | None = None,
        arm: str | None = None,
    ) -> tuple[int, ItemRecord]:
        logged = {
            "student_id": student_id,
            "item_id": item_id,
            "scope": scope,
            "explanation": explanation,
            "created_at": at,
            "experiment_id": experiment_id,
            "arm": arm,
        }
        session = self.session
        if session.get_bind().dialect.name == "postgresql":
            # One round trip logs the pick and reads the item.
            rows = session.execute(_LOG_AND_READ_ITEM, logged).all()
            if not rows:
                raise NotFound(f"item {item_id!r}")
            return int(rows[0][0]), item_records([row[1:] for row in rows])[0]
        selections = cast(Table, SelectionLog.__table__)
        selection_id = session.execute(
            insert(selections).returning(selections.c.id), logged
        ).scalar_one()
        item = SqlCatalogStore(session).item(item_id)
        if item is None:
            raise NotFound(f"item {item_id!r}")
        return int(selection_id), item


_LOG_AND_READ_ITEM = text(
    # PostgreSQL: log the pick and read its item in one statement. The pick is analytics,
    # not state, so this transaction commits without waiting for the WAL flush: a crash can
    # lose the last instants of the selection log, never an event or a rating.
    "WITH asynchronous_commit AS ("
    " SELECT set_config('synchronous_commit', 'off', true) AS setting"
    "), logged AS ("
    " INSERT INTO selections"
    " (student_id, item_id, scope, explanation, created_at, experiment_id, arm)"
    " SELECT :student_id, :item_id, CAST(:scope AS JSON), CAST(:explanation AS JSON),"
    " :created_at, :experiment_id, :arm FROM asynchronous_commit RETURNING id"
    ") SELECT logged.id, "
    + ", ".join(f"i.{name}" for name in ITEM_COLUMNS)
    + ", i.correct, s.skill_id, s.difficulty, s.initial_difficulty, s.attempts, s.correct"
    " FROM logged CROSS JOIN items i LEFT JOIN item_skills s ON s.item_id = i.item_id"
    " WHERE i.item_id = :item_id ORDER BY s.skill_id"
).bindparams(
    bindparam("scope", type_=JSON()),
    bindparam("explanation", type_=JSON()),
    bindparam("created_at", type_=UTCDateTime()),
    bindparam("experiment_id", type_=String()),
    bindparam("arm", type_=String()),
)
