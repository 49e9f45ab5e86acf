"""Applying one attempt to the ratings, behind a narrow storage seam.

The worker, `replay` and `evaluate` all call `apply_attempt`; only the `RatingStore` differs
(the database, or memory). That is what makes replay equal the live state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.elo import (
    AttemptUpdate,
    skill_rating,
    skill_uncertainty,
    update_skill_ratings,
)
from smartpractice.core.rating.evidence import attempt_to_skill_evidence
from smartpractice.core.records import quick_init
from smartpractice.core.types import (
    GradedAttempt,
    SkillEvidence,
)
from smartpractice.services.ports import AttemptRejected, RatingStore
from smartpractice.services.schemas import StoredAttempt

__all__ = [
    "AppliedAttempt",
    "apply_attempt",
    "apply_graded_attempt",
    "graded_attempt",
]


@quick_init
@dataclass(frozen=True, slots=True)
class AppliedAttempt:
    """Outcome of one applied attempt: the model's prediction and the credited performance."""

    predicted: float
    performance: float
    update: AttemptUpdate
    evidence: Mapping[str, SkillEvidence]

    def summary(self, *, config: ModelConfig, now: datetime) -> dict[str, Any]:
        """What the attempt did, per skill, for history and dashboards (JSON-ready):
        evidence (performance 0-1, weight), prediction (0-1), and the ratings after it
        (Elo points, uncertainty 0-1)."""
        student = self.update.student
        return {
            "ability": student.ability.value,
            "skills": {
                skill: {
                    "performance": self.evidence[skill].performance,
                    "weight": self.evidence[skill].weight,
                    "expected": self.update.expected[skill],
                    "rating": skill_rating(student, skill, config=config.elo),
                    "uncertainty": skill_uncertainty(student, skill, now=now, config=config.elo),
                    "difficulty": state.value,
                }
                for skill, state in self.update.item.difficulties.items()
            },
        }


def apply_attempt(
    store: RatingStore,
    attempt: StoredAttempt,
    *,
    occurred_at: datetime,
    config: ModelConfig,
    struggles: Mapping[str, float] | None = None,
) -> AppliedAttempt:
    """Turn one attempt into per-skill evidence and update student and item ratings.

    The event is translated into the core's `GradedAttempt` (`graded_attempt`) and applied
    by `apply_graded_attempt`, the one path every caller's ratings go through.

    Raises:
        AttemptRejected: the item is unknown or the per-skill scores name other skills.
    """
    return apply_graded_attempt(
        store,
        graded_attempt(attempt, struggles=struggles),
        student_id=attempt.student_id,
        item_id=attempt.item_id,
        occurred_at=occurred_at,
        config=config,
    )


def graded_attempt(
    attempt: StoredAttempt, *, struggles: Mapping[str, float] | None = None
) -> GradedAttempt:
    """The core's view of an attempt event, with the per-skill struggle (0-1) found in its
    tutor chats."""
    return GradedAttempt(
        score=attempt.score,
        skill_scores=attempt.skill_scores,
        attempts=attempt.attempts,
        time_spent_seconds=attempt.time_spent_seconds,
        hints_used=attempt.hints_used,
        solution_viewed=attempt.solution_viewed,
        confidence=attempt.confidence,
        struggles=struggles or {},
    )


def apply_graded_attempt(
    store: RatingStore,
    attempt: GradedAttempt,
    *,
    student_id: str,
    item_id: str,
    occurred_at: datetime,
    config: ModelConfig,
) -> AppliedAttempt:
    """`apply_attempt` once the event is a core `GradedAttempt` (tutor-chat struggles
    included): the evidence per skill, the Elo update, and the store's save.

    `evaluate` calls it directly for data sets that carry only a score, so that 278k rows
    do not each build and copy a validated `AttemptIn`; everything else is shared.

    Raises:
        AttemptRejected: the item is unknown or the per-skill scores name other skills.
    """
    item = store.load_item(item_id)
    if item is None:
        raise AttemptRejected(f"item_id: unknown item {item_id!r}")
    difficulties = item.ratings.difficulties
    if attempt.skill_scores:
        foreign = sorted(set(attempt.skill_scores) - set(difficulties))
        if foreign:
            raise AttemptRejected(
                f"skill_scores: {foreign} are not skills of item {item.item_id!r}"
            )
    skills = difficulties.keys()
    evidence = attempt_to_skill_evidence(
        attempt,
        skills=skills,
        expected_time_seconds=item.expected_time_seconds,
        config=config.evidence,
    )
    student = store.load_student(student_id, skills)
    update = update_skill_ratings(
        student=student, item=item.ratings, evidence=evidence, now=occurred_at, config=config.elo
    )
    store.save(student_id=student_id, item_id=item_id, update=update, success=attempt.score >= 0.5)
    performance = sum([e.performance for e in evidence.values()]) / len(evidence)
    return AppliedAttempt(update.predicted, performance, update, evidence)
