"""Multi-skill Elo with uncertainty: prediction and the update after one attempt.

For skill s of item q (MISSION part 2; Elo 1978, Pelanek 2016 for the uncertainty step):
``E_s = 1 / (1 + 10 ** ((D_qs - R_us) / scale))``, ``R_us += K_u * w_s * (a_s - E_s)``,
``D_qs -= K_q * w_s * (a_s - E_s)``. A student's rating on a skill is a global ability plus
a skill offset (``R_us = ability_u + offset_us``); a share of each update goes to the ability
so evidence carries, a little, to skills the student has not practised yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from smartpractice.core.config import EloConfig, UncertaintySchedule
from smartpractice.core.types import ItemRatings, RatingState, SkillEvidence, StudentRatings

__all__ = [
    "AttemptUpdate",
    "days_between",
    "expected_success",
    "logit",
    "predict_item_success",
    "skill_rating",
    "skill_uncertainty",
    "step_size",
    "uncertainty",
    "update_skill_ratings",
]

_CORRECT_THRESHOLD = 0.5


def expected_success(*, rating: float, difficulty: float, scale: float = 400.0) -> float:
    """Probability (0-1) that a student of `rating` succeeds on a `difficulty` (Elo points)."""
    exponent = (difficulty - rating) / scale
    # 10**x overflows past x ~ 308; the logistic is 0 or 1 to double precision long before.
    exponent = min(max(exponent, -300.0), 300.0)
    return 1.0 / (1.0 + math.pow(10.0, exponent))


def days_between(earlier: datetime | None, later: datetime) -> float:
    """Days (>= 0) from `earlier` to `later`; 0 when never seen or when events arrive late."""
    if earlier is None:
        return 0.0
    return max(0.0, (later - earlier).total_seconds() / 86400.0)


def uncertainty(*, attempts: int, days_since: float, schedule: UncertaintySchedule) -> float:
    """Uncertainty 0-1 of a rating: 1 with no evidence, falling with attempts and rising
    again with days since it was last updated."""
    settled = 1.0 / (1.0 + schedule.decay_per_attempt * max(attempts, 0))
    return min(1.0, settled + schedule.growth_per_day * max(days_since, 0.0))


def step_size(*, uncertainty_value: float, schedule: UncertaintySchedule) -> float:
    """Elo step K (Elo points) for a rating of the given uncertainty (0-1)."""
    return schedule.k_min + (schedule.k_max - schedule.k_min) * uncertainty_value


def _clip(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


_DEFAULT_BOUNDS = EloConfig().rating_bounds


def skill_rating(
    student: StudentRatings, skill_id: str, *, bounds: tuple[float, float] = _DEFAULT_BOUNDS
) -> float:
    """The student's rating on one skill (Elo points): ability plus the skill's offset,
    clipped to `bounds` (the ability can move while an unpractised offset stays put)."""
    offset = student.offsets.get(skill_id)
    return _clip(student.ability.value + (offset.value if offset is not None else 0.0), bounds)


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
    return expected_success(rating=sum(gaps) / len(gaps), difficulty=0.0, scale=scale)


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


def _advance(state: RatingState, *, value: float, success: bool, now: datetime) -> RatingState:
    last_at = now if state.last_at is None or now > state.last_at else state.last_at
    # Built directly rather than with dataclasses.replace, which costs 10 us per call.
    return RatingState(
        value=value,
        attempts=state.attempts + 1,
        correct=state.correct + (1 if success else 0),
        last_at=last_at,
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
    skills = list(item.difficulties)
    if not skills:
        raise ValueError("an item needs at least one skill to be rated")
    ratings = {s: skill_rating(student, s, bounds=config.rating_bounds) for s in skills}
    difficulties = {s: item.difficulties[s].value for s in skills}
    expected = {
        s: expected_success(rating=ratings[s], difficulty=difficulties[s], scale=config.scale)
        for s in skills
    }
    predicted = predict_item_success(ratings=ratings, difficulties=difficulties, scale=config.scale)
    surprise = {s: evidence[s].weight * (evidence[s].performance - expected[s]) for s in skills}

    ability = student.ability
    ability_k = step_size(
        uncertainty_value=uncertainty(
            attempts=ability.attempts,
            days_since=days_between(ability.last_at, now),
            schedule=config.student,
        ),
        schedule=config.student,
    )
    mean_surprise = sum(surprise.values()) / len(skills)
    mean_performance = sum(evidence[s].performance for s in skills) / len(skills)
    new_ability = _advance(
        ability,
        value=_clip(
            ability.value + config.global_share * ability_k * mean_surprise, config.rating_bounds
        ),
        success=mean_performance >= _CORRECT_THRESHOLD,
        now=now,
    )

    offsets = dict(student.offsets)
    new_difficulties = dict(item.difficulties)
    for s in skills:
        offset = offsets.get(s, RatingState(value=0.0))
        student_k = step_size(
            uncertainty_value=skill_uncertainty(student, s, now=now, config=config),
            schedule=config.student,
        )
        item_state = item.difficulties[s]
        item_k = step_size(
            uncertainty_value=uncertainty(
                attempts=item_state.attempts,
                days_since=days_between(item_state.last_at, now),
                schedule=config.item,
            ),
            schedule=config.item,
        )
        success = evidence[s].performance >= _CORRECT_THRESHOLD
        offset_value = offset.value + (1.0 - config.global_share) * student_k * surprise[s]
        # Keep the full rating (ability + offset) inside the bounds.
        offset_value = _clip(new_ability.value + offset_value, config.rating_bounds) - (
            new_ability.value
        )
        offsets[s] = _advance(offset, value=offset_value, success=success, now=now)
        new_difficulties[s] = _advance(
            item_state,
            value=_clip(item_state.value - item_k * surprise[s], config.rating_bounds),
            success=success,
            now=now,
        )

    return AttemptUpdate(
        student=StudentRatings(ability=new_ability, offsets=offsets),
        item=ItemRatings(difficulties=new_difficulties),
        expected=expected,
        predicted=predicted,
    )


def logit(probability: float) -> float:
    """Log-odds of a probability (clipped away from 0 and 1)."""
    p = min(max(probability, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))
