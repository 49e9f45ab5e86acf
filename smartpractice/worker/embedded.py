"""The in-process worker of the embedded default: one thread applying pending events."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from smartpractice.config import Settings
from smartpractice.services.events import apply_pending_events
from smartpractice.services.tutor import forget_expired_transcripts
from smartpractice.services.tutor_analysis import transcript_handling
from smartpractice.storage.db import Database

__all__ = ["EmbeddedWorker", "drain_pending"]

log = logging.getLogger(__name__)


def drain_pending(db: Database, settings: Settings) -> int:
    """Analyse pending tutor chats and apply pending events, one transaction per batch,
    until none is ready; returns how many events were applied or rejected."""
    transcripts = transcript_handling(settings)
    total = 0
    while True:
        with db.transaction() as session:
            applied = apply_pending_events(
                session,
                config=settings.model,
                now=datetime.now(UTC),
                limit=settings.worker_batch_size,
                transcripts=transcripts,
            )
        total += applied
        if applied == 0:
            return total


class EmbeddedWorker:
    """A daemon thread that drains pending events when woken or every poll interval.

    One thread applies events in acceptance order, so each student's events are applied in
    the order the service accepted them.
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

    def _purge_old_transcripts(self) -> None:
        days = self._settings.transcript_retention_days
        with self._db.transaction() as session:
            forget_expired_transcripts(session, older_than=datetime.now(UTC) - timedelta(days=days))

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        next_purge = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                applied = drain_pending(self._db, self._settings)
                if applied:
                    log.info("applied events", extra={"action": "apply", "count": applied})
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + 3600
                    self._purge_old_transcripts()
            except Exception:
                # The events stay pending and are retried on the next round.
                log.exception("applying events failed", extra={"action": "apply_failed"})
            self._wake.wait(self._settings.worker_poll_seconds)
