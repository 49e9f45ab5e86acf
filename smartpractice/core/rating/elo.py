"""Multi-skill Elo with uncertainty: prediction and the update after one attempt.

For skill s of item q (Elo 1978, Pelanek 2016 for the uncertainty step):
``E_s = 1 / (1 + 10 ** ((D_qs - R_us) / scale))``, ``R_us += K_u * w_s * (a_s - E_s)``,
``D_qs -= K_q * w_s * (a_s - E_s)``. A student's rating on a skill is a global ability plus
a skill offset plus a practice term on the skill's success and failure counts
(``R_us = ability_u + offset_us + gain(W_us, F_us)``, `skill_rating`, the one definition
every consumer reads); a share of each update goes to the ability, larger on the first
attempt at a skill, so evidence carries, a little, to skills the student has not practised
yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import overload

import numpy as np
import numpy.typing as npt

from smartpractice.core.config import EloConfig, UncertaintySchedule
from smartpractice.core.records import quick_init
from smartpractice.core.types import ItemRatings, RatingState, SkillEvidence, StudentRatings

__all__ = [
    "AttemptUpdate",
    "ability_share",
    "days_between",
    "expected_success",
    "logit",
    "practice_gain",
    "predict_item_success",
    "skill_rating",
    "skill_ratings",
    "skill_uncertainty",
    "step_size",
    "uncertainty",
    "update_skill_ratings",
]

_CORRECT_THRESHOLD = 0.5


@overload
def expected_success(*, rating: float, difficulty: float, scale: float = ...) -> float: ...


@overload
def expected_success(
    *,
    rating: npt.NDArray[np.float64],
    difficulty: float | npt.NDArray[np.float64],
    scale: float = ...,
) -> npt.NDArray[np.float64]: ...


@overload
def expected_success(
    *, rating: float, difficulty: npt.NDArray[np.float64], scale: float = ...
) -> npt.NDArray[np.float64]: ...


def expected_success(
    *,
    rating: float | npt.NDArray[np.float64],
    difficulty: float | npt.NDArray[np.float64],
    scale: float = 400.0,
) -> float | npt.NDArray[np.float64]:
    """Probability (0-1) that a student of `rating` succeeds on a `difficulty` (Elo points):
    ``1 / (1 + 10 ** ((difficulty - rating) / scale))`` (Elo 1978).

    Takes floats or NumPy arrays (broadcast elementwise, for views over many students or
    items at once); two floats give a float."""
    if isinstance(rating, float | int) and isinstance(difficulty, float | int):
        return _logistic10((difficulty - rating) / scale)
    # Clipped like `_logistic10`: 10**x overflows past x ~ 308.
    exponent = np.clip((np.asarray(difficulty, dtype=np.float64) - rating) / scale, -300.0, 300.0)
    return np.asarray(1.0 / (1.0 + np.power(10.0, exponent)), dtype=np.float64)


def _logistic10(exponent: float) -> float:
    """``1 / (1 + 10 ** exponent)``: `expected_success` of a gap of ``-exponent`` scales."""
    # 10**x overflows past x ~ 308; the logistic is 0 or 1 to double precision long before.
    exponent = -300.0 if exponent < -300.0 else 300.0 if exponent > 300.0 else exponent
    return 1.0 / (1.0 + math.pow(10.0, exponent))


def days_between(earlier: datetime | None, later: datetime) -> float:
    """Days (>= 0) from `earlier` to `later`; 0 when never seen or when events arrive late."""
    if earlier is None or earlier >= later:
        return 0.0
    return (later - earlier).total_seconds() / 86400.0


def uncertainty(*, attempts: int, days_since: float, schedule: UncertaintySchedule) -> float:
    """Uncertainty 0-1 of a rating: 1 with no evidence, falling with attempts and rising
    again with days since it was last updated."""
    settled = 1.0 / (1.0 + schedule.decay_per_attempt * max(attempts, 0))
    return min(1.0, settled + schedule.growth_per_day * max(days_since, 0.0))


def step_size(*, uncertainty_value: float, schedule: UncertaintySchedule) -> float:
    """Elo step K (Elo points) for a rating of the given uncertainty (0-1)."""
    return schedule.k_min + (schedule.k_max - schedule.k_min) * uncertainty_value


def practice_gain(state: RatingState | None, *, config: EloConfig) -> float:
    """Elo points a student's record on one skill adds to the rating on it: the
    performance-factors term ``success_gain * ln(1 + W) + failure_gain * ln(1 + F)``, W and F
    the successes and failures stored with the skill offset (0 when never practised).

    The Elo offset tracks where the student is; this term says how much practice they have
    had, which on real data predicts the next answer beyond the offset (docs/model.md)."""
    return _gain(state, config)


def _gain(state: RatingState | None, config: EloConfig) -> float:
    if state is None or state.attempts == 0:
        return 0.0
    return config.success_gain * math.log1p(state.correct) + config.failure_gain * math.log1p(
        state.attempts - state.correct
    )


def skill_rating(student: StudentRatings, skill_id: str, *, config: EloConfig) -> float:
    """The student's effective rating on one skill (Elo points), the one every prediction,
    profile and selection uses: ability plus the skill's offset plus its practice gain,
    clipped to the rating bounds (the ability can move while an unpractised offset stays)."""
    return _rating(student.ability.value, student.offsets.get(skill_id), config)


def _rating(ability: float, offset: RatingState | None, config: EloConfig) -> float:
    """`skill_rating` from the ability (Elo points) and the skill's offset, if any."""
    value = ability
    if offset is not None:
        value += offset.value + _gain(offset, config)
    low, high = config.rating_bounds
    return low if value < low else high if value > high else value


def skill_ratings(
    *,
    abilities: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.float64],
    attempts: npt.NDArray[np.float64],
    correct: npt.NDArray[np.float64],
    config: EloConfig,
) -> npt.NDArray[np.float64]:
    """`skill_rating` for many practised (student, skill) pairs at once (Elo points), for
    views over a whole cohort: each pair's ability, offset and its offset's counts."""
    failures = attempts - correct
    gains = config.success_gain * np.log1p(correct) + config.failure_gain * np.log1p(failures)
    return np.clip(abilities + offsets + gains, *config.rating_bounds)


def ability_share(offset: RatingState | None, *, config: EloConfig) -> float:
    """Share (0-1) of an update on a skill that goes to the global ability:
    `first_attempt_share` on the student's first attempt at the skill, `global_share` after.

    A first attempt says most about the student in general (nothing skill-specific is known
    yet); repeated failures on one skill say something about that skill, so they reach the
    other skills only through `global_share` (the product rule: failing one skill moves an
    unrelated one by at most a fifth as much)."""
    return _share(offset, config)


def _share(offset: RatingState | None, config: EloConfig) -> float:
    if offset is None or offset.attempts == 0:
        return config.first_attempt_share
    return config.global_share


def skill_uncertainty(
    student: StudentRatings, skill_id: str, *, now: datetime, config: EloConfig
) -> float:
    """Uncertainty (0-1) of the student's rating on one skill at time `now`."""
    offset = student.offsets.get(skill_id)
    if offset is None:
        return 1.0
    return uncertainty(
        attempts=offset.attempts,
        days_since=days_between(offset.last_at, now),
        schedule=config.student,
    )


def predict_item_success(
    *, ratings: Mapping[str, float], difficulties: Mapping[str, float], scale: float = 400.0
) -> float:
    """Probability (0-1) of succeeding on a multi-skill item.

    The skills' rating gaps are averaged on the logit scale (a compensatory model: strength
    on one skill partly makes up for weakness on another); with one skill this is plain Elo.
    """
    gaps = [ratings[s] - d for s, d in difficulties.items()]
    if not gaps:
        raise ValueError("an item needs at least one skill to predict success")
    return _success_at_mean_gap(sum(gaps), len(gaps), scale)


def _success_at_mean_gap(gap_total: float, skills: int, scale: float) -> float:
    """How the skills of an item combine (see `predict_item_success`): the expected success
    at the mean of the skills' rating gaps (Elo points)."""
    return _logistic10((0.0 - gap_total / skills) / scale)


@quick_init
@dataclass(frozen=True, slots=True)
class AttemptUpdate:
    """The new state after one attempt, plus what the model predicted before it.

    Attributes:
        student: New student ratings (only the item's skills and the ability changed).
        item: New item difficulties.
        expected: Per-skill predicted success (0-1) before the update.
        predicted: Predicted success on the whole item (0-1) before the update.
    """

    student: StudentRatings
    item: ItemRatings
    expected: Mapping[str, float]
    predicted: float


_UNPRACTISED = RatingState(value=0.0)
"""The offset of a skill the student has never practised (frozen, so shared)."""


def _advance(state: RatingState, value: float, success: bool, now: datetime) -> RatingState:
    last_at = state.last_at
    if last_at is None or now > last_at:
        last_at = now
    # Positional and built directly: dataclasses.replace costs 10 us, keywords 0.3 us more.
    return RatingState(
        value, state.attempts + 1, state.correct + 1 if success else state.correct, last_at
    )


def update_skill_ratings(
    *,
    student: StudentRatings,
    item: ItemRatings,
    evidence: Mapping[str, SkillEvidence],
    now: datetime,
    config: EloConfig,
) -> AttemptUpdate:
    """Apply one attempt to the student's and the item's ratings on the item's skills.

    Args:
        student: The student's ratings before the attempt.
        item: The item's difficulties before the attempt (one per skill it tests).
        evidence: Performance (0-1) and weight per skill of the item.
        now: Event time of the attempt (drives the time-since-practice uncertainty).
        config: Elo constants.

    Returns:
        The updated ratings and the pre-update predictions.
    """
    difficulties = item.difficulties
    count = len(difficulties)
    if not count:
        raise ValueError("an item needs at least one skill to be rated")
    # This runs once per attempt in the worker, replay and evaluate (278k times in the
    # evaluate benchmark), so it keeps everything in locals and makes one pass for the
    # predictions and one for the updates, calling the same definitions as every consumer.
    ability = student.ability
    offsets_before = student.offsets
    bounds = config.rating_bounds
    low, high = bounds
    scale = config.scale
    expected: dict[str, float] = {}
    # Per skill: offset before, item state, surprise (weight * (a_s - E_s)), ability share.
    steps: list[tuple[str, RatingState, RatingState, float, float, bool]] = []
    gap_sum = ability_surprise = performance_sum = 0.0
    for s, item_state in difficulties.items():
        offset = offsets_before.get(s)
        rating = _rating(ability.value, offset, config)
        difficulty = item_state.value
        gap_sum += rating - difficulty
        expected[s] = e = _logistic10((difficulty - rating) / scale)
        skill_evidence = evidence[s]
        performance = skill_evidence.performance
        surprise = skill_evidence.weight * (performance - e)
        share = _share(offset, config)
        ability_surprise += share * surprise
        performance_sum += performance
        steps.append(
            (
                s,
                _UNPRACTISED if offset is None else offset,
                item_state,
                surprise,
                share,
                performance >= _CORRECT_THRESHOLD,
            )
        )
    predicted = _success_at_mean_gap(gap_sum, count, scale)

    student_schedule = config.student
    item_schedule = config.item
    value = ability.value + _step(ability, now, student_schedule) * ability_surprise / count
    new_ability = _advance(
        ability,
        low if value < low else high if value > high else value,
        performance_sum / count >= _CORRECT_THRESHOLD,
        now,
    )
    base = new_ability.value
    offsets = dict(offsets_before)
    new_difficulties: dict[str, RatingState] = {}  # every skill is set below, in order
    for s, offset, item_state, surprise, share, success in steps:
        value = offset.value + (1.0 - share) * _step(offset, now, student_schedule) * surprise
        # Keep the full rating (ability + offset) inside the bounds.
        value = base + value
        offsets[s] = _advance(
            offset, (low if value < low else high if value > high else value) - base, success, now
        )
        value = item_state.value - _step(item_state, now, item_schedule) * surprise
        new_difficulties[s] = _advance(
            item_state, low if value < low else high if value > high else value, success, now
        )

    return AttemptUpdate(
        StudentRatings(new_ability, offsets), ItemRatings(new_difficulties), expected, predicted
    )


def _step(state: RatingState, now: datetime, schedule: UncertaintySchedule) -> float:
    """Elo step K (Elo points) of one rating at time `now` under `schedule` (`uncertainty`
    then `step_size`, without the keyword calls: this runs three times per attempt)."""
    last_at = state.last_at
    settled = 1.0 / (1.0 + schedule.decay_per_attempt * state.attempts)
    if last_at is not None and last_at < now:
        settled += schedule.growth_per_day * ((now - last_at).total_seconds() / 86400.0)
    return schedule.k_min + (schedule.k_max - schedule.k_min) * (1.0 if settled > 1.0 else settled)


def logit(probability: float) -> float:
    """Log-odds of a probability (clipped away from 0 and 1)."""
    p = min(max(probability, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))
