"""Read the service's own event log as evaluation data, so operators can evaluate on their
own students.

Applied attempt events are returned in the order the workers applied them (`applied_seq`,
the order `replay` follows, since Elo is order-dependent), each with its item's skills,
the catalogue's initial difficulties and expected time, and the full original attempt
(hints, attempts, time, confidence) for the production model's evidence step.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from smartpractice_lab.evaluation.dataset import DatasetError, ItemInfo
from smartpractice_lab.evaluation.readers import LoadedResponses

__all__ = ["event_log_source", "read_event_log", "safe_url"]


def safe_url(database_url: str) -> str:
    """The database URL with any password masked, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def event_log_source(database_url: str, tenant_id: str = "default") -> str:
    """How messages name tenant `tenant_id`'s event log: the URL, password masked, and the
    tenant unless it is the default one."""
    source = safe_url(database_url)
    return source if tenant_id == "default" else f"{source} (tenant {tenant_id})"


def read_event_log(database_url: str, *, tenant_id: str = "default") -> LoadedResponses:
    """Applied attempt events of tenant `tenant_id` of the service at `database_url`, in
    applied order.

    Raises:
        DatasetError: the database cannot be read or holds no applied attempt.
    """
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from smartpractice.services.schemas import StoredAttempt
    from smartpractice.storage.db import Database, tenant_url
    from smartpractice.storage.models import Event, Item, ItemSkill
    from smartpractice_lab.evaluation.dataset import Response

    source = event_log_source(database_url, tenant_id)
    try:
        # On SQLite a tenant's data is a file of its own; on PostgreSQL, a schema.
        _require_sqlite_file(tenant_url(database_url, tenant_id), source)
        database = Database(database_url, tenant_id=tenant_id)
    except ValueError as error:  # not a tenant id
        raise DatasetError(source, str(error)) from None
    responses: list[Response] = []
    try:
        with database.transaction() as session:
            items = _catalogue(
                session.execute(select(Item.item_id, Item.expected_time_seconds)).tuples(),
                session.execute(
                    select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.initial_difficulty)
                ).tuples(),
            )
            query = (
                select(Event)
                .where(Event.status == "applied", Event.kind == "attempt")
                .order_by(Event.applied_seq)
                .execution_options(yield_per=2000)
            )
            for event in session.scalars(query):
                info = items.get(event.item_id)
                if info is None:  # the item was deleted after the event applied
                    continue
                attempt = StoredAttempt.model_validate(event.payload)
                responses.append(
                    Response(
                        student_id=event.student_id,
                        item_id=event.item_id,
                        skills=info.skills,
                        score=attempt.score,
                        timestamp=event.occurred_at.timestamp(),
                        attempt=attempt,
                    )
                )
    except SQLAlchemyError as error:
        raise DatasetError(source, f"cannot read the event log: {error}") from None
    finally:
        database.dispose()
    if not responses:
        raise DatasetError(source, "the event log holds no applied attempt")
    used = {r.item_id for r in responses}
    return LoadedResponses(
        responses=responses, items={i: info for i, info in items.items() if i in used}
    )


def _require_sqlite_file(database_url: str, source: str) -> None:
    """Opening a missing SQLite file would create an empty one; say so instead."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise DatasetError(source, "not a database URL") from None
    path = url.database or ":memory:"
    if url.get_backend_name() == "sqlite" and path != ":memory:" and not Path(path).is_file():
        raise DatasetError(source, "no such database file")


def _catalogue(
    times: Iterable[tuple[str, float | None]], skills: Iterable[tuple[str, str, float]]
) -> dict[str, ItemInfo]:
    expected = {item_id: seconds for item_id, seconds in times}
    difficulties: dict[str, dict[str, float]] = {}
    for item_id, skill_id, initial in skills:
        difficulties.setdefault(item_id, {})[skill_id] = initial
    return {
        item_id: ItemInfo(
            skills=tuple(sorted(by_skill)),
            initial_difficulties=by_skill,
            expected_time_seconds=expected.get(item_id),
        )
        for item_id, by_skill in difficulties.items()
    }
