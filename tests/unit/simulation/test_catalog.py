"""The in-memory `CatalogView`: the same answers the database view gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartpractice.core.config import ModelConfig
from smartpractice.services.ports import InvalidInput, NearestRequest, Scope
from smartpractice.services.schemas import AttemptIn
from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from tests.unit.simulation.conftest import BASIC, LINEAR, WORDS

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONFIG = ModelConfig()


@pytest.fixture
def view(bank: SimBank) -> MemoryCatalogView:
    return bank_view(bank, initial_ability=1200.0)


def answer(view: MemoryCatalogView, student: str, item: str, score: float, at: datetime) -> None:
    event = f"{student}-{at.timestamp():.0f}"
    attempt = AttemptIn(event_id=event, student_id=student, item_id=item, score=score)
    view.apply_answer(attempt, occurred_at=at, config=CONFIG)


def test_scope_skills_are_the_named_ones_or_every_skill_of_the_items_sorted(
    view: MemoryCatalogView,
) -> None:
    assert view.scope_skills(Scope(topic="Linear")) == sorted([LINEAR, WORDS])
    assert view.scope_skills(Scope(chapter="Basics")) == [BASIC]
    assert view.scope_skills(Scope(skills=(WORDS, BASIC))) == [WORDS, BASIC]
    assert view.scope_skills(Scope(topic="Nowhere")) == []
    with pytest.raises(InvalidInput, match="unknown skills"):
        view.scope_skills(Scope(skills=("math:nope:nope:nope",)))


def test_nearest_items_nearest_first_within_window_and_scope(view: MemoryCatalogView) -> None:
    # LINEAR items: l-1 1000, l-2 1200, l-3 1350, w-2 1400 (all in topic Linear).
    found = view.nearest_items(
        [
            NearestRequest(Scope(), LINEAR, 1250.0, None, 3),
            NearestRequest(Scope(), LINEAR, 1250.0, 120.0, 10),
            NearestRequest(Scope(topic="Basics"), LINEAR, 1250.0, None, 10),
            NearestRequest(Scope(topic="Linear"), BASIC, 1000.0, None, 10),
        ]
    )
    assert found[0] == ["l-2", "l-3", "w-2"]  # 50, 100, 150 away
    assert found[1] == ["l-2", "l-3"]  # w-2 is 150 away, outside the window
    assert found[2] == []
    assert found[3] == []


def test_answers_move_difficulties_and_the_history(view: MemoryCatalogView) -> None:
    before = view.item_skills(["l-2"])["l-2"][LINEAR]
    typical = view.typical_difficulties({LINEAR})[LINEAR]
    assert typical == pytest.approx((1000 + 1200 + 1350 + 1400) / 4)
    answer(view, "stu", "l-2", 0.0, T0)
    answer(view, "stu", "l-2", 1.0, T0 + timedelta(hours=1))
    answer(view, "stu", "b-1", 1.0, T0 + timedelta(hours=2))
    after = view.item_skills(["l-2"])["l-2"][LINEAR]
    assert after != before
    # The mean over the four LINEAR items moves by a quarter of l-2's move.
    moved = typical + (after - before) / 4
    assert view.typical_difficulties({LINEAR})[LINEAR] == pytest.approx(moved)
    assert view.nearest_items([NearestRequest(Scope(), LINEAR, after, 0.0, 1)]) == [["l-2"]]
    hours, outcomes = view.history("stu", ["l-2", "b-1", "l-1"], now=T0 + timedelta(hours=3))
    assert hours == {"l-2": pytest.approx(2.0), "b-1": pytest.approx(1.0)}
    assert outcomes == {"l-2": (1, 1), "b-1": (1, 0)}
    assert view.answered("stu") == ["l-2", "l-2", "b-1"]
    ratings = view.student_ratings("stu")
    assert ratings is not None and ratings.ability.attempts == 3
    assert view.student_ratings("nobody") is None


def test_recent_difficulties_average_the_last_answered_items(view: MemoryCatalogView) -> None:
    for n, item in enumerate(["l-1", "l-3", "w-1"]):
        answer(view, "stu", item, 1.0, T0 + timedelta(minutes=n))
    now = view.item_skills(["l-1", "l-3", "w-1"])
    recent = view.recent_difficulties("stu", window=2)
    assert recent == {LINEAR: pytest.approx(now["l-3"][LINEAR]), WORDS: now["w-1"][WORDS]}
    assert view.recent_difficulties("stu", window=0) == {}


def test_item_skills_are_copies(view: MemoryCatalogView) -> None:
    view.item_skills(["l-1"])["l-1"][LINEAR] = -5.0
    assert view.item_skills(["l-1"])["l-1"][LINEAR] == 1000.0
    assert view.item_skills(["missing"]) == {}


def test_prerequisites_come_from_the_bank(view: MemoryCatalogView) -> None:
    assert list(view.prerequisites()[WORDS]) == [LINEAR]
    assert list(view.prerequisites()[BASIC]) == []
