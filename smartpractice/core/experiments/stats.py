"""Statistics of a two-arm experiment that a non-statistician cannot misuse.

* Estimates are clustered by student: every student contributes one (total, count) pair,
  e.g. (failed hard answers, answers). An arm's value is the ratio estimator
  ``R = sum(total) / sum(count)`` with the cluster-robust (delta-method) variance
  ``n / (n - 1) * sum((total_i - R * count_i)^2) / sum(count)^2`` (Cochran 1977, Sampling
  Techniques, chapter 6; the CR1 sandwich with students as clusters). A per-student metric
  is the case count = 1, where this is the per-student mean with Welch's variance
  ``s^2 / n``. Answers of one student are correlated, so treating them as independent would
  give intervals too narrow by the design effect.
* `difference`: treatment minus control with a fixed-horizon 95% interval (normal
  approximation), valid only when read once, at a sample size fixed in advance
  (`sample_size`).
* `confidence_sequence`: an always-valid interval for the same difference, valid at every
  look, however often people peek and whenever they stop: the normal-mixture confidence
  sequence (mSPRT) of Johari, Koomen, Pekelis and Walsh (2017, "Peeking at A/B tests", KDD;
  2022, "Always valid inference", Operations Research 70(3)) after Robbins (1970), in the
  form of Howard, Ramdas, McAuliffe and Sekhon (2021, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", Annals of Statistics 49(2)).
  Derivation: if the estimate is ``Normal(theta, V)``, the likelihood ratio of a
  ``Normal(theta, tau^2)`` mixture over the effect against ``theta`` is
  ``sqrt(V / (V + tau^2)) * exp(tau^2 (estimate - theta)^2 / (2 V (V + tau^2)))``, a
  nonnegative martingale under ``theta`` with mean 1; by Ville's inequality it ever reaches
  ``1 / alpha`` with probability at most alpha. Solving ``ratio < 1 / alpha`` for theta gives
  the radius ``sqrt(V (V + tau^2) / tau^2 * (log((V + tau^2) / V) + 2 log(1 / alpha)))``.
  With per-student variance s^2 and n students this is Howard et al.'s normal-mixture
  boundary with ``rho = s^4 / tau^2`` divided by n. V is the plug-in variance of the
  estimate (asymptotically valid: Waudby-Smith et al. 2021, "Time-uniform central limit
  theory").
* `check_guardrail`: a guardrail is breached when the always-valid interval of its
  difference lies wholly on the harmful side beyond the allowed margin, so stopping on it
  at any look is safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "ArmEstimate",
    "Difference",
    "Guardrail",
    "GuardrailCheck",
    "Interval",
    "SampleSize",
    "arm_estimate",
    "check_guardrail",
    "confidence_sequence",
    "difference",
    "mixture_scale",
    "sample_size",
    "sequence_radius",
]

_NORMAL = NormalDist()

Values = Sequence[float] | npt.NDArray[np.float64]
"""Per-student numbers, one per student (cluster), in the metric's units."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed interval [low, high] in the metric's units."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        """Whether `value` lies in the interval (ends included)."""
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    """One arm's estimate of a metric, clustered by student.

    Attributes:
        value: ``sum(total) / sum(count)`` (the metric's units).
        variance: Cluster-robust variance of `value` (units squared, >= 0).
        students: Students (clusters) with a count above 0.
        count: ``sum(count)``: answers, sessions, skills, or students for a per-student metric.
    """

    value: float
    variance: float
    students: int
    count: float

    @property
    def sd(self) -> float:
        """Per-student standard deviation behind `variance` (``sqrt(variance * students)``,
        the metric's units): the `sample_size` input, from a pilot or a pre-period."""
        return math.sqrt(self.variance * self.students)


@dataclass(frozen=True, slots=True)
class Difference:
    """Treatment minus control on one metric, with its fixed-horizon interval.

    Attributes:
        estimate: ``treatment.value - control.value`` (the metric's units).
        variance: Variance of `estimate` (the arms are independent: the sum of theirs).
        interval: Fixed-horizon interval at the `difference` call's level. Valid only when
            read once, at a pre-registered sample size; use `confidence_sequence` to peek.
        treatment: The treatment arm's estimate.
        control: The control arm's estimate.
    """

    estimate: float
    variance: float
    interval: Interval
    treatment: ArmEstimate
    control: ArmEstimate

    @property
    def standard_error(self) -> float:
        """Standard error of `estimate` (the metric's units)."""
        return math.sqrt(self.variance)

    @property
    def students(self) -> int:
        """Students in the smaller arm: the normal approximation needs enough in both."""
        return min(self.treatment.students, self.control.students)


def arm_estimate(*, totals: Values, counts: Values | None = None) -> ArmEstimate:
    """The ratio estimate of one arm and its cluster-robust variance (see the module).

    Args:
        totals: Per student, the metric's total (e.g. failed hard answers, or the student's
            outcome for a per-student metric).
        counts: Per student, what the total is over (e.g. answers, >= 0); None for a
            per-student metric (every count 1). Students with count 0 are left out.

    Raises:
        ValueError: lengths differ, a number is not finite, a count is negative, or fewer
            than two students have a count above 0 (no variance can be estimated).
    """
    y = np.asarray(totals, dtype=np.float64)
    m = np.ones_like(y) if counts is None else np.asarray(counts, dtype=np.float64)
    if y.ndim != 1 or y.shape != m.shape:
        raise ValueError(f"totals and counts must be flat and equally long: {y.shape}, {m.shape}")
    if not (np.isfinite(y).all() and np.isfinite(m).all()):
        raise ValueError("totals and counts must be finite numbers")
    if (m < 0).any():
        raise ValueError("counts must be >= 0")
    keep = m > 0
    y, m = y[keep], m[keep]
    n = int(y.size)
    if n < 2:
        raise ValueError(f"an arm needs at least two students with data, got {n}")
    count = float(m.sum())
    value = float(y.sum()) / count
    residuals = y - value * m
    variance = n / (n - 1) * float(residuals @ residuals) / count**2
    return ArmEstimate(value=value, variance=variance, students=n, count=count)


def difference(*, treatment: ArmEstimate, control: ArmEstimate, level: float = 0.95) -> Difference:
    """Treatment minus control with its fixed-horizon interval at `level` (0-1, e.g. 0.95):
    ``estimate +/- z * sqrt(var_t + var_c)``, z the normal quantile at ``(1 + level) / 2``."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    estimate = treatment.value - control.value
    variance = treatment.variance + control.variance
    half = _NORMAL.inv_cdf((1.0 + level) / 2.0) * math.sqrt(variance)
    return Difference(
        estimate=estimate,
        variance=variance,
        interval=Interval(estimate - half, estimate + half),
        treatment=treatment,
        control=control,
    )


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def sequence_radius(*, variance: float, tau: float, alpha: float = 0.05) -> float:
    """Half-width of the normal-mixture confidence sequence (the metric's units):
    ``sqrt(V (V + tau^2) / tau^2 * (log(1 + tau^2 / V) + 2 log(1 / alpha)))``.

    Args:
        variance: V, the variance of the estimate at this look (units squared, >= 0).
        tau: Standard deviation of the mixture over effects (the metric's units, > 0);
            `mixture_scale` picks it from the minimum detectable effect.
        alpha: Chance (0-1) that the sequence ever misses the true difference.
    """
    _check_alpha(alpha)
    if not tau > 0.0:
        raise ValueError(f"tau must be > 0, got {tau}")
    if variance < 0.0 or not math.isfinite(variance):
        raise ValueError(f"variance must be finite and >= 0, got {variance}")
    if variance == 0.0:
        return 0.0  # V log(1/V) -> 0: a degenerate estimate has no spread
    tau2 = tau * tau
    spread = variance * (variance + tau2) / tau2
    return math.sqrt(spread * (math.log1p(tau2 / variance) + 2.0 * math.log(1.0 / alpha)))


def confidence_sequence(*, difference: Difference, tau: float, alpha: float = 0.05) -> Interval:
    """Always-valid ``1 - alpha`` interval for the difference at this look: over all looks
    together it misses the true difference with probability at most alpha (see the module).

    Wider than the fixed-horizon interval at every look: that is the price of peeking.
    """
    radius = sequence_radius(variance=difference.variance, tau=tau, alpha=alpha)
    return Interval(difference.estimate - radius, difference.estimate + radius)


def _tuned_ratio(alpha: float) -> float:
    """x = tau^2 / V at which the radius is smallest, for a given V: the root of
    ``x = log(1 + x) + 2 log(1 / alpha)`` (set the derivative of
    ``(1 + 1/x) (log(1 + x) + 2 log(1/alpha))`` to 0). The radius there is ``sqrt((1 + x) V)``."""
    target = 2.0 * math.log(1.0 / alpha)
    x = target
    for _ in range(100):  # a contraction (slope 1 / (1 + x) < 1): converges fast
        following = math.log1p(x) + target
        if abs(following - x) < 1e-12:
            break
        x = following
    return x


def _sequential_variance(mde: float, alpha: float, power: float) -> float:
    """Variance of the difference at which the tuned sequence detects `mde` with `power`:
    ``sqrt(V) * (sqrt(1 + x) + z_power) = mde``."""
    z_power = _NORMAL.inv_cdf(power)
    return (mde / (math.sqrt(1.0 + _tuned_ratio(alpha)) + z_power)) ** 2


def _check_plan(mde: float, alpha: float, power: float) -> None:
    _check_alpha(alpha)
    if not mde > 0.0 or not math.isfinite(mde):
        raise ValueError(f"the minimum detectable effect must be > 0, got {mde}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")


def mixture_scale(*, mde: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The mixture's tau (the metric's units) for an experiment planned to detect `mde`.

    The sequence is narrowest, for its tau, at one variance; this tau puts that point where
    the sequence detects a true difference of `mde` with probability `power`, so the
    experiment stops as early as its plan allows (for alpha 0.05 and power 0.8,
    tau ~ 0.74 mde). Howard et al. (2021) tune their rho to a target time the same way.
    """
    _check_plan(mde, alpha, power)
    return math.sqrt(_tuned_ratio(alpha) * _sequential_variance(mde, alpha, power))


@dataclass(frozen=True, slots=True)
class SampleSize:
    """Students needed per arm (each with an outcome)."""

    treatment: int
    control: int

    @property
    def total(self) -> int:
        """Students in both arms."""
        return self.treatment + self.control


def sample_size(
    *,
    mde: float,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    share: float = 0.5,
    sequential: bool = False,
) -> SampleSize:
    """Students per arm to detect a difference of `mde` with a two-sided test.

    Fixed horizon (the textbook formula): ``N = (z_{1-alpha/2} + z_power)^2 sd^2
    (1/share + 1/(1-share)) / mde^2`` students in all, `share` of them in the treatment (for
    share 0.5: ``2 (z + z_power)^2 sd^2 / mde^2`` per arm; mde 0.2 sd 1 gives 393).
    With ``sequential=True``, for the confidence sequence tuned by `mixture_scale` instead:
    it may stop any time, but needs about twice as many students to reach the same power.

    Args:
        mde: Minimum detectable effect, treatment minus control (the metric's units, > 0).
        sd: Standard deviation of the per-student outcome (the metric's units, > 0), e.g.
            from a pre-period or a pilot. For a ratio metric use the sd of
            ``(total_i - R count_i) / mean(count)``, which carries the clustering.
        alpha: Two-sided false-positive rate (0-1).
        power: Chance (0-1) of detecting a true difference of `mde`.
        share: Share (0-1, exclusive) of the students in the treatment arm.
        sequential: Plan for continuous monitoring with `confidence_sequence`.
    """
    _check_plan(mde, alpha, power)
    if not sd > 0.0 or not math.isfinite(sd):
        raise ValueError(f"sd must be > 0, got {sd}")
    if not 0.0 < share < 1.0:
        raise ValueError(f"share must be in (0, 1), got {share}")
    if sequential:
        variance = _sequential_variance(mde, alpha, power)
    else:
        z = _NORMAL.inv_cdf(1.0 - alpha / 2.0) + _NORMAL.inv_cdf(power)
        variance = (mde / z) ** 2
    total = sd * sd * (1.0 / share + 1.0 / (1.0 - share)) / variance
    # A hair of tolerance so that a float error never adds a whole student.
    return SampleSize(
        treatment=math.ceil(share * total - 1e-9),
        control=math.ceil((1.0 - share) * total - 1e-9),
    )


@dataclass(frozen=True, slots=True)
class Guardrail:
    """A metric the treatment must not make worse.

    Attributes:
        metric: The metric's name (as in `smartpractice.core.experiments.metrics`).
        margin: Harm tolerated, treatment minus control (the metric's units, >= 0), e.g.
            0.02 for two more frustrations per hundred answers.
        harmful: Which direction of the difference is harm.
        tau: The mixture's tau for this guardrail (`mixture_scale` of the smallest harm
            worth catching, beyond the margin).
        alpha: Chance (0-1) of a false breach over the whole experiment; with several
            guardrails, divide the experiment's budget between them (Bonferroni).
    """

    metric: str
    margin: float
    tau: float
    harmful: Literal["increase", "decrease"] = "increase"
    alpha: float = 0.05


@dataclass(frozen=True, slots=True)
class GuardrailCheck:
    """One look at one guardrail.

    Attributes:
        guardrail: The guardrail checked.
        breached: The always-valid interval lies wholly beyond the margin on the harmful
            side: flag the experiment (and stop it, when it stops automatically).
        interval: The always-valid interval of treatment minus control.
        reason: One sentence for people.
    """

    guardrail: Guardrail
    breached: bool
    interval: Interval
    reason: str


def check_guardrail(
    *, guardrail: Guardrail, difference: Difference, min_students: int = 30
) -> GuardrailCheck:
    """Whether the treatment breaches `guardrail` at this look.

    The interval is always valid, so this may run at every look and stop the experiment the
    first time it says breached: over the experiment, a treatment whose true harm is within
    the margin is flagged with probability at most ``guardrail.alpha``. Below `min_students`
    in either arm nothing is decided (the normal approximation needs a few dozen students).
    """
    interval = confidence_sequence(difference=difference, tau=guardrail.tau, alpha=guardrail.alpha)
    name, margin = guardrail.metric, guardrail.margin
    if difference.students < min_students:
        reason = f"{name}: {difference.students} students in the smaller arm, need {min_students}"
        return GuardrailCheck(guardrail, False, interval, reason)
    if guardrail.harmful == "increase":
        breached = interval.low > margin
        side = f"above +{margin:g}" if breached else f"not wholly above +{margin:g}"
    else:
        breached = interval.high < -margin
        side = f"below -{margin:g}" if breached else f"not wholly below -{margin:g}"
    reason = (
        f"{name}: treatment - control in [{interval.low:.4g}, {interval.high:.4g}] "
        f"(always valid, alpha {guardrail.alpha:g}), {side}"
    )
    return GuardrailCheck(guardrail, breached, interval, reason)
