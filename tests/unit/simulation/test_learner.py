"""The synthetic learner's dynamics: golden values and Hypothesis properties."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice_lab.simulation.bank import SimBank
from smartpractice_lab.simulation.config import LearnerConfig
from smartpractice_lab.simulation.learner import Answer, Learner, elo_chance
from tests.unit.simulation.conftest import BASIC, LINEAR, WORDS, tiny_bank

CONFIG = LearnerConfig()
BANK = tiny_bank()


def learner(
    config: LearnerConfig = CONFIG, *, seed: int = 0, rate: float | None = 80.0, **abilities: float
) -> Learner:
    """A learner with a fixed learning rate and, optionally, fixed abilities by skill alias."""
    made = Learner(BANK, config, np.random.default_rng(seed), new_skills=[LINEAR, WORDS])
    if rate is not None:
        made.rate = rate
    names = {"basic": BASIC, "linear": LINEAR, "words": WORDS}
    for alias, value in abilities.items():
        made.ability[names[alias]] = value
        made.start[names[alias]] = value
    return made


def solved(chance: float = 0.5) -> Answer:
    return Answer(chance=chance, solved=True, correct=True, seconds=60.0)


def failed(chance: float = 0.5) -> Answer:
    return Answer(chance=chance, solved=False, correct=False, seconds=60.0)


def ability_for(chance: float, difficulty: float) -> float:
    """The ability (Elo points) that solves `difficulty` with probability `chance`."""
    return difficulty + 400.0 * math.log10(chance / (1.0 - chance))


# --- golden values ------------------------------------------------------------------------


def test_elo_chance_golden_values() -> None:
    assert elo_chance(1200.0, 1200.0) == 0.5
    assert elo_chance(1600.0, 1200.0) == pytest.approx(10.0 / 11.0)  # 400 points: 10:1 odds
    assert elo_chance(0.0, 3000.0) == pytest.approx(1.0 / (1.0 + 10**7.5))


def test_chance_is_guess_plus_skill_share_and_conjunctive_over_skills() -> None:
    student = learner(basic=1000.0, linear=1200.0, words=1200.0)
    # b-1 (Easy, 1000) at ability 1000: solve 0.5 -> 0.1 + 0.85 * 0.5 = 0.525.
    assert student.chance(BANK.items["b-1"]) == pytest.approx(0.525)
    # w-2 tests words and linear, both Hard (1400) at ability 1200: each solved with
    # 1 / (1 + 10^0.5) = 0.24025; both needed: 0.05772 -> 0.1 + 0.85 * 0.05772 = 0.14906.
    assert student.chance(BANK.items["w-2"]) == pytest.approx(0.1 + 0.85 * 0.24025307**2)


def test_mastery_means_a_latent_chance_of_mastery_probability_on_the_typical_item() -> None:
    typical = BANK.typical_true[BASIC]  # (1000 + 1200) / 2 = 1100
    assert typical == pytest.approx(1100.0)
    level = typical + 400.0 * math.log10(0.8 / 0.2)  # 1100 + 240.82 = 1340.82
    assert learner(basic=level + 0.01).mastered([BASIC])
    assert not learner(basic=level - 0.01).mastered([BASIC])
    assert not learner(basic=level + 1.0, linear=0.0).mastered([BASIC, LINEAR])


def test_a_solved_attempt_at_the_best_challenge_teaches_the_full_rate() -> None:
    item = BANK.items["b-2"]  # Medium: 1200, no prerequisites
    student = learner(basic=ability_for(CONFIG.best_challenge, 1200.0))
    before = student.ability[BASIC]
    student.learn(item, solved(), day=0.0)
    assert student.ability[BASIC] - before == pytest.approx(80.0)


@pytest.mark.parametrize(
    ("chance", "share"),
    [
        # zone(p) = exp(-((logit p - logit 0.7) / 1.5)^2 / 2), logit 0.7 = 0.8473
        (0.7, 1.0),
        (0.5, math.exp(-0.5 * (0.8473 / 1.5) ** 2)),  # 0.8525: a coin flip teaches less
        (0.3, math.exp(-0.5 * (1.6946 / 1.5) ** 2)),  # 0.5282: too hard teaches half
        (0.95, math.exp(-0.5 * ((2.9444 - 0.8473) / 1.5) ** 2)),  # 0.3763: too easy
    ],
)
def test_learning_follows_the_challenge_zone(chance: float, share: float) -> None:
    student = learner(basic=ability_for(chance, 1200.0))
    before = student.ability[BASIC]
    student.learn(BANK.items["b-2"], solved(), day=0.0)
    assert student.ability[BASIC] - before == pytest.approx(80.0 * share, rel=1e-3)


def test_failure_teaches_less_and_a_lucky_guess_teaches_nothing() -> None:
    at_best = ability_for(CONFIG.best_challenge, 1200.0)
    wrong = learner(basic=at_best)
    wrong.learn(BANK.items["b-2"], failed(), day=0.0)
    assert wrong.ability[BASIC] - at_best == pytest.approx(80.0 * CONFIG.failure_learning)
    lucky = learner(basic=at_best)
    lucky.learn(
        BANK.items["b-2"], Answer(chance=0.5, solved=False, correct=True, seconds=9), day=0.0
    )
    assert lucky.ability[BASIC] == at_best


def test_a_repeated_item_teaches_less_until_it_is_forgotten() -> None:
    def second_gain(days_later: float) -> float:
        student = learner(basic=ability_for(CONFIG.best_challenge, 1200.0))
        student.learn(BANK.items["b-2"], solved(), day=0.0)
        # Put the ability back at the best challenge so only the repeat differs.
        student.ability[BASIC] = ability_for(CONFIG.best_challenge, 1200.0)
        before = student.ability[BASIC]
        student.learn(BANK.items["b-2"], solved(), day=days_later)
        return student.ability[BASIC] - before

    assert second_gain(0.0) == pytest.approx(80.0 * CONFIG.repeat_learning)  # 24
    # One memory half-life later: 1 - (1 - 0.3) * 0.5 = 0.65 of the full gain.
    assert second_gain(CONFIG.item_memory_days) == pytest.approx(80.0 * 0.65)
    assert second_gain(30.0) == pytest.approx(80.0, rel=1e-6)


def test_a_frustrated_learner_learns_less_until_a_success() -> None:
    student = learner(basic=ability_for(CONFIG.best_challenge, 1200.0), linear=2000.0)
    for _ in range(CONFIG.frustration_streak):
        student.learn(BANK.items["l-1"], failed(), day=0.0)
    assert student.failures_in_a_row == 3
    before = student.ability[BASIC]
    student.learn(BANK.items["b-2"], solved(), day=0.0)
    assert student.ability[BASIC] - before == pytest.approx(80.0 * CONFIG.frustration_learning)
    assert student.failures_in_a_row == 0


def test_weak_prerequisites_slow_learning() -> None:
    at_best = ability_for(CONFIG.best_challenge, 1200.0)
    weak = learner(basic=-1000.0, linear=at_best)
    strong = learner(basic=3000.0, linear=at_best)
    for student in (weak, strong):
        student.learn(BANK.items["l-2"], solved(), day=0.0)
    assert strong.ability[LINEAR] - at_best == pytest.approx(80.0)
    # A prerequisite known not at all leaves `prerequisite_floor` of the learning.
    assert weak.ability[LINEAR] - at_best == pytest.approx(
        80.0 * CONFIG.prerequisite_floor, rel=1e-4
    )


def test_forgetting_halves_the_gain_per_half_life_and_never_goes_below_the_start() -> None:
    student = learner(basic=1000.0, linear=900.0)
    student.ability[BASIC] = 1200.0  # gained 200
    student.ability[LINEAR] = 850.0  # below its start: nothing to forget
    student.forget(CONFIG.forgetting_half_life_days)
    assert student.ability[BASIC] == pytest.approx(1100.0)
    assert student.ability[LINEAR] == 850.0
    student.forget(1e9)
    assert student.ability[BASIC] == pytest.approx(1000.0)


def test_students_differ_and_the_same_seed_gives_the_same_student() -> None:
    first, again, other = (learner(seed=s, rate=None) for s in (1, 1, 2))
    assert first.start == again.start and first.rate == again.rate
    assert first.start != other.start and first.rate != other.rate


def test_new_skills_start_lower_than_skills_learnt_before() -> None:
    config = dataclasses.replace(CONFIG, start_gap_sd_student=0.0, start_gap_sd_skill=0.0)
    student = Learner(BANK, config, np.random.default_rng(0), new_skills=[LINEAR])
    assert student.start[LINEAR] - BANK.typical_true[LINEAR] == pytest.approx(-150.0)
    assert student.start[BASIC] - BANK.typical_true[BASIC] == pytest.approx(50.0)


def test_answers_are_right_as_often_as_the_chance_says() -> None:
    student = learner(basic=1100.0)
    item = BANK.items["b-2"]
    rng = np.random.default_rng(3)
    answers = [student.answer(item, rng) for _ in range(20_000)]
    assert {a.chance for a in answers} == {student.chance(item)}
    share = sum(a.correct for a in answers) / len(answers)
    # chance = 0.1 + 0.85 / (1 + 10^0.25) = 0.4839; 4 standard errors is 0.014.
    assert share == pytest.approx(student.chance(item), abs=0.014)
    assert all(a.seconds > 0 for a in answers)
    assert np.mean([a.seconds for a in answers if a.correct]) < np.mean(
        [a.seconds for a in answers if not a.correct]
    )


# --- properties ---------------------------------------------------------------------------

abilities = st.floats(min_value=0.0, max_value=3000.0)


@settings(max_examples=200, deadline=None)
@given(basic=abilities, linear=abilities, words=abilities)
def test_chance_stays_between_guess_and_one_minus_slip(
    basic: float, linear: float, words: float
) -> None:
    student = learner(basic=basic, linear=linear, words=words)
    for item in BANK.items.values():
        assert CONFIG.guess <= student.chance(item) <= 1.0 - CONFIG.slip


@settings(max_examples=200, deadline=None)
@given(
    basic=abilities,
    linear=abilities,
    words=abilities,
    outcomes=st.lists(st.sampled_from(["solved", "failed", "lucky", "slip"]), max_size=12),
    item_ids=st.lists(st.sampled_from(sorted(BANK.items)), min_size=12, max_size=12),
)
def test_practice_never_lowers_an_ability(
    basic: float, linear: float, words: float, outcomes: list[str], item_ids: list[str]
) -> None:
    student = learner(basic=basic, linear=linear, words=words)
    kinds = {
        "solved": (True, True),
        "failed": (False, False),
        "lucky": (False, True),
        "slip": (True, False),
    }
    for day, (outcome, item_id) in enumerate(zip(outcomes, item_ids, strict=False)):
        before = dict(student.ability)
        was_solved, correct = kinds[outcome]
        student.learn(
            BANK.items[item_id],
            Answer(chance=0.5, solved=was_solved, correct=correct, seconds=60.0),
            day=day / 3,
        )
        assert all(student.ability[s] >= before[s] for s in before)


@settings(max_examples=100, deadline=None)
@given(low=abilities, high=abilities)
def test_more_ability_never_means_less_chance(low: float, high: float) -> None:
    low, high = sorted((low, high))
    for item in BANK.items.values():
        a = learner(basic=low, linear=low, words=low)
        b = learner(basic=high, linear=high, words=high)
        assert a.chance(item) <= b.chance(item)


def test_bank_fixture_has_no_label_noise(bank: SimBank) -> None:
    for item in bank.items.values():
        assert dict(item.true_difficulties) == dict(item.label_difficulties)
