"""From a graded attempt to the performance (0-1) and evidence weight of each skill.

Each effect is one named constant of `EvidenceConfig`:

* per-skill (per-step) scores override the overall score for their skill;
* every extra attempt and every hint multiplies performance by a discount;
* time far beyond the item's expected time costs a little per doubling, with a floor;
* a viewed worked solution caps performance;
* tutor-transcript struggle on a skill removes a share of that skill's credit only;
* self-reported confidence scales the evidence weight, so confidently wrong answers
  move ratings more than unsure ones.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from smartpractice.core.config import EvidenceConfig
from smartpractice.core.types import GradedAttempt, SkillEvidence

__all__ = ["attempt_to_skill_evidence", "confidence_weight", "slowness_multiplier"]


def slowness_multiplier(
    *, time_spent_seconds: float | None, expected_time_seconds: float | None, config: EvidenceConfig
) -> float:
    """Performance multiplier (slow_floor-1) for time spent versus the expected time."""
    if not time_spent_seconds or not expected_time_seconds or expected_time_seconds <= 0:
        return 1.0
    ratio = time_spent_seconds / expected_time_seconds
    if ratio <= config.slow_ratio:
        return 1.0
    doublings = math.log2(ratio / config.slow_ratio)
    return max(config.slow_floor, 1.0 - config.slow_discount_per_doubling * doublings)


def confidence_weight(*, confidence: int | None, config: EvidenceConfig) -> float:
    """Evidence weight (> 0) for a self-reported confidence of 1-5; 1.0 when not asked."""
    if confidence is None:
        return 1.0
    return 1.0 + config.confidence_gain * (confidence - 3) / 2.0


def attempt_to_skill_evidence(
    attempt: GradedAttempt,
    *,
    skills: Collection[str],
    expected_time_seconds: float | None,
    config: EvidenceConfig,
) -> dict[str, SkillEvidence]:
    """Performance a_s (0-1) and evidence weight for every skill the item tests.

    Args:
        attempt: The graded attempt (scores 0-1, counts, time in seconds, confidence 1-5).
        skills: The skills of the item.
        expected_time_seconds: The item's expected time, if known.
        config: Evidence constants.

    Returns:
        One `SkillEvidence` per skill in `skills`.
    """
    # Each factor is skipped when it is exactly 1 (no extra attempt, hint, time or
    # confidence): this runs once per attempt in the worker, replay and evaluate.
    process = 1.0
    if attempt.attempts > 1 or attempt.hints_used > 0:
        process = config.attempt_discount ** max(attempt.attempts - 1, 0)
        process *= config.hint_discount ** max(attempt.hints_used, 0)
    if attempt.time_spent_seconds:
        process *= slowness_multiplier(
            time_spent_seconds=attempt.time_spent_seconds,
            expected_time_seconds=expected_time_seconds,
            config=config,
        )
    weight = 1.0
    if attempt.confidence is not None:
        weight = confidence_weight(confidence=attempt.confidence, config=config)
    if not attempt.skill_scores and not attempt.struggles:
        # Every skill gets the same evidence (the common case): build it once.
        same = SkillEvidence(_performance(attempt.score, process, 0.0, attempt, config), weight)
        return dict.fromkeys(skills, same)
    return {
        skill: SkillEvidence(
            performance=_performance(
                attempt.skill_scores.get(skill, attempt.score),
                process,
                min(max(attempt.struggles.get(skill, 0.0), 0.0), 1.0),
                attempt,
                config,
            ),
            weight=weight,
        )
        for skill in skills
    }


def _performance(
    score: float, process: float, struggle: float, attempt: GradedAttempt, config: EvidenceConfig
) -> float:
    """Performance (0-1) on one skill from its score (0-1), the process multiplier, the
    viewed-solution cap and the tutor-chat struggle (0-1) on it."""
    performance = score * process
    if attempt.solution_viewed:
        performance = min(performance, config.solution_viewed_cap)
    if struggle:
        performance *= 1.0 - config.struggle_penalty * struggle
    return min(max(performance, 0.0), 1.0)
