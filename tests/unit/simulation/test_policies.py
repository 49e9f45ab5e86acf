"""Selection policies: each reads the service state through the same view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import Scope
from smartpractice.services.practice import pick_next_item
from smartpractice.services.schemas import AttemptIn
from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from smartpractice_lab.simulation.config import POLICY_NAMES, LearnerConfig, SimulationError
from smartpractice_lab.simulation.learner import Learner
from smartpractice_lab.simulation.policies import (
    MASTERY_STREAK,
    PolicyContext,
    make_policy,
    parse_policies,
)
from tests.unit.simulation.conftest import LINEAR, WORDS

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONFIG = ModelConfig()
TOPIC_ITEMS = ("l-1", "l-2", "l-3", "w-1", "w-2")


def context(view: MemoryCatalogView, *, seed: int = 0, student: str = "stu") -> PolicyContext:
    return PolicyContext(
        student_id=student,
        scope=Scope(subject="Mathematics", chapter="Algebra", topic="Linear"),
        scope_items=TOPIC_ITEMS,
        skills=(LINEAR, WORDS),
        view=view,
        config=CONFIG,
        rng=np.random.default_rng(seed),
    )


@pytest.fixture
def view(bank: SimBank) -> MemoryCatalogView:
    return bank_view(bank, initial_ability=1200.0)


def test_random_stays_in_scope_and_covers_it(view: MemoryCatalogView) -> None:
    policy = make_policy("random", context(view))
    picks = [policy.choose(T0) for _ in range(200)]
    assert set(picks) == set(TOPIC_ITEMS)


def test_textbook_goes_in_order_round_and_round(view: MemoryCatalogView) -> None:
    policy = make_policy("textbook", context(view))
    assert [policy.choose(T0) for _ in range(7)] == [*TOPIC_ITEMS, "l-1", "l-2"]


def test_mastery_threshold_moves_on_after_a_streak(view: MemoryCatalogView) -> None:
    policy = make_policy("mastery_threshold", context(view))
    # LINEAR's items in order: l-1, l-2, l-3, w-2; a wrong answer resets the streak.
    served = []
    for correct in [True, False, True, True, True]:
        served.append(policy.choose(T0))
        policy.observe(served[-1], correct)
    assert served == ["l-1", "l-2", "l-3", "w-2", "l-1"]
    assert MASTERY_STREAK == 3
    # After three right in a row, WORDS: w-1, w-2.
    assert [policy.choose(T0), policy.choose(T0), policy.choose(T0)] == ["w-1", "w-2", "w-1"]


def test_elo_match_picks_the_gap_closest_to_the_challenge_zone(view: MemoryCatalogView) -> None:
    # A new student is rated 1200 everywhere: gaps l-1 -200, l-2 0, l-3 +150, w-1 0,
    # w-2 +200 (mean of 200 and 200). Only l-3 is inside 50-150.
    policy = make_policy("elo_match", context(view))
    assert policy.choose(T0) == "l-3"
    policy.observe("l-3", True)
    # Never the item just answered. l-2, w-1 (gap 0) and w-2 (gap +200) are all 50 outside
    # the zone and 100 from its middle: the first in textbook order wins.
    assert policy.choose(T0) == "l-2"


def test_elo_match_follows_the_service_rating(view: MemoryCatalogView) -> None:
    student = StudentRatings(ability=RatingState(value=950.0))
    view.store.students["stu"] = student
    # Rated 950: l-1 (1000) is +50, l-2 and w-1 +250: l-1 is in the zone.
    assert make_policy("elo_match", context(view)).choose(T0) == "l-1"


def test_smart_practice_is_the_services_pick(view: MemoryCatalogView) -> None:
    for n, item in enumerate(["l-1", "l-2", "w-1"]):
        attempt = AttemptIn(event_id=f"e{n}", student_id="stu", item_id=item, score=n % 2)
        view.apply_answer(attempt, occurred_at=T0 + timedelta(minutes=n), config=CONFIG)
    now = T0 + timedelta(hours=1)
    policy = make_policy("smart_practice", context(view, seed=9))
    expected = pick_next_item(
        view,
        "stu",
        Scope(subject="Mathematics", chapter="Algebra", topic="Linear"),
        config=CONFIG,
        now=now,
        rng=np.random.default_rng(9),
    )
    assert policy.choose(now) == expected.selection.chosen.item_id


def test_mastery_informed_practises_only_skills_short_of_mastery(
    view: MemoryCatalogView, bank: SimBank
) -> None:
    learner = Learner(bank, LearnerConfig(), np.random.default_rng(0), new_skills=(LINEAR, WORDS))
    learner.ability[LINEAR] = 3000.0  # mastered; WORDS is not
    policy = make_policy("mastery_informed", context(view), learner=learner)
    picks = {policy.choose(T0 + timedelta(minutes=n)) for n in range(20)}
    assert picks and picks <= {"w-1", "w-2"}
    learner.ability[WORDS] = 3000.0  # everything mastered: the whole topic again
    assert policy.choose(T0) in TOPIC_ITEMS


def test_policy_names_are_checked() -> None:
    assert parse_policies("smart_practice, random") == ["random", "smart_practice"]
    assert parse_policies(",".join(POLICY_NAMES)) == list(POLICY_NAMES)
    with pytest.raises(SimulationError, match=r"^--policies: unknown"):
        parse_policies("random,clever")
    with pytest.raises(SimulationError, match=r"^--policies"):
        parse_policies(" , ")


def test_unknown_policy_cannot_be_made(view: MemoryCatalogView) -> None:
    with pytest.raises(SimulationError, match=r"^--policies: unknown policy 'clever'"):
        make_policy("clever", context(view))
