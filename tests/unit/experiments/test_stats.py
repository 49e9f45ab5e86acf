"""Unit tests for `smartpractice.core.experiments.stats`: golden values, coverage on
synthetic clustered data, error under continuous peeking, and Hypothesis properties."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.experiments.stats import (
    ArmEstimate,
    Difference,
    Guardrail,
    Interval,
    arm_estimate,
    check_guardrail,
    confidence_sequence,
    difference,
    mixture_scale,
    sample_size,
    sequence_radius,
)

Z95 = NormalDist().inv_cdf(0.975)


def clustered_arm(
    rng: np.random.Generator, *, students: int, mean: float, spread: float = 8.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-student (successes, answers): each student's own chance ~ Beta with the given
    mean (strongly clustered: small `spread`), 1-40 answers each."""
    chance = rng.beta(mean * spread, (1 - mean) * spread, size=students)
    answers = rng.integers(1, 41, size=students)
    return rng.binomial(answers, chance).astype(float), answers.astype(float)


# --- estimates: golden values ------------------------------------------------------------


def test_per_student_metric_is_the_mean_with_welch_variance() -> None:
    values = [1.0, 2.0, 4.0, 7.0]
    arm = arm_estimate(totals=values)
    assert arm.value == pytest.approx(3.5)
    assert arm.variance == pytest.approx(np.var(values, ddof=1) / 4)
    assert (arm.students, arm.count) == (4, 4.0)
    assert arm.sd == pytest.approx(np.std(values, ddof=1))


def test_ratio_estimate_by_hand() -> None:
    # Three students: 1 of 2, 3 of 4 and 0 of 2 answers -> R = 4 / 8 = 0.5.
    # Residuals total - R count: 0, 1, -1; variance = 3/2 * 2 / 8^2 = 3 / 64.
    arm = arm_estimate(totals=[1.0, 3.0, 0.0], counts=[2.0, 4.0, 2.0])
    assert arm.value == 0.5
    assert arm.variance == pytest.approx(3 / 64)
    assert (arm.students, arm.count) == (3, 8.0)


def test_students_with_nothing_to_measure_are_left_out() -> None:
    with_empty = arm_estimate(totals=[1.0, 3.0, 0.0, 0.0], counts=[2.0, 4.0, 2.0, 0.0])
    assert with_empty == arm_estimate(totals=[1.0, 3.0, 0.0], counts=[2.0, 4.0, 2.0])


@pytest.mark.parametrize(
    ("totals", "counts", "message"),
    [
        ([1.0], None, "at least two students"),
        ([1.0, 2.0], [0.0, 1.0], "at least two students"),
        ([1.0, 2.0], [1.0], "equally long"),
        ([1.0, math.nan], None, "finite"),
        ([1.0, 2.0], [1.0, -1.0], ">= 0"),
    ],
)
def test_bad_arm_data_is_refused(
    totals: list[float], counts: list[float] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        arm_estimate(totals=totals, counts=counts)


def test_difference_interval_by_hand() -> None:
    treatment = ArmEstimate(value=0.6, variance=0.0009, students=100, count=100.0)
    control = ArmEstimate(value=0.5, variance=0.0016, students=120, count=120.0)
    result = difference(treatment=treatment, control=control)
    assert result.estimate == pytest.approx(0.1)
    assert result.standard_error == pytest.approx(0.05)
    assert result.interval.low == pytest.approx(0.1 - Z95 * 0.05)
    assert result.interval.high == pytest.approx(0.1 + Z95 * 0.05)
    assert result.students == 100


# --- coverage on clustered data ----------------------------------------------------------


def test_clustered_interval_covers_the_true_difference_95_percent() -> None:
    rng = np.random.default_rng(20261207)
    runs, covered, naive_covered = 600, 0, 0
    true_difference = 0.65 - 0.6  # the students' mean chances (answers independent of them)
    for _ in range(runs):
        t_success, t_answers = clustered_arm(rng, students=150, mean=0.65)
        c_success, c_answers = clustered_arm(rng, students=150, mean=0.6)
        result = difference(
            treatment=arm_estimate(totals=t_success, counts=t_answers),
            control=arm_estimate(totals=c_success, counts=c_answers),
        )
        covered += result.interval.contains(true_difference)
        # The same estimate with answers treated as independent (binomial variance).
        naive_se = math.sqrt(
            sum(r.value * (1 - r.value) / r.count for r in (result.treatment, result.control))
        )
        naive_covered += abs(result.estimate - true_difference) <= Z95 * naive_se
    # 600 runs: one binomial standard deviation is 0.009.
    assert 0.925 <= covered / runs <= 0.975
    # Why students are the clusters: ignoring them, the "95%" interval covers far less.
    assert naive_covered / runs < 0.8


# --- confidence sequence -----------------------------------------------------------------


def test_radius_by_hand() -> None:
    # V = 0.01, tau = 0.1 -> sqrt(0.01 * 0.02 / 0.01 * (log 2 + 2 log 20)).
    expected = math.sqrt(0.02 * (math.log(2.0) + 2.0 * math.log(20.0)))
    assert sequence_radius(variance=0.01, tau=0.1, alpha=0.05) == pytest.approx(expected)
    assert sequence_radius(variance=0.0, tau=0.1) == 0.0


@given(
    variance=st.floats(min_value=1e-8, max_value=1e4),
    tau=st.floats(min_value=1e-4, max_value=1e3),
    alpha=st.floats(min_value=1e-4, max_value=0.5),
)
def test_sequence_is_wider_than_the_fixed_interval(
    variance: float, tau: float, alpha: float
) -> None:
    # Always: the smallest radius over tau is sqrt((1 + x) V) with x > 2 log(1/alpha) >= z^2.
    fixed = NormalDist().inv_cdf(1 - alpha / 2) * math.sqrt(variance)
    assert sequence_radius(variance=variance, tau=tau, alpha=alpha) > fixed


def _peeking_false_flags(*, always_valid: bool, experiments: int, seed: int) -> float:
    """Share of null experiments (two identical arms) flagged different at any of 20 looks,
    per-answer clustered data, 10 more students per arm between looks."""
    rng = np.random.default_rng(seed)
    tau = mixture_scale(mde=0.05)
    flagged = 0
    for _ in range(experiments):
        t_success, t_answers = clustered_arm(rng, students=200, mean=0.6)
        c_success, c_answers = clustered_arm(rng, students=200, mean=0.6)
        for look in range(1, 21):
            n = 10 * look
            result = difference(
                treatment=arm_estimate(totals=t_success[:n], counts=t_answers[:n]),
                control=arm_estimate(totals=c_success[:n], counts=c_answers[:n]),
            )
            interval = (
                confidence_sequence(difference=result, tau=tau) if always_valid else result.interval
            )
            if not interval.contains(0.0):
                flagged += 1
                break
    return flagged / experiments


def test_sequence_keeps_false_flags_below_alpha_under_continuous_peeking() -> None:
    assert _peeking_false_flags(always_valid=True, experiments=500, seed=1) <= 0.05


def test_peeking_at_the_fixed_interval_is_what_the_sequence_prevents() -> None:
    # The same 20 looks at the fixed-horizon interval flag about a quarter of null experiments.
    assert _peeking_false_flags(always_valid=False, experiments=200, seed=2) > 0.10


def test_tau_puts_the_narrowest_point_where_the_plan_detects_the_mde() -> None:
    mde = 0.2
    tau = mixture_scale(mde=mde)
    assert tau == pytest.approx(0.739 * mde, rel=1e-3)
    # At the sequential plan's variance, this tau gives the smallest radius of any tau ...
    plan = sample_size(mde=mde, sd=1.0, sequential=True)
    variance = 2.0 / plan.treatment
    best = sequence_radius(variance=variance, tau=tau)
    for other in (0.8 * tau, 0.9 * tau, 1.1 * tau, 1.25 * tau):
        assert sequence_radius(variance=variance, tau=other) > best
    # ... and a true difference of mde clears it by z_0.8 standard errors (80% power).
    z_power = (mde - best) / math.sqrt(variance)
    assert z_power == pytest.approx(NormalDist().inv_cdf(0.8), abs=0.01)


# --- sample size -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mde", "sd", "alpha", "power", "share", "expected"),
    [
        # 2 (1.95996 + 0.84162)^2 / 0.2^2 = 392.4 -> 393 per arm.
        (0.2, 1.0, 0.05, 0.8, 0.5, (393, 393)),
        (0.5, 1.0, 0.05, 0.8, 0.5, (63, 63)),  # 62.8
        (0.1, 1.0, 0.05, 0.8, 0.5, (1570, 1570)),  # 1569.8
        (0.4, 2.0, 0.05, 0.8, 0.5, (393, 393)),  # only mde / sd matters
        # 2 (2.57583 + 1.28155)^2 / 0.25^2 = 476.2 -> 477.
        (0.25, 1.0, 0.01, 0.9, 0.5, (477, 477)),
        # Unequal split: N = 7.849 (4 + 4/3) / 0.04 = 1046.5; a quarter is 261.6 -> 262.
        (0.2, 1.0, 0.05, 0.8, 0.25, (262, 785)),
    ],
)
def test_fixed_horizon_sample_size_is_the_textbook_formula(
    mde: float, sd: float, alpha: float, power: float, share: float, expected: tuple[int, int]
) -> None:
    size = sample_size(mde=mde, sd=sd, alpha=alpha, power=power, share=share)
    assert (size.treatment, size.control) == expected


def test_fixed_horizon_sample_size_gives_the_promised_power() -> None:
    rng = np.random.default_rng(7)
    n = sample_size(mde=0.2, sd=1.0).treatment
    runs = 2000
    t = rng.normal(0.2, 1.0, size=(runs, n))
    c = rng.normal(0.0, 1.0, size=(runs, n))
    se = np.sqrt(t.var(axis=1, ddof=1) / n + c.var(axis=1, ddof=1) / n)
    power = float(np.mean(np.abs(t.mean(axis=1) - c.mean(axis=1)) > Z95 * se))
    assert 0.77 <= power <= 0.83


def test_sequential_sample_size_gives_the_promised_power_under_continuous_looks() -> None:
    # Looks after every 25 students per arm; power = share of runs whose always-valid
    # interval has excluded 0 by the planned size (it may stop earlier, never later).
    rng = np.random.default_rng(11)
    n = sample_size(mde=0.2, sd=1.0, sequential=True).treatment
    tau = mixture_scale(mde=0.2)
    runs = 400
    looks = np.arange(25, n + 1, 25)
    t = rng.normal(0.2, 1.0, size=(runs, n))
    c = rng.normal(0.0, 1.0, size=(runs, n))
    detected = np.zeros(runs, dtype=bool)
    for k in looks:
        estimate = t[:, :k].mean(axis=1) - c[:, :k].mean(axis=1)
        variance = (t[:, :k].var(axis=1, ddof=1) + c[:, :k].var(axis=1, ddof=1)) / k
        radius = np.array([sequence_radius(variance=float(v), tau=tau) for v in variance])
        detected |= np.abs(estimate) > radius
    assert float(detected.mean()) >= 0.78


@given(
    mde=st.floats(min_value=0.01, max_value=10.0),
    sd=st.floats(min_value=0.01, max_value=10.0),
    share=st.floats(min_value=0.05, max_value=0.95),
)
def test_monitoring_costs_students_and_smaller_effects_need_more(
    mde: float, sd: float, share: float
) -> None:
    fixed = sample_size(mde=mde, sd=sd, share=share)
    sequential = sample_size(mde=mde, sd=sd, share=share, sequential=True)
    assert sequential.total >= fixed.total
    assert sample_size(mde=mde / 2, sd=sd, share=share).total >= fixed.total


@pytest.mark.parametrize(
    ("mde", "sd", "alpha", "power", "share", "message"),
    [
        (0.0, 1.0, 0.05, 0.8, 0.5, "minimum detectable effect"),
        (0.2, 0.0, 0.05, 0.8, 0.5, "sd must be > 0"),
        (0.2, 1.0, 1.0, 0.8, 0.5, "alpha must be in"),
        (0.2, 1.0, 0.05, 0.0, 0.5, "power must be in"),
        (0.2, 1.0, 0.05, 0.8, 1.0, "share must be in"),
    ],
)
def test_bad_plans_are_refused(
    mde: float, sd: float, alpha: float, power: float, share: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size(mde=mde, sd=sd, alpha=alpha, power=power, share=share)


# --- guardrails --------------------------------------------------------------------------


def _difference(estimate: float, se: float, students: int = 100) -> Difference:
    arm = ArmEstimate(value=estimate, variance=se * se, students=students, count=students)
    zero = ArmEstimate(value=0.0, variance=0.0, students=students, count=students)
    return difference(treatment=arm, control=zero)


FRUSTRATION = Guardrail(metric="frustration_rate", margin=0.01, tau=0.02)


@pytest.mark.parametrize(
    ("guardrail", "estimate", "se", "breached"),
    [
        (FRUSTRATION, 0.10, 0.01, True),  # far above the margin
        (FRUSTRATION, 0.02, 0.01, False),  # harmful, but the interval reaches the margin
        (FRUSTRATION, -0.10, 0.01, False),  # the treatment frustrates less
        # Harm as a decrease (e.g. mastered share): mirror images.
        (Guardrail("mastered_share", 0.01, 0.02, harmful="decrease"), -0.10, 0.01, True),
        (Guardrail("mastered_share", 0.01, 0.02, harmful="decrease"), 0.10, 0.01, False),
    ],
)
def test_breach_only_when_the_always_valid_interval_is_beyond_the_margin(
    guardrail: Guardrail, estimate: float, se: float, breached: bool
) -> None:
    check = check_guardrail(guardrail=guardrail, difference=_difference(estimate, se))
    assert check.breached is breached
    assert check.interval == confidence_sequence(
        difference=_difference(estimate, se), tau=guardrail.tau, alpha=guardrail.alpha
    )
    assert guardrail.metric in check.reason


def test_no_decision_on_too_few_students() -> None:
    check = check_guardrail(guardrail=FRUSTRATION, difference=_difference(0.5, 0.01, students=5))
    assert not check.breached
    assert "5 students in the smaller arm, need 30" in check.reason


def test_interval_helpers() -> None:
    interval = Interval(-1.0, 2.0)
    assert interval.contains(-1.0) and interval.contains(2.0) and not interval.contains(2.1)
    assert interval.width == 3.0
