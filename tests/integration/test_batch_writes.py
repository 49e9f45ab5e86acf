"""Set-based batch writes (`storage.bulk`) on SQLite and PostgreSQL: values arrive
unchanged, counters add up, numbered columns follow row order, key reads match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from smartpractice.settings import Settings
from smartpractice.storage.bulk import BatchWriter, restrict_to_keys
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event, Item, Skill, Student, StudentSkill

pytestmark = pytest.mark.integration

_T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _students(n: int) -> list[dict[str, Any]]:
    # Floats chosen so that any text round trip that is not exact would show.
    return [
        {
            "student_id": f"bulk-{k}",
            "ability": 1000.0 + k / 3 + 1e-13,
            "attempts": k,
            "correct": k // 2,
            "last_at": None if k == 0 else _T0 + timedelta(seconds=k),
        }
        for k in range(n)
    ]


def test_inserted_and_updated_values_arrive_unchanged(settings: Settings) -> None:
    db = Database(settings.database_url)
    rows = _students(5)
    with db.transaction() as session:
        writer = BatchWriter(session.connection())
        writer.insert(_table(Student), rows)
        writer.send()
    changed = [{**r, "ability": r["ability"] * 1.1, "last_at": _T0} for r in rows[1:3]]
    with db.transaction() as session:
        writer = BatchWriter(session.connection())
        writer.update(_table(Student), changed, keys=["student_id"])
        writer.send()
    with db.transaction() as session:
        stored = {
            r.student_id: (r.ability, r.attempts, r.correct, r.last_at)
            for r in session.execute(select(Student).where(Student.student_id.like("bulk-%")))
            .scalars()
            .all()
        }
    expected = {r["student_id"]: r for r in rows} | {r["student_id"]: r for r in changed}
    assert stored == {
        sid: (r["ability"], r["attempts"], r["correct"], r["last_at"])
        for sid, r in expected.items()
    }
    db.dispose()


def test_increments_add_and_numbered_column_follows_row_order(settings: Settings) -> None:
    db = Database(settings.database_url)
    with db.transaction() as session:
        item_id, before = session.execute(select(Item.item_id, Item.attempts).limit(1)).one()
        session.add_all(
            [
                Event(
                    event_id=f"bulk-ev-{k}",
                    student_id="s",
                    item_id=item_id,
                    payload={},
                    content_hash="x",
                    received_at=_T0,
                    occurred_at=_T0,
                )
                for k in range(4)
            ]
        )
    with db.transaction() as session:
        seqs = list(session.scalars(select(Event.seq).order_by(Event.seq)))
        writer = BatchWriter(session.connection())
        counts = [{"item_id": item_id, "attempts": 3, "correct": 1}]
        writer.update(_table(Item), counts, keys=["item_id"], increments={"attempts", "correct"})
        writer.update(_table(Item), counts, keys=["item_id"], increments={"attempts", "correct"})
        # Rows given in reverse seq order: the positions must follow the rows, not the keys.
        outcome = {"skills": {"a": {"rating": 1234.5678901234567}}}
        writer.update(
            _table(Event),
            [{"seq": s, "status": "applied", "outcome": outcome} for s in reversed(seqs)],
            keys=["seq"],
            numbered="applied_seq",
        )
        writer.send()
    with db.transaction() as session:
        assert session.scalar(select(Item.attempts).where(Item.item_id == item_id)) == before + 6
        stored = session.execute(
            select(Event.seq, Event.applied_seq, Event.outcome).order_by(Event.seq)
        ).all()
    positions = [applied for _, applied, _ in stored]
    assert positions == sorted(positions, reverse=True)
    assert len(set(positions)) == 4
    assert all(o == outcome for _, _, o in stored)
    db.dispose()


def test_restrict_to_keys_matches_exactly_the_given_pairs(settings: Settings) -> None:
    db = Database(settings.database_url)
    with db.transaction() as session:
        skills = list(session.scalars(select(Skill.skill_id).order_by(Skill.skill_id).limit(2)))
        writer = BatchWriter(session.connection())
        writer.insert(_table(Student), _students(2))
        writer.send()
        writer.insert(
            _table(StudentSkill),
            [
                {
                    "student_id": f"bulk-{k}",
                    "skill_id": s,
                    "offset": 1.0,
                    "attempts": 1,
                    "correct": 0,
                    "last_at": _T0,
                }
                for k in range(2)
                for s in skills
            ],
        )
        writer.send()
    wanted = {("bulk-0", skills[1]), ("bulk-1", skills[0]), ("bulk-9", skills[0])}
    with db.transaction() as session:
        query = restrict_to_keys(
            select(StudentSkill.student_id, StudentSkill.skill_id),
            [StudentSkill.student_id, StudentSkill.skill_id],
            wanted,
            dialect=session.get_bind().dialect.name,
        )
        found = set(session.execute(query).tuples())
    assert found == wanted - {("bulk-9", skills[0])}
    db.dispose()


def test_a_failing_statement_raises_the_sqlalchemy_error(settings: Settings) -> None:
    # The API maps SQLAlchemy's OperationalError to 503; a driver error escaping as
    # itself would be a 500.
    db = Database(settings.database_url)
    with pytest.raises(IntegrityError), db.transaction() as session:
        writer = BatchWriter(session.connection())
        writer.insert(_table(Student), _students(2) + _students(1))  # a repeated key
        writer.send()
    db.dispose()
