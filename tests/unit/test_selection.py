"""Unit tests for `core.practice.selection`: Smart Practice picks the next item."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartpractice.core.config import SelectionConfig
from smartpractice.core.practice.selection import (
    Selection,
    SkillView,
    clearly_unmet,
    select_next_item,
    target_gap,
)
from smartpractice.core.rating.elo import expected_success
from smartpractice.core.types import Candidate

CONFIG = SelectionConfig()
GOAL = target_gap(target_success=CONFIG.target_success)
COMPONENTS = ("elo_match", "thompson", "weak_skill", "recency")
SKILLS = ("algebra", "fractions", "geometry", "ratios")


def view(
    rating: float = 1200.0,
    *,
    uncertainty: float = 0.5,
    typical: float = 1200.0,
    proficiency: float | None = None,
    prerequisites: tuple[str, ...] = (),
) -> SkillView:
    """A skill view whose proficiency is, by default, the Elo prediction on a typical item."""
    return SkillView(
        rating=rating,
        uncertainty=uncertainty,
        proficiency=(
            expected_success(rating=rating, difficulty=typical)
            if proficiency is None
            else proficiency
        ),
        typical_difficulty=typical,
        prerequisites=prerequisites,
    )


def pick(
    candidates: list[Candidate],
    skills: dict[str, SkillView],
    *,
    seed: int = 7,
    config: SelectionConfig = CONFIG,
) -> Selection:
    selection = select_next_item(
        candidates, skills=skills, config=config, rng=np.random.default_rng(seed)
    )
    assert selection is not None
    return selection


def weighted(config: SelectionConfig, components: Mapping[str, float]) -> float:
    """The weighted sum of the components with the config's weights, restated."""
    return sum(float(getattr(config, f"weight_{name}")) * components[name] for name in COMPONENTS)


# --- golden values and examples ------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "gap"),
    [
        (0.5, 0.0),  # a coin flip: difficulty equals rating
        (1.0 / 11.0, 400.0),  # 10:1 against: 400 points harder
        (10.0 / 11.0, -400.0),  # 10:1 in favour: 400 points easier
        # The customer's challenge zone 0.36: 400 * log10(0.64 / 0.36) = 99.95 points harder.
        (0.36, 99.95),
        # The default 0.65: 400 * log10(0.35 / 0.65) = -107.54, about 108 points easier.
        (0.65, -107.54),
    ],
)
def test_target_gap_table(target: float, gap: float) -> None:
    assert target_gap(target_success=target) == pytest.approx(gap, abs=0.01)


def test_no_candidates_gives_none() -> None:
    rng = np.random.default_rng(0)
    assert select_next_item([], skills={"algebra": view()}, config=CONFIG, rng=rng) is None


def test_single_candidate_components_match_hand_computation() -> None:
    # Rating 1200, item at 1300 on algebra, seen 24 h ago (one half-life), rating settled
    # (uncertainty 0 -> prior strength 30), proficiency 0.5 at typical difficulty 1200.
    # Default target 0.65: target gap = 400 * log10(0.35 / 0.65) = -107.54 points.
    #   gap = 100, elo_match = exp(-0.5 * ((100 + 107.54) / 300) ** 2) = 0.78719
    #   predicted = 1 / (1 + 10 ** (100 / 400)) = 0.3599
    #   weak_skill = 1 - 0.5 = 0.5, recency = 1 - 0.5 ** (24 / 24) = 0.5
    #   thompson = 1 - |draw - 0.65| / 0.65
    selection = pick(
        [Candidate("q1", {"algebra": 1300.0}, hours_since_seen=24.0)],
        {"algebra": view(uncertainty=0.0)},
    )
    chosen = selection.chosen
    assert chosen.item_id == "q1"
    assert selection.runner_up is None
    assert chosen.difficulty_gap == pytest.approx(100.0)
    assert chosen.predicted_success == pytest.approx(1.0 / (1.0 + 10.0**0.25))
    assert chosen.components["elo_match"] == pytest.approx(0.78719, abs=1e-5)
    assert chosen.components["weak_skill"] == pytest.approx(0.5)
    assert chosen.components["recency"] == pytest.approx(0.5)
    assert chosen.components["thompson"] == pytest.approx(
        1.0 - abs(chosen.thompson_sample - 0.65) / 0.65
    )
    assert chosen.score == pytest.approx(weighted(CONFIG, chosen.components))
    assert (selection.considered, selection.gated, selection.pruned) == (1, 0, 0)


def test_explanation_says_easier_for_an_item_well_below_typical() -> None:
    # A weak student (900) on a skill whose items are typically at 1200: the pick is near
    # the target 900 - 107.5 (default target 0.65), far below the typical item, and the
    # reasons say so. Only easy and fairly-easy lie within 350 points of 792.5.
    skills = {"fractions": view(900.0, typical=1200.0)}
    candidates = [
        Candidate("easy", {"fractions": 800.0}),
        Candidate("fairly-easy", {"fractions": 1000.0}),
        Candidate("typical", {"fractions": 1200.0}),
        Candidate("hard", {"fractions": 1450.0}),
    ]
    selection = pick(candidates, skills, config=replace(CONFIG, weight_thompson=0.0))
    assert selection.chosen.item_id == "easy"
    assert any("easier" in reason for reason in selection.reasons)
    assert any("weak skill" in reason for reason in selection.reasons)
    assert any("for the runner-up" in reason for reason in selection.reasons)


def test_explanation_says_harder_for_an_item_well_above_typical() -> None:
    skills = {"fractions": view(1500.0, typical=1200.0)}
    selection = pick([Candidate("stretch", {"fractions": 1600.0})], skills)
    assert any("harder" in reason for reason in selection.reasons)
    assert not any("easier" in reason for reason in selection.reasons)


def test_unmet_prerequisite_gates_and_remediation_is_explained() -> None:
    # Fractions builds on ratios; ratios is clearly weak (proficiency 0.2, uncertainty 0.3).
    skills = {
        "fractions": view(1200.0, prerequisites=("ratios",)),
        "ratios": view(1000.0, uncertainty=0.3, proficiency=0.2),
    }
    candidates = [
        Candidate("fractions-perfect-match", {"fractions": 1300.0}),
        Candidate("ratios-drill", {"ratios": 1100.0}, remediation_for="fractions"),
    ]
    selection = pick(candidates, skills)
    assert selection.chosen.item_id == "ratios-drill"
    assert selection.gated == 1
    assert any("prerequisite of fractions" in reason for reason in selection.reasons)


def test_prerequisite_with_little_evidence_does_not_gate() -> None:
    # Proficiency is low but uncertainty 0.9 >= 0.8: we do not know it is weak yet.
    skills = {
        "fractions": view(1200.0, prerequisites=("ratios",)),
        "ratios": view(1000.0, uncertainty=0.9, proficiency=0.2),
    }
    selection = pick(
        [Candidate("f", {"fractions": 1300.0}), Candidate("r", {"ratios": 3000.0})], skills
    )
    assert selection.gated == 0


@pytest.mark.parametrize(
    ("proficiency", "uncertainty", "unmet"),
    [
        (0.2, 0.5, True),  # weak, and known to be
        (0.2, 0.9, False),  # weak on too little evidence
        (0.9, 0.5, False),  # proficient
        (CONFIG.prerequisite_gate, 0.5, False),  # the gate itself passes
        (0.2, CONFIG.prerequisite_gate_max_uncertainty, False),  # so does the uncertainty cap
    ],
)
def test_clearly_unmet_needs_low_proficiency_and_real_evidence(
    proficiency: float, uncertainty: float, unmet: bool
) -> None:
    skill = view(uncertainty=uncertainty, proficiency=proficiency)
    assert clearly_unmet(skill, CONFIG) is unmet


def test_when_every_candidate_is_gated_one_is_still_picked() -> None:
    skills = {
        "fractions": view(1200.0, prerequisites=("ratios",)),
        "ratios": view(1000.0, uncertainty=0.1, proficiency=0.1),
    }
    candidates = [Candidate("f1", {"fractions": 1300.0}), Candidate("f2", {"fractions": 1250.0})]
    selection = pick(candidates, skills)
    assert selection.gated == 2
    assert selection.chosen.item_id in {"f1", "f2"}


def test_window_and_cap_prune_far_candidates() -> None:
    # Target difficulty is 1200 - 107.54 = 1092.46 (default target 0.65); the window is
    # +/- 350 points: 742-1442.
    skills = {"algebra": view(1200.0)}
    near = [Candidate(f"near{i}", {"algebra": 1250.0 + i}) for i in range(5)]
    far = [Candidate("far-easy", {"algebra": 600.0}), Candidate("far-hard", {"algebra": 2000.0})]
    selection = pick(far + near, skills)
    assert (selection.considered, selection.pruned) == (5, 2)
    assert selection.chosen.item_id.startswith("near")
    capped = pick(far + near, skills, config=replace(CONFIG, max_candidates=2))
    assert (capped.considered, capped.pruned) == (2, 5)
    # Stable: the two closest to the target (1092.46) are near0 (1250) and near1 (1251).
    assert {capped.chosen.item_id, capped.runner_up.item_id if capped.runner_up else ""} == {
        "near0",
        "near1",
    }


def test_all_candidates_outside_the_window_are_still_considered() -> None:
    skills = {"algebra": view(1200.0)}
    selection = pick(
        [Candidate("a", {"algebra": 100.0}), Candidate("b", {"algebra": 2900.0})], skills
    )
    assert (selection.considered, selection.pruned) == (2, 0)


@pytest.mark.parametrize(
    ("hours_a", "hours_b", "winner"),
    [
        (None, 0.0, "a"),  # never seen beats seen moments ago
        (None, 1.0, "a"),  # never seen beats seen an hour ago
        (72.0, 1.0, "a"),  # three days ago beats an hour ago
        (0.5, 500.0, "b"),  # seen long ago beats seen half an hour ago
    ],
)
def test_recency_prefers_items_not_seen_lately(
    hours_a: float | None, hours_b: float | None, winner: str
) -> None:
    skills = {"algebra": view(1200.0)}
    candidates = [
        Candidate("a", {"algebra": 1300.0}, hours_since_seen=hours_a),
        Candidate("b", {"algebra": 1300.0}, hours_since_seen=hours_b),
    ]
    selection = pick(candidates, skills, config=replace(CONFIG, weight_thompson=0.0))
    assert selection.chosen.item_id == winner


def test_uncertain_ratings_give_wider_thompson_draws() -> None:
    # Prior strength 2 (uncertainty 1) versus 30 (uncertainty 0) around the same p = 0.36.
    candidates = [Candidate("q", {"algebra": 1300.0})]

    def spread(u: float) -> float:
        draws = [
            pick(candidates, {"algebra": view(uncertainty=u)}, seed=seed).chosen.thompson_sample
            for seed in range(200)
        ]
        return float(np.std(draws))

    assert spread(1.0) > 1.5 * spread(0.0)


# --- Hypothesis properties ---------------------------------------------------------------

ratings = st.floats(min_value=0.0, max_value=3000.0)
unit = st.floats(min_value=0.0, max_value=1.0)


@dataclass(frozen=True)
class Situation:
    candidates: list[Candidate]
    skills: dict[str, SkillView]
    config: SelectionConfig
    seed: int


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    """Any student view over up to four skills (with prerequisites) and up to 12 items."""
    skill_ids = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=4, unique=True))
    skills = {
        s: SkillView(
            rating=draw(ratings),
            uncertainty=draw(unit),
            proficiency=draw(unit),
            typical_difficulty=draw(ratings),
            prerequisites=tuple(
                p
                for p in draw(st.lists(st.sampled_from(skill_ids), max_size=2, unique=True))
                if p != s
            ),
        )
        for s in skill_ids
    }
    count = draw(st.integers(min_value=1, max_value=12))
    candidates = [
        Candidate(
            item_id=f"q{i}",
            difficulties=draw(
                st.dictionaries(st.sampled_from(skill_ids), ratings, min_size=1, max_size=2)
            ),
            hours_since_seen=draw(st.none() | st.floats(min_value=0.0, max_value=2000.0)),
            successes=draw(st.integers(min_value=0, max_value=10)),
            failures=draw(st.integers(min_value=0, max_value=10)),
            remediation_for=draw(st.none() | st.sampled_from(skill_ids)),
        )
        for i in range(count)
    ]
    weights = st.floats(min_value=0.0, max_value=1.0)
    config = draw(
        st.just(CONFIG)
        | st.builds(
            SelectionConfig,
            weight_elo_match=weights,
            weight_thompson=weights,
            weight_weak_skill=weights,
            weight_recency=weights,
            target_success=st.floats(min_value=0.05, max_value=0.95),
            max_candidates=st.integers(min_value=1, max_value=12),
        )
    )
    return Situation(candidates, skills, config, draw(st.integers(min_value=0, max_value=2**32)))


def gated_by_spec(candidate: Candidate, situation: Situation) -> bool:
    """The spec's gate, restated: a prerequisite with low proficiency and real evidence."""
    config = situation.config
    for skill in candidate.difficulties:
        for prerequisite in situation.skills[skill].prerequisites:
            pre = situation.skills[prerequisite]
            if (
                pre.proficiency < config.prerequisite_gate
                and pre.uncertainty < config.prerequisite_gate_max_uncertainty
            ):
                return True
    return False


@given(situation=situations())
@settings(max_examples=50, deadline=None)
def test_same_seed_gives_the_same_pick(situation: Situation) -> None:
    first = pick(
        situation.candidates, situation.skills, seed=situation.seed, config=situation.config
    )
    again = pick(
        situation.candidates, situation.skills, seed=situation.seed, config=situation.config
    )
    assert again == first


@given(situation=situations())
@settings(max_examples=100, deadline=None)
def test_selection_invariants(situation: Situation) -> None:
    config = situation.config
    selection = pick(situation.candidates, situation.skills, seed=situation.seed, config=config)
    scored = [selection.chosen] + ([selection.runner_up] if selection.runner_up else [])
    for candidate in scored:
        assert set(candidate.components) == set(COMPONENTS)
        assert all(0.0 <= value <= 1.0 for value in candidate.components.values())
        assert candidate.score == pytest.approx(
            weighted(config, candidate.components), rel=1e-12, abs=1e-12
        )
        assert 0.0 <= candidate.predicted_success <= 1.0
        assert 0.0 <= candidate.thompson_sample <= 1.0
        assert math.isfinite(candidate.difficulty_gap)

    if selection.runner_up is not None:
        assert selection.runner_up.item_id != selection.chosen.item_id
        assert selection.runner_up.score <= selection.chosen.score
    else:
        assert selection.considered == 1

    by_id = {c.item_id: c for c in situation.candidates}
    gated = [c for c in situation.candidates if gated_by_spec(c, situation)]
    assert selection.gated == len(gated)
    if len(gated) < len(situation.candidates):
        # An ungated candidate exists: nothing gated is ever chosen.
        assert not gated_by_spec(by_id[selection.chosen.item_id], situation)
        pool = len(situation.candidates) - len(gated)
    else:
        pool = len(situation.candidates)
    assert selection.considered + selection.pruned == pool
    assert 1 <= selection.considered <= config.max_candidates

    chosen = by_id[selection.chosen.item_id]
    for skill, difficulty in chosen.difficulties.items():
        typical = situation.skills[skill].typical_difficulty
        if difficulty < typical - 100.0:
            assert any(f"easier than the typical {skill}" in r for r in selection.reasons)
        if difficulty > typical + 100.0:
            assert any(f"harder than the typical {skill}" in r for r in selection.reasons)


@given(
    rating=st.floats(min_value=600.0, max_value=2400.0),
    offsets=st.lists(
        st.floats(min_value=-600.0, max_value=600.0), min_size=2, max_size=10, unique=True
    ),
    hours=st.none() | st.floats(min_value=0.0, max_value=100.0),
    uncertainty=unit,
    seed=st.integers(min_value=0, max_value=2**32),
)
@settings(max_examples=100, deadline=None)
def test_without_thompson_the_gap_closest_to_target_wins(
    rating: float, offsets: list[float], hours: float | None, uncertainty: float, seed: int
) -> None:
    # Same skill, same history, same recency: only the difficulty differs.
    distances = sorted(abs(offset - GOAL) for offset in offsets)
    assume(distances[1] - distances[0] > 1.0)  # a clear winner, not a float tie
    candidates = [
        Candidate(f"q{i}", {"algebra": rating + offset}, hours_since_seen=hours)
        for i, offset in enumerate(offsets)
    ]
    selection = pick(
        candidates,
        {"algebra": view(rating, uncertainty=uncertainty)},
        seed=seed,
        config=replace(CONFIG, weight_thompson=0.0),
    )
    best = min(range(len(offsets)), key=lambda i: abs(offsets[i] - GOAL))
    assert selection.chosen.item_id == f"q{best}"


@pytest.mark.parametrize(
    ("hours", "chosen", "runner_up"),
    [
        # same item twice, never seen: equal scores keep the candidates' order
        ((None, None, None), "q0", "q1"),
        # only recency differs: never seen > seen 12 hours ago > seen just now
        ((0.0, 12.0, None), "q2", "q1"),
        ((12.0, None, 0.0), "q1", "q0"),
    ],
)
def test_runner_up_is_the_best_of_the_rest_and_ties_keep_candidate_order(
    hours: tuple[float | None, ...], chosen: str, runner_up: str
) -> None:
    candidates = [
        Candidate(f"q{i}", {"algebra": 1200.0 + GOAL}, hours_since_seen=h)
        for i, h in enumerate(hours)
    ]
    config = replace(CONFIG, weight_thompson=0.0)
    selection = pick(candidates, {"algebra": view(1200.0)}, config=config)
    assert selection.chosen.item_id == chosen
    assert selection.runner_up is not None
    assert selection.runner_up.item_id == runner_up
    assert selection.considered == 3
