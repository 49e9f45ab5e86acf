"""The in-process worker of the embedded default: one thread applying pending events."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from smartpractice.adapters.similarity.analyzer import make_analyzer
from smartpractice.services.access import list_tenants
from smartpractice.services.data_protection import enforce_retention
from smartpractice.services.events import apply_pending_events
from smartpractice.services.tutoring_analysis import transcript_handling
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_data_protection import SqlDataProtectionStore
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = [
    "EmbeddedWorker",
    "drain_pending",
    "drain_tenants",
    "enforce_retention_everywhere",
    "tenant_databases",
]

log = logging.getLogger(__name__)

_ROUNDS_PER_LOOK = 20
"""Rounds of batches between two looks at the tenant list and the stop flag."""


def drain_pending(db: Database, settings: Settings) -> int:
    """Analyse pending tutor chats and apply pending events, one transaction per batch,
    until none is ready; returns how many events were applied or rejected."""
    transcripts = transcript_handling(settings, make_analyzer(settings))
    total = 0
    while True:
        with db.transaction() as session:
            applied = apply_pending_events(
                SqlEventStore(session),
                config=settings.model,
                now=datetime.now(UTC),
                limit=settings.worker_batch_size,
                transcripts=transcripts,
            )
        total += applied
        if applied == 0:
            return total


def drain_tenants(dbs: list[Database], settings: Settings, *, max_rounds: int | None = None) -> int:
    """`drain_pending` over several tenants, one batch of each in turn, until none has
    events ready (or after `max_rounds` turns): a tenant with a backlog delays another's
    events by one batch, not by its whole backlog. Returns how many events were applied
    or rejected."""
    transcripts = transcript_handling(settings, make_analyzer(settings))
    total = 0
    active = list(dbs)
    rounds = 0
    while active and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        still: list[Database] = []
        for db in active:
            with db.transaction() as session:
                applied = apply_pending_events(
                    SqlEventStore(session),
                    config=settings.model,
                    now=datetime.now(UTC),
                    limit=settings.worker_batch_size,
                    transcripts=transcripts,
                )
            total += applied
            if applied:
                still.append(db)
        active = still
    return total


def tenant_databases(root: Database) -> list[Database]:
    """The database of every tenant, the default one first."""
    with root.transaction() as session:
        tenants = list_tenants(SqlAccessStore(session))
    return [root.for_tenant(tenant_id) for tenant_id in tenants]


def enforce_retention_everywhere(root: Database, settings: Settings) -> None:
    """The retention sweep over every tenant (raw chats; old events when configured)."""
    for db in tenant_databases(root):
        with db.transaction() as session:
            done = enforce_retention(
                SqlDataProtectionStore(session),
                SqlTutoringStore(session),
                now=datetime.now(UTC),
                transcript_days=settings.transcript_retention_days,
                event_days=settings.event_retention_days,
            )
        if done.transcripts_erased or done.events_deleted:
            log.info(
                "retention sweep",
                extra={
                    "action": "retention",
                    "count": done.transcripts_erased + done.events_deleted,
                },
            )


class EmbeddedWorker:
    """A daemon thread that drains pending events when woken or every poll interval.

    One thread applies events in acceptance order, a batch of each tenant in turn, so each
    student's events are applied in the order the service accepted them and no tenant's
    backlog delays another's events by more than a batch. `db` is the default
    tenant's database, through which the others are found.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smartpractice-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        next_purge = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                # Bounded rounds, so that a stop request or a new tenant is seen soon.
                applied = drain_tenants(
                    tenant_databases(self._db), self._settings, max_rounds=_ROUNDS_PER_LOOK
                )
                if applied:
                    log.info("applied events", extra={"action": "apply", "count": applied})
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + 3600
                    enforce_retention_everywhere(self._db, self._settings)
            except Exception:
                # The events stay pending and are retried on the next round.
                log.exception("applying events failed", extra={"action": "apply_failed"})
                applied = 0
            if not applied:
                self._wake.wait(self._settings.worker_poll_seconds)
