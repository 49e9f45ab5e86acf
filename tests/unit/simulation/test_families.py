"""The learner families: golden values per family and properties every family shares."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.core.config import ModelConfig
from smartpractice_lab.simulation.bkt import BktLearner
from smartpractice_lab.simulation.compensatory import CompensatoryLearner
from smartpractice_lab.simulation.config import LEARNER_PRESETS, LearnerConfig, SimulationConfig
from smartpractice_lab.simulation.family import SimLearner, draw_probability, repeat_factor
from smartpractice_lab.simulation.family_config import (
    FAMILY_NAMES,
    BktConfig,
    CompensatoryConfig,
    GatedConfig,
    family_setups,
)
from smartpractice_lab.simulation.gated import GatedLearner
from smartpractice_lab.simulation.learner import Answer, Learner
from smartpractice_lab.simulation.runner import World, make_learner
from tests.unit.simulation.conftest import BASIC, LINEAR, WORDS, tiny_bank

BANK = tiny_bank()
SHARED = LearnerConfig()
NEW = (LINEAR, WORDS)
RIGHT = Answer(chance=0.5, solved=True, correct=True, seconds=60.0)
WRONG = Answer(chance=0.5, solved=False, correct=False, seconds=60.0)


def world(family: str) -> World:
    setup = family_setups(family, {})[0]
    topics = BANK.select_topics(subject=None, chapter=None, topic=None)
    return World(
        BANK, tuple(topics), setup.learner, ModelConfig(), SimulationConfig(), family, setup.params
    )


def student(family: str, seed: int = 0) -> SimLearner:
    return make_learner(world(family), np.random.default_rng(seed), new_skills=NEW)


def bkt(seed: int = 0, **params: float) -> BktLearner:
    """A BKT learner with no spread: every student has the family means."""
    config = dataclasses.replace(BktConfig(spread=0.0), **params)
    return BktLearner(BANK, config, SHARED, np.random.default_rng(seed), new_skills=NEW)


# --- shared pieces ------------------------------------------------------------------------


def test_repeat_factor_golden_values() -> None:
    assert repeat_factor(last=None, day=3.0, config=SHARED) == 1.0
    assert repeat_factor(last=2.0, day=2.0, config=SHARED) == pytest.approx(0.3)
    # One memory half-life later: 1 - 0.7 * 0.5 = 0.65.
    assert repeat_factor(last=0.0, day=SHARED.item_memory_days, config=SHARED) == pytest.approx(
        0.65
    )


def test_draw_probability_without_spread_is_the_mean() -> None:
    drawn = draw_probability(0.2, spread=0.0, rng=np.random.default_rng(0), size=4)
    assert drawn == pytest.approx([0.2] * 4)
    wide = draw_probability(0.2, spread=1.0, rng=np.random.default_rng(0), size=2000)
    assert float(np.median(wide)) == pytest.approx(0.2, abs=0.03)
    assert ((wide > 0) & (wide < 1)).all()


# --- bkt ----------------------------------------------------------------------------------


def test_bkt_chance_is_the_product_of_skill_applications() -> None:
    learner = bkt()
    learner.known.update({LINEAR: True, WORDS: False})
    # w-2 tests WORDS and LINEAR: guess on WORDS (0.15) times 1 - slip on LINEAR (0.9).
    assert learner.chance(BANK.items["w-2"]) == pytest.approx(0.15 * 0.9)
    assert learner.chance(BANK.items["l-1"]) == pytest.approx(0.9)
    assert learner.proficiency(WORDS) == pytest.approx(0.15)
    learner.known[WORDS] = True
    assert learner.chance(BANK.items["w-2"]) == pytest.approx(0.81)
    assert learner.mastered(NEW) and learner.shortfall(WORDS) == 0.0


def test_bkt_learner_learns_with_probability_learn() -> None:
    learned = 0
    for seed in range(4000):
        learner = bkt(seed, initial_known=1e-9, learn=0.3)
        learner.learn(BANK.items["l-1"], RIGHT, day=0.0)
        learned += learner.known[LINEAR]
    # Binomial(4000, 0.3): standard error 0.0072; 4 of them is 0.029.
    assert learned / 4000 == pytest.approx(0.3, abs=0.029)


def test_bkt_expected_gains_follow_outcome_and_memory() -> None:
    learner = bkt(initial_known=1e-9, learn=0.3)
    chance = learner.chance(BANK.items["l-1"])  # guess 0.15
    outcome = chance + (1.0 - chance) * 0.7
    assert learner.expected_gains(BANK.items["l-1"], day=0.0) == {
        LINEAR: pytest.approx(0.3 * outcome)
    }
    learner.seen["l-1"] = 0.0  # answered moments ago: a repeat teaches 0.3 as much
    assert learner.expected_gains(BANK.items["l-1"], day=0.0)[LINEAR] == pytest.approx(
        0.3 * outcome * 0.3
    )
    learner.known[LINEAR] = True
    assert learner.expected_gains(BANK.items["l-1"], day=0.0) == {LINEAR: 0.0}


def test_bkt_prior_skills_start_known_more_often_than_new_ones() -> None:
    learners = [bkt(seed) for seed in range(500)]
    new = np.mean([x.known[LINEAR] for x in learners])
    prior = np.mean([x.known[BASIC] for x in learners])
    assert new == pytest.approx(0.2, abs=0.075) and prior == pytest.approx(0.85, abs=0.065)


def test_bkt_draws_per_student_parameters_within_the_caps() -> None:
    learner = BktLearner(BANK, BktConfig(spread=3.0), SHARED, np.random.default_rng(1))
    assert len(set(learner.learn_chance.values())) == len(learner.learn_chance)
    assert all(0.0 < g <= 0.45 for g in learner.guess.values())
    assert all(0.0 < s <= 0.45 for s in learner.slip.values())


# --- prerequisite_gated -------------------------------------------------------------------


def gated(**levels: float) -> GatedLearner:
    learner = GatedLearner(BANK, GatedConfig(), SHARED, np.random.default_rng(0), new_skills=NEW)
    learner.rate = 60.0
    names = {"basic": BASIC, "linear": LINEAR, "words": WORDS}
    for alias, value in levels.items():
        learner.ability[names[alias]] = value
    return learner


def test_gated_learning_needs_every_prerequisite_known() -> None:
    typical = BANK.typical_true[BASIC]  # 1100: known at chance 0.5, i.e. level >= 1100
    closed = gated(basic=typical - 1.0, linear=1000.0)
    closed.learn(BANK.items["l-1"], RIGHT, day=0.0)
    assert closed.ability[LINEAR] == 1000.0 and not closed.gate_open(LINEAR)
    open_ = gated(basic=typical, linear=1000.0)
    open_.learn(BANK.items["l-1"], RIGHT, day=0.0)
    assert open_.ability[LINEAR] == pytest.approx(1060.0)
    open_.learn(BANK.items["l-2"], WRONG, day=1.0)
    assert open_.ability[LINEAR] == pytest.approx(1060.0 + 0.7 * 60.0)


def test_gated_chance_is_conjunctive_with_guess_and_slip() -> None:
    learner = gated(linear=1400.0, words=1200.0)
    # w-2: both Hard (1400): p = 0.5 on LINEAR, 1/(1 + 10^0.5) on WORDS.
    solve = 0.5 / (1.0 + 10**0.5)
    assert learner.chance(BANK.items["w-2"]) == pytest.approx(0.15 + 0.8 * solve)
    level = learner.mastery_level(LINEAR)
    assert level == pytest.approx(BANK.typical_true[LINEAR] + 400 * math.log10(4))
    assert learner.shortfall(LINEAR) == pytest.approx(max(0.0, level - 1400.0))


# --- compensatory -------------------------------------------------------------------------


def compensatory() -> CompensatoryLearner:
    return CompensatoryLearner(
        BANK, CompensatoryConfig(), SHARED, np.random.default_rng(0), new_skills=NEW
    )


def test_compensatory_skills_add_up() -> None:
    learner = compensatory()
    learner.strength.update({LINEAR: 1400.0, WORDS: 1200.0})
    # w-2: 1400 on both; mean margin (0 - 200) / 2 = -100 points: 1 / (1 + 10^0.25).
    assert learner.chance(BANK.items["w-2"]) == pytest.approx(1.0 / (1.0 + 10**0.25))
    learner.strength[LINEAR] = 1800.0  # a strong skill makes up for the weak one
    assert learner.chance(BANK.items["w-2"]) == pytest.approx(1.0 / (1.0 + 10**-0.25))


def test_compensatory_learning_adds_gamma_per_opportunity() -> None:
    learner = compensatory()
    gamma = learner.gamma[LINEAR]
    before = learner.strength[LINEAR]
    learner.learn(BANK.items["l-1"], RIGHT, day=0.0)
    assert learner.strength[LINEAR] == pytest.approx(before + gamma)
    learner.learn(BANK.items["l-2"], WRONG, day=0.0)
    assert learner.strength[LINEAR] == pytest.approx(before + 1.5 * gamma)
    learner.learn(BANK.items["l-2"], RIGHT, day=0.0)  # a repeat moments later: 0.3
    assert learner.strength[LINEAR] == pytest.approx(before + 1.8 * gamma)


# --- forgetting ---------------------------------------------------------------------------


def test_forgetting_family_forgets_fast_and_meets_rarely() -> None:
    setup = family_setups("forgetting", {})[0]
    assert setup.learner.forgetting_half_life_days == 5.0
    assert setup.learner.session_gap_days == 3.0
    learner = student("forgetting")
    assert isinstance(learner, Learner)
    start = learner.start[LINEAR]
    learner.ability[LINEAR] = start + 100.0
    learner.forget(5.0)
    assert learner.ability[LINEAR] == pytest.approx(start + 50.0)


# --- every family -------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_same_seed_same_student_and_answers(family: str) -> None:
    def run(seed: int) -> list[bool]:
        learner = student(family, seed)
        rng = np.random.default_rng(seed)
        answers = []
        for k, item_id in enumerate(["l-1", "w-2", "l-2", "w-1"] * 5):
            answer = learner.answer(BANK.items[item_id], rng)
            learner.learn(BANK.items[item_id], answer, day=k / 10)
            answers.append(answer.correct)
        return [*answers, *(learner.shortfall(s) > 0 for s in NEW)]

    assert run(3) == run(3)
    assert any(run(3) != run(seed) for seed in range(4, 8))


outcomes = st.lists(
    st.tuples(st.sampled_from(sorted(BANK.items)), st.booleans(), st.booleans()), max_size=15
)


@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), steps=outcomes)
def test_probabilities_stay_in_range_and_practice_never_lowers_knowledge(
    family: str, seed: int, steps: list[tuple[str, bool, bool]]
) -> None:
    learner = student(family, seed)
    skills = sorted(BANK.typical_true)
    for k, (item_id, solved, correct) in enumerate(steps):
        item = BANK.items[item_id]
        before = {s: learner.shortfall(s) for s in skills}
        assert 0.0 <= learner.chance(item) <= 1.0
        assert all(0.0 <= learner.proficiency(s) <= 1.0 for s in skills)
        assert all(g >= 0.0 for g in learner.expected_gains(item, day=k).values())
        learner.learn(item, Answer(0.5, solved, correct, 60.0), day=k / 5)
        assert all(learner.shortfall(s) <= before[s] for s in skills)
        assert learner.mastered(skills) == all(learner.shortfall(s) == 0.0 for s in skills)


@pytest.mark.parametrize("family", ["bkt", "prerequisite_gated", "compensatory"])
def test_only_the_elo_families_forget(family: str) -> None:
    learner = student(family)
    for k in range(10):
        learner.learn(BANK.items["l-1"], RIGHT, day=k)
    before = [learner.proficiency(s) for s in NEW]
    learner.forget(365.0)
    assert [learner.proficiency(s) for s in NEW] == before


# --- choosing families --------------------------------------------------------------------


def test_all_runs_every_family_and_a_preset_runs_the_elo_family() -> None:
    assert [s.name for s in family_setups("all", {})] == list(FAMILY_NAMES)
    (fast,) = family_setups("fast", {})
    assert fast.name == "elo" and fast.learner == LEARNER_PRESETS["fast"]
    assert fast.params is None


def test_a_parameter_applies_to_every_family_that_has_it() -> None:
    setups = {s.name: s for s in family_setups("all", {"guess": "0.2", "learn": "0.3"})}
    assert setups["elo"].learner.guess == 0.2
    assert isinstance(setups["bkt"].params, BktConfig) and setups["bkt"].params.guess == 0.2
    assert setups["bkt"].params.learn == 0.3
    assert setups["bkt"].learner.guess == SHARED.guess  # its own parameter, not the shared
    assert isinstance(setups["compensatory"].params, CompensatoryConfig)


@pytest.mark.parametrize(
    ("choice", "overrides", "message"),
    [
        ("lazy", {}, "--learners: unknown 'lazy'"),
        ("bkt", {"best_challenge_x": "1"}, "--learner-param best_challenge_x"),
        ("bkt", {"learn": "1.5"}, "--learner-param learn: must be in (0, 1)"),
        ("prerequisite_gated", {"guess": "x"}, "--learner-param guess: expected a number"),
        ("compensatory", {"mastery_probability": "1"}, "--learner-param mastery_probability"),
    ],
)
def test_bad_learner_choices_name_the_option(
    choice: str, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        family_setups(choice, overrides)
