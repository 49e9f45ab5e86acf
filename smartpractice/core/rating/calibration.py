"""Offline calibration of item difficulties: a regularised 1PL (Rasch) fit on the Elo scale.

Every observation is one skill of one applied attempt: student u answered item-skill i with
performance ``a`` (0-1, partial credit allowed) and evidence weight ``w`` (> 0). The model
is the online Elo's own per-skill prediction, ``P = 1 / (1 + 10 ** ((D_i - theta_u) /
scale))``, so a fitted difficulty can replace an online one without any change of units.
The fit maximises the weighted Bernoulli log-likelihood (soft labels) plus Gaussian priors
(a MAP fit, i.e. L2-penalised logistic regression)::

    sum_obs w * (a * log P + (1 - a) * log(1 - P))
        - sum_i (D_i - label_i - shift_g(i)) ** 2 / (2 * difficulty_sd ** 2)
        - sum_g shift_g ** 2 / (2 * shift_sd ** 2)
        - sum_u (theta_u - ability_mean) ** 2 / (2 * ability_sd ** 2)

Student abilities ``theta_u`` are nuisance parameters: they absorb who happened to answer an
item, and only the difficulties are used afterwards. Each difficulty's prior is centred on
the item-skill's label difficulty, plus, when item-skills are grouped (by skill), a fitted
shift of its group: a skill whose items all turn out harder than their labels moves as a
whole, its unanswered items with it, and the students' abilities stay centred where a new
student starts online (`ability_mean`). Without groups the location is shared between the
ability and the difficulty priors. An item-skill seen a few times moves only as far as its
evidence warrants.

Units: ratings, difficulties, labels, shifts, prior means, prior standard deviations, steps
and standard errors are all Elo points; performances and probabilities are 0-1; the
objective is in nats.

The optimiser is NumPy only (the core imports nothing else): alternating exact Newton steps
on the abilities (a diagonal Hessian) and on the difficulties with the shifts (an arrowhead
Hessian, solved in closed form), plus an exact line minimisation along the direction that
shifts every parameter by the same amount (the likelihood cannot see it, so block steps
alone would crawl along it). The objective is strictly concave, so its maximum is unique.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CalibrationPriors",
    "DifficultyFit",
    "fit_difficulties",
    "objective_gradient",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CalibrationPriors:
    """Strength of the priors and stopping rule of `fit_difficulties`.

    Defaults chosen on a validation split of ASSISTments 2009 train users
    (docs/evaluation.md, "Calibration and cold start").
    """

    difficulty_sd: float = 100.0
    """Prior standard deviation (Elo points) of an item-skill's difficulty around its label
    (plus its skill's shift): half the gap between two neighbouring labels (Easy 1000,
    Medium 1200). 50 and 75 predicted a new student's first answers about as well, 150
    and 200 worse."""
    ability_sd: float = 200.0
    """Prior standard deviation (Elo points) of a student's ability around `ability_mean`."""
    shift_sd: float = 200.0
    """Prior standard deviation (Elo points) of a group's (a skill's) shift away from its
    labels."""
    max_step: float = 200.0
    """Largest change (Elo points) of one parameter in one Newton step (a trust region)."""
    tolerance: float = 1e-3
    """Stop when no parameter moved more than this (Elo points) in a sweep."""
    max_iterations: int = 500
    """Sweeps (one ability step, one difficulty step, one shift) before giving up."""

    def __post_init__(self) -> None:
        if not (self.difficulty_sd > 0.0 and self.ability_sd > 0.0 and self.shift_sd > 0.0):
            raise ValueError("prior standard deviations must be positive (Elo points)")
        if not (self.max_step > 0.0 and self.tolerance > 0.0 and self.max_iterations >= 1):
            raise ValueError("max_step and tolerance must be positive, max_iterations >= 1")


@dataclass(frozen=True, slots=True)
class DifficultyFit:
    """The maximum a posteriori fit.

    Attributes:
        difficulties: Fitted difficulty per item-skill (Elo points).
        standard_errors: Posterior standard deviation per difficulty (Elo points; Laplace
            approximation with abilities held fixed), `difficulty_sd` with no evidence.
        shifts: Fitted shift per group (Elo points): how much harder than its labels the
            group's items are; empty without groups.
        shift_errors: Posterior standard deviation per shift (Elo points; Laplace, abilities
            held fixed).
        abilities: Fitted ability per student (Elo points), the nuisance parameters.
        iterations: Sweeps used.
        converged: Whether the last sweep moved no parameter more than the tolerance.
    """

    difficulties: FloatArray
    standard_errors: FloatArray
    shifts: FloatArray
    shift_errors: FloatArray
    abilities: FloatArray
    iterations: int
    converged: bool


def _probabilities(
    abilities: FloatArray,
    difficulties: FloatArray,
    students: IntArray,
    items: IntArray,
    slope: float,
) -> FloatArray:
    z = slope * (abilities[students] - difficulties[items])
    result: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, without overflow
    return result


def _sums(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Sum of `values` per index 0 .. size - 1."""
    return np.bincount(index, values, size).astype(np.float64, copy=False)


def _checked_inputs(
    students: IntArray,
    items: IntArray,
    performance: FloatArray,
    weights: FloatArray,
    prior_difficulties: FloatArray,
    n_students: int,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    s = np.asarray(students, dtype=np.int64)
    i = np.asarray(items, dtype=np.int64)
    a = np.asarray(performance, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    prior = np.asarray(prior_difficulties, dtype=np.float64)
    if not (s.shape == i.shape == a.shape == w.shape) or s.ndim != 1 or prior.ndim != 1:
        raise ValueError("students, items, performance and weights must be 1-D, equally long")
    if s.size and (s.min() < 0 or s.max() >= n_students):
        raise ValueError("a student index is outside 0 .. n_students - 1")
    if i.size and (i.min() < 0 or i.max() >= prior.size):
        raise ValueError("an item index is outside 0 .. len(prior_difficulties) - 1")
    if a.size and not (np.all(a >= 0.0) and np.all(a <= 1.0)):
        raise ValueError("performance must lie in [0, 1]")
    if w.size and not (np.all(np.isfinite(w)) and np.all(w > 0.0)):
        raise ValueError("weights must be positive and finite")
    if not np.all(np.isfinite(prior)):
        raise ValueError("prior difficulties must be finite (Elo points)")
    return s, i, a, w, prior


def _shift_of(shifts: FloatArray, groups: IntArray | None, n_items: int) -> FloatArray:
    """Each item-skill's group shift (Elo points); zeros without groups."""
    if groups is None:
        return np.zeros(n_items)
    result: FloatArray = shifts[groups]
    return result


def objective_gradient(
    abilities: FloatArray,
    difficulties: FloatArray,
    shifts: FloatArray,
    *,
    students: IntArray,
    items: IntArray,
    performance: FloatArray,
    weights: FloatArray,
    prior_difficulties: FloatArray,
    ability_mean: float,
    groups: IntArray | None = None,
    priors: CalibrationPriors | None = None,
    scale: float = 400.0,
) -> tuple[float, FloatArray, FloatArray, FloatArray]:
    """The log posterior (nats, up to a constant) and its gradient (nats per Elo point)
    with respect to the abilities, the difficulties and the group shifts (an empty `shifts`
    without groups). The fit is where every gradient is 0."""
    priors = priors or CalibrationPriors()
    slope = math.log(10.0) / scale
    z = slope * (abilities[students] - difficulties[items])
    p = _probabilities(abilities, difficulties, students, items, slope)
    # log P = -log(1 + e^-z), log(1 - P) = -log(1 + e^z)
    loglik = -np.sum(weights * (performance * np.logaddexp(0.0, -z)))
    loglik -= np.sum(weights * ((1.0 - performance) * np.logaddexp(0.0, z)))
    d_dev = difficulties - prior_difficulties - _shift_of(shifts, groups, difficulties.size)
    t_dev = abilities - ability_mean
    value = float(loglik) - float(d_dev @ d_dev) / (2.0 * priors.difficulty_sd**2)
    value -= float(t_dev @ t_dev) / (2.0 * priors.ability_sd**2)
    value -= float(shifts @ shifts) / (2.0 * priors.shift_sd**2)
    residual = weights * (performance - p)
    grad_abilities = slope * _sums(students, residual, abilities.size)
    grad_abilities -= t_dev / priors.ability_sd**2
    grad_difficulties = -slope * _sums(items, residual, difficulties.size)
    grad_difficulties -= d_dev / priors.difficulty_sd**2
    grad_shifts: FloatArray = -shifts / priors.shift_sd**2
    if groups is not None:
        grad_shifts += _sums(groups, d_dev, shifts.size) / priors.difficulty_sd**2
    return value, grad_abilities, grad_difficulties, grad_shifts


def fit_difficulties(
    students: IntArray,
    items: IntArray,
    performance: FloatArray,
    weights: FloatArray,
    prior_difficulties: FloatArray,
    *,
    n_students: int,
    ability_mean: float,
    scale: float = 400.0,
    groups: IntArray | None = None,
    n_groups: int = 0,
    priors: CalibrationPriors | None = None,
) -> DifficultyFit:
    """Fit item-skill difficulties (and nuisance abilities) by maximum a posteriori.

    Args:
        students: Student index (0 .. n_students - 1) per observation.
        items: Item-skill index (0 .. len(prior_difficulties) - 1) per observation.
        performance: Performance per observation, 0-1 (the evidence step's ``a_s``).
        weights: Evidence weight per observation (> 0; 1 for a plain graded answer).
        prior_difficulties: Label difficulty per item-skill (Elo points).
        n_students: Number of students.
        ability_mean: Prior mean of every ability (Elo points): a new student's rating.
        scale: Elo scale (a gap of `scale` points is 10:1 odds).
        groups: Group (0 .. n_groups - 1) per item-skill, typically its skill: a difficulty's
            prior is then centred on its label plus its group's shift, fitted too (the
            skill is harder or easier than its labels say). None: centred on the label.
        n_groups: Number of groups (with `groups`).
        priors: Prior standard deviations and stopping rule; the defaults when None.

    Returns:
        Difficulties and their standard errors per item-skill, the group shifts, abilities
        per student (all Elo points). An item-skill without observations sits at its label
        plus its group's shift (to the tolerance).

    Raises:
        ValueError: inconsistent shapes, indices out of range, performance outside [0, 1],
            non-positive weights or non-finite priors.
    """
    priors = priors or CalibrationPriors()
    s, i, a, w, prior = _checked_inputs(
        students, items, performance, weights, prior_difficulties, n_students
    )
    n_items = prior.size
    g = _checked_groups(groups, n_items, n_groups)
    slope = math.log(10.0) / scale
    precision_d = 1.0 / priors.difficulty_sd**2
    precision_t = 1.0 / priors.ability_sd**2
    precision_g = 1.0 / priors.shift_sd**2
    abilities = np.full(n_students, float(ability_mean))
    shifts = np.zeros(n_groups if g is not None else 0)
    difficulties = prior.copy()
    iterations = 0
    converged = False
    while iterations < priors.max_iterations and not converged:
        iterations += 1
        # Abilities: each appears in its own terms only, so the Hessian is diagonal.
        p = _probabilities(abilities, difficulties, s, i, slope)
        gradient = slope * _sums(s, w * (a - p), n_students)
        gradient -= precision_t * (abilities - ability_mean)
        curvature = _sums(s, slope**2 * w * p * (1.0 - p), n_students) + precision_t
        step = np.clip(gradient / curvature, -priors.max_step, priors.max_step)
        abilities += step
        moved = float(np.max(np.abs(step), initial=0.0))
        # Difficulties and shifts: an exact Newton step on the (arrowhead) block.
        p = _probabilities(abilities, difficulties, s, i, slope)
        deviation = difficulties - prior - _shift_of(shifts, g, n_items)
        grad_d = -slope * _sums(i, w * (a - p), n_items) - precision_d * deviation
        curv_d = _sums(i, slope**2 * w * p * (1.0 - p), n_items) + precision_d
        if g is None:
            step = grad_d / curv_d
        else:
            grad_g = precision_d * _sums(g, deviation, n_groups) - precision_g * shifts
            schur = _shift_curvature(g, curv_d, n_groups, precision_d, precision_g)
            step_g = (grad_g + precision_d * _sums(g, grad_d / curv_d, n_groups)) / schur
            step_g = np.clip(step_g, -priors.max_step, priors.max_step)
            shifts += step_g
            step = (grad_d + precision_d * step_g[g]) / curv_d
            moved = max(moved, float(np.max(np.abs(step_g), initial=0.0)))
        step = np.clip(step, -priors.max_step, priors.max_step)
        difficulties += step
        moved = max(moved, float(np.max(np.abs(step), initial=0.0)))
        # Shifting everything by the same amount changes only the priors that are not
        # relative (abilities, and the shifts or else the difficulties): minimise exactly.
        if g is None:
            pull = precision_d * float(np.sum(difficulties - prior))
            weight = precision_d * n_items
        else:
            pull = precision_g * float(np.sum(shifts))
            weight = precision_g * n_groups
        shift = -(precision_t * float(np.sum(abilities - ability_mean)) + pull) / (
            precision_t * n_students + weight
        )
        abilities += shift
        difficulties += shift
        shifts += shift
        moved = max(moved, abs(shift))
        converged = moved < priors.tolerance
    p = _probabilities(abilities, difficulties, s, i, slope)
    curv_d = _sums(i, slope**2 * w * p * (1.0 - p), n_items) + precision_d
    variance = 1.0 / curv_d
    shift_variance = np.zeros(0)
    if g is not None:
        schur = _shift_curvature(g, curv_d, n_groups, precision_d, precision_g)
        variance += (precision_d / curv_d) ** 2 / schur[g]
        shift_variance = 1.0 / schur
    standard_errors: FloatArray = np.sqrt(variance)
    shift_errors: FloatArray = np.sqrt(shift_variance)
    return DifficultyFit(
        difficulties=difficulties,
        standard_errors=standard_errors,
        shifts=shifts,
        shift_errors=shift_errors,
        abilities=abilities,
        iterations=iterations,
        converged=converged,
    )


def _shift_curvature(
    groups: IntArray,
    curvature: FloatArray,
    n_groups: int,
    precision_d: float,
    precision_g: float,
) -> FloatArray:
    """Per group, the shift's curvature once its difficulties are eliminated (the Schur
    complement of the arrowhead Hessian; > 0 since each difficulty's curvature exceeds its
    prior precision)."""
    return (
        precision_d * np.bincount(groups, minlength=n_groups)
        + precision_g
        - precision_d**2 * _sums(groups, 1.0 / curvature, n_groups)
    )


def _checked_groups(groups: IntArray | None, n_items: int, n_groups: int) -> IntArray | None:
    if groups is None:
        return None
    found = np.asarray(groups, dtype=np.int64)
    if found.shape != (n_items,):
        raise ValueError("groups needs one group per item-skill")
    if n_items and (found.min() < 0 or found.max() >= n_groups):
        raise ValueError("a group index is outside 0 .. n_groups - 1")
    return found
