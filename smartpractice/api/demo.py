"""The demo's wiring: each round of simulated students runs the production use cases in
one database transaction (`services.demo_students` decides what they do)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from smartpractice.services.demo_students import DemoRound
from smartpractice.services.events import accept_attempts, apply_pending_events
from smartpractice.services.ports import DemoItemSkill, Scope
from smartpractice.services.practice import next_question
from smartpractice.services.sample_bank import load_sample_bank, load_sample_exams
from smartpractice.services.schemas import AttemptIn
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_catalog import ScopeSkillsCache, SqlCatalogStore
from smartpractice.storage.sql_demo import SqlDemoStore
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.storage.sql_exams import SqlExamStore
from smartpractice.storage.sql_practice import SqlPickLog

__all__ = ["demo_rounds"]


class _DatabaseRound:
    """`DemoRound` inside one transaction of `session`."""

    def __init__(self, session: Session, settings: Settings, cache: ScopeSkillsCache) -> None:
        self._session = session
        self._settings = settings
        self._cache = cache
        self._store = SqlDemoStore(session)

    def load_sample_bank(self) -> bool:
        loaded = load_sample_bank(SqlCatalogStore(self._session), elo=self._settings.model.elo)
        if loaded:
            self._session.flush()
            load_sample_exams(SqlExamStore(self._session))
        return loaded

    def has_students(self) -> bool:
        return self._store.has_students()

    def item_skills(self) -> list[DemoItemSkill]:
        return self._store.item_skills()

    def next_item(self, student_id: str, scope: Scope, *, now: datetime, seed: int) -> str:
        picked = next_question(
            SqlPickLog(self._session, self._cache),
            student_id,
            scope,
            config=self._settings.model,
            now=now,
            seed=seed,
        )
        return picked.item.item_id

    def accept(self, attempt: AttemptIn, *, now: datetime) -> None:
        accept_attempts(
            SqlEventStore(self._session), [attempt], now=now, partitions=self._settings.partitions
        )

    def apply_pending(self, *, now: datetime, limit: int) -> None:
        apply_pending_events(
            SqlEventStore(self._session), config=self._settings.model, now=now, limit=limit
        )

    def set_apply_delays(self, delays: Mapping[str, timedelta]) -> None:
        self._store.set_apply_delays(delays)


def demo_rounds(
    db: Database, settings: Settings
) -> Callable[[], AbstractContextManager[DemoRound]]:
    """Open demo rounds on `db`, one transaction each, sharing one scope cache."""
    cache = ScopeSkillsCache(settings.scope_cache_seconds)

    @contextmanager
    def open_round() -> Iterator[DemoRound]:
        with db.transaction() as session:
            yield _DatabaseRound(session, settings, cache)

    return open_round
