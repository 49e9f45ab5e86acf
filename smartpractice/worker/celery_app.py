"""Celery adapter for scale-out: the broker only carries "partition p has work".

The event log in the database is the queue of record. A message names partitions; the
task takes up to `worker_partitions_per_task` of them (the advisory locks of those no
other worker holds) and sends the rest on at once, so that a message naming every
partition (one batch POST) is shared by all workers instead of drained by the first. It
applies its partitions' pending events in acceptance order, a batch per transaction, for
up to `worker_batches_per_task` batches, and sends them back to the queue if work is
left, so that no partition waits behind a busy one; partitions held elsewhere are sent
again shortly. Late acknowledgement means a worker killed mid-batch leaves its message
to be redelivered, and its uncommitted batch pending; a periodic sweep re-sends
partitions whose events wait too long (a lost message, a broker outage), so no accepted
event is ever stranded. Applying is idempotent on the event id: only pending events are
applied, in the transaction that marks them applied.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from smartpractice.config import Settings
from smartpractice.services.events import (
    apply_pending_events,
    lock_partitions,
    pending_partitions,
)
from smartpractice.services.tutor_analysis import transcript_handling
from smartpractice.storage.db import DEFAULT_TENANT, Database
from smartpractice.worker.embedded import enforce_retention_everywhere, tenant_databases

__all__ = ["APPLY_TASK", "SWEEP_TASK", "make_celery", "send_partitions"]

log = logging.getLogger(__name__)

APPLY_TASK = "smartpractice.apply_partitions"
SWEEP_TASK = "smartpractice.sweep_pending"


def make_celery(
    settings: Settings, *, with_tasks: bool = True, database: Database | None = None
) -> Celery:
    """A Celery app on `settings.broker_url` (Redis or RabbitMQ); `with_tasks` registers
    the worker side (the API only sends messages by name), on `database` when given (its
    owner disposes of it), else on one opened from `settings.database_url`."""
    app = Celery("smartpractice", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.celery_queue,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        # Unacknowledged messages of a killed worker come back after this long (Redis).
        broker_transport_options={"visibility_timeout": 60},
        beat_schedule={
            "sweep-pending": {"task": SWEEP_TASK, "schedule": settings.sweep_seconds},
        },
        beat_schedule_filename=f"{tempfile.gettempdir()}/smartpractice-beat-schedule",
    )
    if with_tasks:
        _register_tasks(app, settings, database or Database(settings.database_url))
    return app


def _register_tasks(app: Celery, settings: Settings, root: Database) -> None:
    transcripts = transcript_handling(settings)

    @worker_process_init.connect  # type: ignore[untyped-decorator]
    def _fresh_pool(**_: Any) -> None:
        # A forked worker must not reuse connections opened by its parent.
        root.engine.dispose(close=False)

    @app.task(name=APPLY_TASK, shared=False)  # type: ignore[untyped-decorator]
    def apply_partitions(partitions: list[int], tenant_id: str = DEFAULT_TENANT) -> int:
        db = root.for_tenant(tenant_id)
        total = 0
        # Shuffled, so that workers handed the same partitions try different ones first.
        wanted = random.sample(sorted(set(partitions)), len(set(partitions)))
        candidates, left = (
            wanted[: settings.worker_partitions_per_task],
            wanted[settings.worker_partitions_per_task :],
        )
        held = candidates
        for round_number in range(settings.worker_batches_per_task):
            with db.transaction() as session:
                held = lock_partitions(session, held)
                applied = apply_pending_events(
                    session,
                    config=settings.model,
                    now=datetime.now(UTC),
                    limit=settings.worker_batch_size,
                    partitions=held,
                    transcripts=transcripts,
                )
            total += applied
            if round_number == 0:
                if left:
                    # Another worker's share, sent on at once.
                    app.send_task(APPLY_TASK, args=[sorted(left), tenant_id])
                busy = sorted(set(candidates) - set(held))
                if busy:
                    # Another worker holds these; it may have looked for work just before
                    # our events were committed, so look again shortly rather than trust it.
                    app.send_task(APPLY_TASK, args=[busy, tenant_id], countdown=0.2)
            if applied == 0:
                # Not `applied < batch size`: a batch may leave events of items another
                # worker held for the next one.
                break
        else:
            # Still busy after its turns: back in the queue, behind the partitions waiting.
            app.send_task(APPLY_TASK, args=[sorted(held), tenant_id])
        if total:
            log.info("applied events", extra={"action": "apply", "count": total})
        return total

    next_retention = 0.0

    @app.task(name=SWEEP_TASK, shared=False)  # type: ignore[untyped-decorator]
    def sweep_pending() -> int:
        nonlocal next_retention
        cutoff = datetime.now(UTC) - timedelta(seconds=settings.sweep_min_age_seconds)
        sent = 0
        for db in tenant_databases(root):
            with db.transaction() as session:
                partitions = pending_partitions(session, older_than=cutoff)
            if partitions:
                app.send_task(APPLY_TASK, args=[partitions, db.tenant_id])
                sent += len(partitions)
        if sent:
            log.info("re-sent pending partitions", extra={"action": "sweep", "count": sent})
        if time.monotonic() >= next_retention:
            next_retention = time.monotonic() + 3600
            enforce_retention_everywhere(root, settings)
        return sent


def send_partitions(
    app: Celery, partitions: Iterable[int], *, tenant_id: str = DEFAULT_TENANT
) -> bool:
    """Tell the workers which partitions have new events, in one message. Never raises: when
    the broker is down the events are safe in the database and the sweep sends them later."""
    try:
        app.send_task(
            APPLY_TASK,
            args=[sorted(partitions), tenant_id],
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
        return True
    except Exception:
        log.warning(
            "broker unavailable; the sweep will send these", extra={"action": "send_failed"}
        )
        return False
