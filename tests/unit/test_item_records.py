"""The item record is built in one place, from the rows of one statement."""

from __future__ import annotations

from smartpractice.services.ports import ItemSkillRecord
from smartpractice.storage.sql_catalog import ITEM_COLUMNS, item_records

PLACE = (
    "src",
    "Mathematics",
    "Algebra",
    "Linear equations",
    9,
    "Easy",
    60.0,
    1.0,
    "x + 1 = 2",
    None,
)


def row(item_id: str, attempts: int, correct: int, *skill: object) -> tuple[object, ...]:
    """A row as the statement reads it: the item's columns, its correct count, one skill."""
    return (item_id, *PLACE, attempts, correct, *skill)


def test_a_row_holds_the_item_columns_then_correct_then_one_skill() -> None:
    assert len(row("a", 0, 0, None, None, None, None, None)) == len(ITEM_COLUMNS) + 1 + 5


def test_rows_of_one_item_make_one_record_with_its_skills_and_rates() -> None:
    records = item_records(
        [
            row("a", 4, 3, "algebra", 1210.0, 1200.0, 4, 1),
            row("a", 4, 3, "fractions", 1100.0, 1100.0, 0, 0),
            row("b", 0, 0, None, None, None, None, None),
        ]
    )
    assert [r.item_id for r in records] == ["a", "b"]
    first, second = records
    assert first.topic == "Linear equations" and first.attempts == 4
    assert first.success_rate == 0.75
    assert first.skills == {
        "algebra": ItemSkillRecord(1210.0, 1200.0, 4, 0.25),
        "fractions": ItemSkillRecord(1100.0, 1100.0, 0, None),
    }
    # No answer yet: no rate; an item with no skill row has no skills.
    assert second.success_rate is None and second.skills == {}
