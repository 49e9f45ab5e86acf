"""Celery adapter for scale-out: the broker only carries "partition p has work".

The event log in the database is the queue of record. The API sends one message per
share of the partitions that got new events (`worker_partitions_per_task` each), so
several workers start on one batch POST at once. A task takes the advisory locks of its
partitions that no other worker holds and applies their pending events in acceptance
order, a batch per transaction, for up to `worker_batches_per_task` batches, then sends
them back to the queue if work is left, so that no partition waits behind a busy one;
partitions held elsewhere are sent again shortly. Late acknowledgement means a worker
killed mid-batch leaves its message to be redelivered, and its uncommitted batch
pending; a periodic sweep re-sends partitions whose events wait too long (a lost
message, a broker outage), so no accepted event is ever stranded. Applying is idempotent
on the event id: only pending events are applied, in the transaction that marks them
applied.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu.entity import Exchange, Queue

from smartpractice.adapters.similarity.analyzer import make_analyzer
from smartpractice.services.events import (
    apply_pending_events,
    lock_partitions,
    pending_partitions,
)
from smartpractice.services.tutoring_analysis import transcript_handling
from smartpractice.settings import Settings
from smartpractice.storage.db import DEFAULT_TENANT, Database
from smartpractice.storage.sql_events import SqlEventStore
from smartpractice.worker.embedded import enforce_retention_everywhere, tenant_databases

__all__ = [
    "APPLY_TASK",
    "SWEEP_TASK",
    "PartitionNotifier",
    "delete_queue",
    "make_celery",
    "send_partitions",
    "tenant_queue",
    "worker_queues",
]

log = logging.getLogger(__name__)

APPLY_TASK = "smartpractice.apply_partitions"
SWEEP_TASK = "smartpractice.sweep_pending"

# How soon partitions found held by another worker are looked at again (seconds).
_BUSY_RETRY_SECONDS = 0.05


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
        broker_transport_options=_transport_options(settings.broker_url, sender=not with_tasks),
        beat_schedule={
            "sweep-pending": {"task": SWEEP_TASK, "schedule": settings.sweep_seconds},
        },
        # The schedule lives in memory: the sweep is idempotent and runs every few seconds,
        # so nothing is worth a schedule file (which in a shared temporary folder another
        # user could plant or read).
        beat_scheduler="celery.beat:Scheduler",
    )
    if with_tasks:
        _register_tasks(app, settings, database or Database(settings.database_url))
    return app


def tenant_queue(settings: Settings, tenant_id: str) -> str:
    """The broker queue of `tenant_id`'s messages. Tenants are spread over
    `settings.tenant_queues` queues (the default tenant's is `settings.celery_queue`),
    which every worker reads in turn, so one tenant's backlog of messages does not stand
    in front of another tenant's."""
    shards = settings.tenant_queues
    shard = 0 if tenant_id == DEFAULT_TENANT else zlib.crc32(tenant_id.encode()) % shards
    return settings.celery_queue if shard == 0 else f"{settings.celery_queue}.{shard}"


def worker_queues(settings: Settings) -> list[str]:
    """Every queue a worker reads (`tenant_queue` of every tenant)."""
    base = settings.celery_queue
    return [base] + [f"{base}.{shard}" for shard in range(1, settings.tenant_queues)]


def _transport_options(broker_url: str, *, sender: bool) -> dict[str, Any]:
    # Unacknowledged messages of a killed worker come back after this long (Redis).
    options: dict[str, Any] = {"visibility_timeout": 60}
    if sender and broker_url.startswith(("redis", "rediss")):
        # A hung Redis accepts connections and never answers: the API's sender gives up
        # after this long (the sweep sends what it dropped). Workers keep waiting instead:
        # they have nothing to do without the broker, and Celery's consumer does not
        # always resume after its connection times out.
        options.update(socket_timeout=5, socket_connect_timeout=2)
    return options


def _register_tasks(app: Celery, settings: Settings, root: Database) -> None:
    transcripts = transcript_handling(settings, make_analyzer(settings))

    @worker_process_init.connect  # type: ignore[untyped-decorator]
    def _fresh_pool(**_: Any) -> None:
        # A forked worker must not reuse connections opened by its parent.
        root.engine.dispose(close=False)

    @app.task(name=APPLY_TASK, shared=False)  # type: ignore[untyped-decorator]
    def apply_partitions(
        partitions: list[int], tenant_id: str = DEFAULT_TENANT, retry_busy: bool = True
    ) -> int:
        db = root.for_tenant(tenant_id)
        total = 0
        share = settings.worker_partitions_per_task
        ordered = sorted(set(partitions))
        candidates, left = ordered[:share], ordered[share:]
        queue = tenant_queue(settings, tenant_id)
        if left:
            # A long list (the sweep's): the rest goes to the other workers at once.
            send_partitions(app, left, tenant_id=tenant_id, per_message=share, queue=queue)
        held = candidates
        for _ in range(settings.worker_batches_per_task):
            with db.transaction() as session:
                store = SqlEventStore(session)
                held = lock_partitions(store, held)
                applied = apply_pending_events(
                    store,
                    config=settings.model,
                    now=datetime.now(UTC),
                    limit=settings.worker_batch_size,
                    partitions=held,
                    transcripts=transcripts,
                )
            total += applied
            if applied == 0:
                # Not `applied < batch size`: a batch may leave events of items another
                # worker held for the next one.
                break
        else:
            # Its last batch applied something: back in the queue, behind the others.
            app.send_task(APPLY_TASK, args=[sorted(held), tenant_id], queue=queue)
        busy = sorted(set(candidates) - set(held))
        if busy and retry_busy:
            # Another transaction held these; its holder may have looked for work just
            # before our events were committed, so they are looked at once more, shortly.
            # Once only: whoever holds them at that retry took them after our commit (or
            # is still applying, and reads again), so it sees our events; a retry that
            # re-sent itself would spin for as long as a partition stays held.
            app.send_task(
                APPLY_TASK,
                args=[busy, tenant_id, False],
                countdown=_BUSY_RETRY_SECONDS,
                queue=queue,
            )
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
                partitions = pending_partitions(SqlEventStore(session), older_than=cutoff)
            if partitions:
                send_partitions(
                    app,
                    partitions,
                    tenant_id=db.tenant_id,
                    per_message=settings.worker_partitions_per_task,
                    queue=tenant_queue(settings, db.tenant_id),
                )
                sent += len(partitions)
        if sent:
            log.info("re-sent pending partitions", extra={"action": "sweep", "count": sent})
        if time.monotonic() >= next_retention:
            next_retention = time.monotonic() + 3600
            enforce_retention_everywhere(root, settings)
        return sent


def send_partitions(
    app: Celery,
    partitions: Iterable[int],
    *,
    tenant_id: str = DEFAULT_TENANT,
    per_message: int,
    queue: str | None = None,
) -> bool:
    """Tell the workers which partitions have new events: one message per `per_message`
    partitions (in id order), so that several workers start on them at once. Never
    raises: when the broker is down the events are safe in the database and the sweep
    sends them later."""
    ordered = sorted(set(partitions))
    try:
        for start in range(0, len(ordered), per_message):
            app.send_task(
                APPLY_TASK,
                args=[ordered[start : start + per_message], tenant_id],
                queue=queue,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )
        return True
    except Exception:
        log.warning(
            "broker unavailable; the sweep will send these", extra={"action": "send_failed"}
        )
        return False


class PartitionNotifier:
    """Sends `send_partitions` messages from a thread of its own, so that no request waits
    on the broker: the events are durable before the broker is told, and a broker that
    hangs holds only this thread. Notices that arrive meanwhile are merged (per tenant, a
    set of partitions), so they take bounded memory however long the broker hangs; those
    a failed send drops are found by the workers' sweep."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self._app = app
        self._settings = settings
        self._waiting: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name="smartpractice-notifier", daemon=True
        )
        self._thread.start()

    def notify(self, tenant_id: str, partitions: Iterable[int]) -> None:
        """Queue a notice that `tenant_id`'s `partitions` have new events (never blocks)."""
        with self._lock:
            self._waiting.setdefault(tenant_id, set()).update(partitions)
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Send what is waiting (for up to `timeout` seconds) and stop the thread."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                waiting, self._waiting = self._waiting, {}
            for tenant_id, partitions in waiting.items():
                send_partitions(
                    self._app,
                    partitions,
                    tenant_id=tenant_id,
                    per_message=self._settings.worker_partitions_per_task,
                    queue=tenant_queue(self._settings, tenant_id),
                )
            if self._closed:
                return


def delete_queue(settings: Settings) -> None:
    """Remove `settings.celery_queue` (and the tenants' queues beside it) from the broker,
    with any messages left in them, and their exchanges (for throwaway queues:
    benchmarks, tests)."""
    app = make_celery(settings, with_tasks=False)
    with app.connection_for_write() as connection:
        for name in worker_queues(settings):
            # Declared first so that the transport knows its bindings (Redis keeps them
            # apart from the queue); Celery names the queue's exchange after it.
            exchange = Exchange(name)  # type: ignore[no-untyped-call]
            queue = Queue(name, exchange, routing_key=name)  # type: ignore[no-untyped-call]
            bound = queue(connection.default_channel)
            bound.declare()  # type: ignore[no-untyped-call]
            bound.delete()  # type: ignore[no-untyped-call]
            bound.exchange.delete()  # type: ignore[no-untyped-call]
