"""Unit tests for `core.rating.calibration`: the optimum against SciPy, edge cases,
input checks and Hypothesis properties of the regularised 1PL fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from smartpractice.core.rating.calibration import (
    CalibrationPriors,
    DifficultyFit,
    fit_difficulties,
    objective_gradient,
)

TIGHT = CalibrationPriors(tolerance=1e-8, max_iterations=5000)


@dataclass(frozen=True)
class Problem:
    students: np.ndarray
    items: np.ndarray
    performance: np.ndarray
    weights: np.ndarray
    prior: np.ndarray
    n_students: int
    groups: np.ndarray | None = None
    n_groups: int = 0

    def fit(
        self, priors: CalibrationPriors = TIGHT, *, ability_mean: float = 1200.0
    ) -> DifficultyFit:
        return fit_difficulties(
            self.students,
            self.items,
            self.performance,
            self.weights,
            self.prior,
            n_students=self.n_students,
            ability_mean=ability_mean,
            groups=self.groups,
            n_groups=self.n_groups,
            priors=priors,
        )

    def objective(
        self, abilities: np.ndarray, difficulties: np.ndarray, shifts: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        return objective_gradient(
            abilities,
            difficulties,
            shifts,
            students=self.students,
            items=self.items,
            performance=self.performance,
            weights=self.weights,
            prior_difficulties=self.prior,
            ability_mean=1200.0,
            groups=self.groups,
            priors=TIGHT,
        )

    def gradient(self, fit: DifficultyFit) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        return self.objective(fit.abilities, fit.difficulties, fit.shifts)


def random_problem(seed: int, *, grouped: bool, observations: int = 300) -> Problem:
    rng = np.random.default_rng(seed)
    n_students, n_items, n_groups = 30, 12, 3
    return Problem(
        students=rng.integers(n_students, size=observations),
        items=rng.integers(n_items, size=observations),
        performance=np.where(rng.uniform(size=observations) < 0.2, 0.5, 0.0)
        + rng.integers(2, size=observations) * 0.5,
        weights=rng.uniform(0.5, 1.5, size=observations),
        prior=rng.choice([1000.0, 1200.0, 1400.0], size=n_items),
        n_students=n_students,
        groups=rng.integers(n_groups, size=n_items) if grouped else None,
        n_groups=n_groups if grouped else 0,
    )


def one_item(outcomes: list[float], *, prior: float = 1200.0) -> Problem:
    """Distinct students each answering item 0 once, plus item 1 that nobody answers."""
    count = len(outcomes)
    return Problem(
        students=np.arange(count),
        items=np.zeros(count, dtype=np.int64),
        performance=np.asarray(outcomes, dtype=np.float64),
        weights=np.ones(count),
        prior=np.asarray([prior, 1300.0]),
        n_students=count,
    )


# --- the optimum ---------------------------------------------------------------------------


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_fit_is_the_maximum_scipy_finds(seed: int, grouped: bool) -> None:
    problem = random_problem(seed, grouped=grouped)
    fit = problem.fit()
    assert fit.converged
    n_s, n_i = problem.n_students, problem.prior.size

    def negative(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, g_t, g_d, g_g = problem.objective(x[:n_s], x[n_s : n_s + n_i], x[n_s + n_i :])
        return -value, -np.concatenate([g_t, g_d, g_g])

    start = np.concatenate([np.full(n_s, 1200.0), problem.prior, np.zeros(problem.n_groups)])
    found = minimize(
        negative, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15}
    )
    np.testing.assert_allclose(fit.difficulties, found.x[n_s : n_s + n_i], atol=0.01)
    np.testing.assert_allclose(fit.shifts, found.x[n_s + n_i :], atol=0.01)
    assert -found.fun <= problem.gradient(fit)[0] + 1e-9


@pytest.mark.parametrize("grouped", [False, True])
def test_the_gradient_matches_finite_differences(grouped: bool) -> None:
    problem = random_problem(3, grouped=grouped, observations=60)
    rng = np.random.default_rng(0)
    fit = problem.fit()
    params = [
        fit.abilities + rng.normal(scale=80.0, size=fit.abilities.size),
        fit.difficulties + rng.normal(scale=80.0, size=fit.difficulties.size),
        fit.shifts + rng.normal(scale=80.0, size=fit.shifts.size),
    ]

    def evaluate() -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        return problem.objective(params[0], params[1], params[2])

    analytic = evaluate()[1:]
    for block, expected in zip(params, analytic, strict=True):
        for k in range(block.size):
            block[k] += 1e-3
            up = evaluate()[0]
            block[k] -= 2e-3
            down = evaluate()[0]
            block[k] += 1e-3
            assert (up - down) / 2e-3 == pytest.approx(expected[k], abs=1e-6)


# --- golden cases --------------------------------------------------------------------------


def test_without_observations_everything_stays_at_its_prior() -> None:
    empty = np.zeros(0, dtype=np.int64)
    fit = fit_difficulties(
        empty,
        empty,
        np.zeros(0),
        np.zeros(0),
        np.asarray([1000.0, 1400.0]),
        n_students=2,
        ability_mean=1200.0,
    )
    np.testing.assert_array_equal(fit.difficulties, [1000.0, 1400.0])
    np.testing.assert_array_equal(fit.abilities, [1200.0, 1200.0])
    np.testing.assert_allclose(fit.standard_errors, CalibrationPriors().difficulty_sd)
    assert fit.converged


def test_an_item_everyone_fails_gets_harder_and_one_everyone_passes_gets_easier() -> None:
    failed = one_item([0.0] * 10).fit()
    passed = one_item([1.0] * 10).fit()
    assert failed.difficulties[0] > 1200.0 + 100.0
    assert passed.difficulties[0] < 1200.0 - 100.0
    # Mirror images around the prior, and the item nobody answered stays at its label.
    assert failed.difficulties[0] - 1200.0 == pytest.approx(1200.0 - passed.difficulties[0])
    assert failed.difficulties[1] == pytest.approx(1300.0, abs=1e-6)
    assert passed.difficulties[1] == pytest.approx(1300.0, abs=1e-6)


def test_half_right_on_a_label_matching_item_leaves_it_at_its_label() -> None:
    fit = one_item([1.0, 0.0] * 5).fit()
    assert fit.difficulties[0] == pytest.approx(1200.0, abs=1e-3)


def test_more_evidence_moves_further_and_is_more_certain() -> None:
    few = one_item([0.0] * 3).fit()
    many = one_item([0.0] * 30).fit()
    assert 1200.0 < few.difficulties[0] < many.difficulties[0]
    assert many.standard_errors[0] < few.standard_errors[0] < CalibrationPriors().difficulty_sd


def test_a_weaker_prior_lets_the_evidence_move_the_item_further() -> None:
    problem = one_item([0.0] * 5)
    tight = problem.fit(CalibrationPriors(difficulty_sd=50.0, tolerance=1e-8))
    loose = problem.fit(CalibrationPriors(difficulty_sd=400.0, tolerance=1e-8))
    assert 1200.0 < tight.difficulties[0] < loose.difficulties[0]


def test_a_skill_shift_carries_to_the_items_of_that_skill_nobody_answered() -> None:
    # Items 0-3 of group 0 are all failed; item 4 of group 0 and item 5 of group 1 unseen.
    students = np.arange(40)
    problem = Problem(
        students=students,
        items=students % 4,
        performance=np.zeros(40),
        weights=np.ones(40),
        prior=np.asarray([1200.0, 1000.0, 1400.0, 1200.0, 1100.0, 1100.0]),
        n_students=40,
        groups=np.asarray([0, 0, 0, 0, 0, 1]),
        n_groups=2,
    )
    fit = problem.fit()
    assert fit.shifts[0] > 50.0
    assert fit.shifts[1] == pytest.approx(0.0, abs=1e-6)
    assert fit.difficulties[4] == pytest.approx(1100.0 + fit.shifts[0])
    assert fit.difficulties[5] == pytest.approx(1100.0, abs=1e-6)
    assert fit.shift_errors[0] < fit.shift_errors[1] == pytest.approx(200.0)


def test_a_weight_counts_like_repeating_the_observation() -> None:
    once = Problem(
        students=np.asarray([0, 1, 1]),
        items=np.asarray([0, 0, 1]),
        performance=np.asarray([0.0, 1.0, 0.3]),
        weights=np.asarray([2.0, 1.0, 1.0]),
        prior=np.asarray([1200.0, 1250.0]),
        n_students=2,
    ).fit()
    twice = Problem(
        students=np.asarray([0, 0, 1, 1]),
        items=np.asarray([0, 0, 0, 1]),
        performance=np.asarray([0.0, 0.0, 1.0, 0.3]),
        weights=np.ones(4),
        prior=np.asarray([1200.0, 1250.0]),
        n_students=2,
    ).fit()
    np.testing.assert_allclose(once.difficulties, twice.difficulties, atol=1e-4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": np.asarray([0, 5])}, "item index"),
        ({"students": np.asarray([0, -1])}, "student index"),
        ({"performance": np.asarray([0.5, 1.5])}, r"performance must lie in \[0, 1\]"),
        ({"weights": np.asarray([1.0, 0.0])}, "weights must be positive"),
        ({"weights": np.asarray([1.0])}, "equally long"),
        ({"prior": np.asarray([np.nan, 1200.0])}, "finite"),
        ({"groups": np.asarray([0])}, "one group per item-skill"),
        ({"groups": np.asarray([0, 3])}, "group index"),
    ],
)
def test_bad_input_is_refused(change: dict[str, np.ndarray], message: str) -> None:
    arguments = {
        "students": np.asarray([0, 1]),
        "items": np.asarray([0, 1]),
        "performance": np.asarray([1.0, 0.0]),
        "weights": np.ones(2),
        "prior": np.asarray([1200.0, 1200.0]),
        "groups": None,
    } | change
    with pytest.raises(ValueError, match=message):
        fit_difficulties(
            arguments["students"],
            arguments["items"],
            arguments["performance"],
            arguments["weights"],
            arguments["prior"],
            n_students=2,
            ability_mean=1200.0,
            groups=arguments["groups"],
            n_groups=2 if arguments["groups"] is not None else 0,
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"difficulty_sd": 0.0},
        {"ability_sd": -1.0},
        {"shift_sd": 0.0},
        {"tolerance": 0.0},
        {"max_step": 0.0},
        {"max_iterations": 0},
    ],
)
def test_bad_priors_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CalibrationPriors(**bad)  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------

outcome_lists = st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), grouped=st.booleans())
def test_the_fit_is_a_stationary_point(seed: int, grouped: bool) -> None:
    problem = random_problem(seed, grouped=grouped, observations=80)
    fit = problem.fit()
    assert fit.converged
    _, g_t, g_d, g_g = problem.gradient(fit)
    # Gradients are nats per Elo point; a tolerance of 1e-8 Elo points leaves ~1e-9.
    assert np.max(np.abs(np.concatenate([g_t, g_d, g_g]))) < 1e-6
    assert np.all(np.isfinite(fit.difficulties))
    assert np.all(fit.standard_errors > 0.0)


@settings(max_examples=60, deadline=None)
@given(outcomes=outcome_lists, prior=st.floats(500.0, 2000.0))
def test_failures_never_make_an_item_easier_than_its_label(
    outcomes: list[float], prior: float
) -> None:
    failed = one_item([0.0] * len(outcomes), prior=prior).fit()
    passed = one_item([1.0] * len(outcomes), prior=prior).fit()
    mixed = one_item(outcomes, prior=prior).fit()
    assert failed.difficulties[0] > prior > passed.difficulties[0]
    assert passed.difficulties[0] - 1e-6 <= mixed.difficulties[0] <= failed.difficulties[0] + 1e-6


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 79))
def test_a_better_answer_never_makes_its_item_harder(seed: int, index: int) -> None:
    problem = random_problem(seed, grouped=False, observations=80)
    worse = problem.performance.copy()
    worse[index] = 0.0
    better = problem.performance.copy()
    better[index] = 1.0
    item = problem.items[index]
    hard = Problem(**{**problem.__dict__, "performance": worse}).fit()
    easy = Problem(**{**problem.__dict__, "performance": better}).fit()
    assert easy.difficulties[item] < hard.difficulties[item]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), offset=st.floats(-500.0, 500.0), grouped=st.booleans())
def test_moving_every_prior_moves_the_fit_by_as_much(
    seed: int, offset: float, grouped: bool
) -> None:
    problem = random_problem(seed, grouped=grouped, observations=60)
    base = problem.fit()
    moved = Problem(**{**problem.__dict__, "prior": problem.prior + offset}).fit(
        ability_mean=1200.0 + offset
    )
    np.testing.assert_allclose(moved.difficulties, base.difficulties + offset, atol=1e-4)
    np.testing.assert_allclose(moved.abilities, base.abilities + offset, atol=1e-4)
    np.testing.assert_allclose(moved.standard_errors, base.standard_errors, rtol=1e-6)
