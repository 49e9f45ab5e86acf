"""Smart Practice's two levels on the in-memory view (the service's own `pick_next_item`):
the path chooses the skill, the item score the item; repeats, recovery and taught skills."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from smartpractice.services.ports import Scope
from smartpractice.services.practice import pick_next_item, plan_student_path
from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.catalog import MemoryCatalogView, bank_view
from tests.unit.simulation.conftest import BASIC, LINEAR, WORDS
from tests.unit.simulation.test_catalog import CONFIG, T0, answer

TOPIC = Scope(topic="Linear")


@pytest.fixture
def view(bank: SimBank) -> MemoryCatalogView:
    return bank_view(bank, initial_ability=1200.0)


def test_a_topic_teaches_the_skills_some_item_tests_alone(view: MemoryCatalogView) -> None:
    assert view.scope_skills(TOPIC) == [LINEAR, WORDS]
    assert view.taught_skills(TOPIC) == [LINEAR, WORDS]
    # Basics is tested alone only in its own topic: in "Linear" it is a prerequisite.
    assert BASIC not in view.taught_skills(TOPIC)


def test_a_new_student_starts_at_the_bottom_of_the_chain(view: MemoryCatalogView) -> None:
    pick = pick_next_item(view, "new", TOPIC, config=CONFIG, now=T0, seed=1)
    assert pick.path.focus == LINEAR
    assert pick.explanation["path"]["skill_id"] == LINEAR
    assert pick.explanation["reasons"][0].startswith(f"{LINEAR}: frontier")
    chosen = pick.selection.chosen.item_id
    assert LINEAR in view.item_skills([chosen])[chosen]
    words = pick.path.step(WORDS)
    assert words is not None and words.status == "locked"


def test_an_item_just_answered_is_not_served_again(view: MemoryCatalogView) -> None:
    now = T0
    served: list[str] = []
    for n in range(6):
        item_id = pick_next_item(view, "stu", TOPIC, config=CONFIG, now=now, seed=n)
        chosen = item_id.selection.chosen.item_id
        served.append(chosen)
        answer(view, "stu", chosen, 1.0, now)
        now += timedelta(minutes=2)
    # Three LINEAR items and w-2 exist: no item comes back right after it was answered.
    assert all(a != b for a, b in itertools.pairwise(served))


def test_two_wrong_answers_in_a_row_aim_at_an_easier_question(view: MemoryCatalogView) -> None:
    answer(view, "stu", "l-2", 0.0, T0)
    answer(view, "stu", "l-3", 0.0, T0 + timedelta(minutes=1))
    pick = pick_next_item(view, "stu", TOPIC, config=CONFIG, now=T0 + timedelta(minutes=2))
    assert pick.explanation["target_success"] == CONFIG.selection.recovery_target
    answer(view, "stu", "l-1", 1.0, T0 + timedelta(minutes=3))
    pick = pick_next_item(view, "stu", TOPIC, config=CONFIG, now=T0 + timedelta(minutes=4))
    assert pick.explanation["target_success"] == CONFIG.selection.target_success


def test_a_clearly_failing_skill_sends_the_student_back_to_its_prerequisite(
    view: MemoryCatalogView,
) -> None:
    for n in range(6):
        answer(view, "stu", ("l-1", "l-2", "l-3")[n % 3], 0.0, T0 + timedelta(minutes=n))
    planned = plan_student_path(view, "stu", TOPIC, config=CONFIG, now=T0 + timedelta(hours=1))
    # BASIC is outside the topic and untested: checked, as a remediation step.
    assert planned.path.focus == BASIC
    assert planned.path.phase == "remediation"
    step = planned.path.step(BASIC)
    assert step is not None and step.remediation_for == (LINEAR,)
