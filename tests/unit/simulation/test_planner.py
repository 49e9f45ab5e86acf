"""The look-ahead oracle (`planner`): its vectorised learner model and its choices."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.catalog import bank_view
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.learner import Learner
from smartpractice_lab.simulation.planner import TopicPlanner
from smartpractice_lab.simulation.policies import PlannerPolicy, make_policy
from tests.unit.simulation.conftest import BASIC, LINEAR, WORDS
from tests.unit.simulation.test_policies import TOPIC_ITEMS, context

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def learner(bank: SimBank, seed: int = 0) -> Learner:
    return Learner(bank, LearnerConfig(), np.random.default_rng(seed), new_skills=(LINEAR, WORDS))


@pytest.mark.parametrize("seed", range(5))
def test_planning_model_is_the_learners_expected_learning(bank: SimBank, seed: int) -> None:
    student = learner(bank, seed)
    student.ability[BASIC] -= 150.0 * seed  # prerequisites from ready to unknown
    student.seen["l-2"] = 0.9  # a repeat within the day teaches less
    student.failures_in_a_row = seed  # frustrated from 3 on
    planner = TopicPlanner(student, TOPIC_ITEMS, (LINEAR, WORDS))
    ability, seen = planner._state()
    gains = planner._gains(ability, seen, 1.0, seed >= 3)
    for k, item_id in enumerate(TOPIC_ITEMS):
        expected = student.expected_gains(bank.items[item_id], day=1.0)
        on_item = planner.entry.item == k
        found = {
            planner.skills[s]: g
            for s, g in zip(planner.entry.skill[on_item], gains[on_item], strict=True)
        }
        assert found == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_without_look_ahead_it_is_the_one_step_oracle(bank: SimBank, seed: int) -> None:
    view = bank_view(bank, initial_ability=1200.0)
    student = learner(bank, seed)
    oracle = make_policy("oracle", context(view), learner=student)
    planner = TopicPlanner(student, TOPIC_ITEMS, (LINEAR, WORDS), horizon=0)
    for step in range(8):
        student.ability[LINEAR] += 40.0 * step
        assert planner.choose(0.0) == oracle.choose(T0)


def test_planner_spends_nothing_on_a_mastered_skill(bank: SimBank) -> None:
    view = bank_view(bank, initial_ability=1200.0)
    student = learner(bank)
    student.ability[LINEAR] = 3000.0  # mastered; WORDS is not
    policy = PlannerPolicy(context(view), student)
    # w-2 also tests LINEAR, but only WORDS is short of mastery: either item may teach it.
    assert {policy.choose(T0) for _ in range(3)} <= {"w-1", "w-2"}
    student.ability[WORDS] = 3000.0  # everything mastered: still a topic item
    assert policy.choose(T0) in TOPIC_ITEMS
