"""The `weakest_skill` and `bkt_mastery` baselines: they read answers and ratings only."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import Scope
from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.baselines import (
    BKT_MASTERY,
    BKT_STANDARD,
    BktMasteryPolicy,
    BktParameters,
    bkt_update,
)
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from smartpractice_lab.simulation.config import POLICY_NAMES
from smartpractice_lab.simulation.policies import PolicyContext, make_policy
from tests.unit.simulation.conftest import LINEAR, WORDS

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TOPIC_ITEMS = ("l-1", "l-2", "l-3", "w-1", "w-2")


def context(view: MemoryCatalogView) -> PolicyContext:
    return PolicyContext(
        student_id="stu",
        scope=Scope(subject="Mathematics", chapter="Algebra", topic="Linear"),
        scope_items=TOPIC_ITEMS,
        skills=(LINEAR, WORDS),
        view=view,
        config=ModelConfig(),
        rng=np.random.default_rng(0),
    )


@pytest.fixture
def view(bank: SimBank) -> MemoryCatalogView:
    return bank_view(bank, initial_ability=1200.0)


def test_both_baselines_are_in_the_default_list() -> None:
    assert {"weakest_skill", "bkt_mastery"} <= set(POLICY_NAMES)


# --- bkt_update ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("known", "correct", "after"),
    [
        # Right: 0.3 * 0.9 / (0.27 + 0.7 * 0.2) = 0.658537, then + 0.341463 * 0.2.
        (0.3, True, 0.658537 + 0.341463 * 0.2),
        # Wrong: 0.3 * 0.1 / (0.03 + 0.7 * 0.8) = 0.050847, then + 0.949153 * 0.2.
        (0.3, False, 0.050847 + 0.949153 * 0.2),
        (1.0, False, 1.0),  # certainly known stays known
    ],
)
def test_bkt_update_golden_values(known: float, correct: bool, after: float) -> None:
    assert bkt_update(known, correct, params=BKT_STANDARD) == pytest.approx(after, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(known=st.floats(0.0, 1.0), correct=st.booleans())
def test_bkt_update_stays_a_probability_and_a_right_answer_beats_a_wrong_one(
    known: float, correct: bool
) -> None:
    after = bkt_update(known, correct, params=BKT_STANDARD)
    assert 0.0 <= after <= 1.0
    assert bkt_update(known, True, params=BKT_STANDARD) >= bkt_update(
        known, False, params=BKT_STANDARD
    )


# --- bkt_mastery --------------------------------------------------------------------------


def test_bkt_mastery_moves_on_once_the_model_says_known(view: MemoryCatalogView) -> None:
    policy = make_policy("bkt_mastery", context(view))
    assert isinstance(policy, BktMasteryPolicy)
    served = []
    for _ in range(3):  # p(known) of LINEAR: 0.3 -> 0.727 -> 0.941 -> 0.987
        served.append(policy.choose(T0))
        policy.observe(served[-1], True)
    # LINEAR's items in bank order: l-1, l-2, l-3, w-2.
    assert served == ["l-1", "l-2", "l-3"]
    assert policy.known[LINEAR] >= BKT_MASTERY > policy.known[WORDS]
    assert policy.current_skill() == WORDS
    assert [policy.choose(T0), policy.choose(T0)] == ["w-1", "w-2"]


def test_bkt_mastery_updates_every_skill_of_a_multi_skill_item(view: MemoryCatalogView) -> None:
    policy = BktMasteryPolicy(context(view), BktParameters(0.3, 0.0, 0.2, 0.1))
    policy.observe("w-2", False)
    assert policy.known[LINEAR] == policy.known[WORDS] == pytest.approx(0.050847, abs=1e-6)


def test_bkt_mastery_never_serves_the_item_just_answered(view: MemoryCatalogView) -> None:
    policy = make_policy("bkt_mastery", context(view))
    last = None
    for _ in range(30):
        item_id = policy.choose(T0)
        assert item_id != last
        policy.observe(item_id, False)  # wrong every time: stays on LINEAR
        last = item_id
    assert BktMasteryPolicy(context(view)).current_skill() == LINEAR


# --- weakest_skill ------------------------------------------------------------------------


def rate(view: MemoryCatalogView, **offsets: float) -> None:
    names = {"linear": LINEAR, "words": WORDS}
    view.store.students["stu"] = StudentRatings(
        ability=RatingState(value=1200.0),
        offsets={names[k]: RatingState(value=v) for k, v in offsets.items()},
    )


def test_weakest_skill_picks_the_item_nearest_the_rating_on_the_weakest_skill(
    view: MemoryCatalogView,
) -> None:
    # LINEAR rated 1250, WORDS 1000. Typical difficulties: LINEAR (1000 + 1200 + 1350 +
    # 1400) / 4 = 1237.5, WORDS (1200 + 1400) / 2 = 1300: WORDS is the weaker by far.
    rate(view, linear=50.0, words=-200.0)
    policy = make_policy("weakest_skill", context(view))
    # WORDS's items: w-1 (1200) is 200 from 1000, w-2 (1400) 400.
    assert policy.choose(T0) == "w-1"
    policy.observe("w-1", True)
    assert policy.choose(T0) == "w-2"  # never the item just answered


def test_weakest_skill_follows_the_ratings(view: MemoryCatalogView) -> None:
    rate(view, linear=-300.0, words=300.0)
    policy = make_policy("weakest_skill", context(view))
    # LINEAR at 900: l-1 (1000) is the nearest of l-1, l-2, l-3, w-2.
    assert policy.choose(T0) == "l-1"
    policy.observe("l-1", False)
    assert policy.choose(T0) == "l-2"
