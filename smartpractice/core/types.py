"""Plain frozen data the math core works on. No I/O, no framework types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from smartpractice.core.records import quick_init

__all__ = [
    "Candidate",
    "GradedAttempt",
    "ItemRatings",
    "RatingState",
    "SkillEvidence",
    "StudentRatings",
]


@quick_init
@dataclass(frozen=True, slots=True)
class RatingState:
    """One rating with its evidence: a student's ability or skill offset, or an item's
    difficulty on one skill.

    Attributes:
        value: Elo points (an offset for student skills, absolute otherwise).
        attempts: Number of attempts that updated it (>= 0).
        correct: Number of those with performance >= 0.5.
        last_at: When it was last updated (event time), or None if never.
    """

    value: float
    attempts: int = 0
    correct: int = 0
    last_at: datetime | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class StudentRatings:
    """A student's global ability and per-skill offsets; the rating on skill s is
    ``ability.value + offsets[s].value`` (Elo points)."""

    ability: RatingState
    offsets: Mapping[str, RatingState] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True)
class ItemRatings:
    """An item's difficulty per skill it tests (Elo points)."""

    difficulties: Mapping[str, RatingState]


@quick_init
@dataclass(frozen=True, slots=True)
class GradedAttempt:
    """What the grader and the app observed about one attempt at one item.

    Attributes:
        score: Overall grade, 0-1 (partial credit allowed).
        skill_scores: Optional per-skill (per-step) grades, 0-1, overriding `score`.
        attempts: Tries the student needed (>= 1).
        time_spent_seconds: Time on the item (>= 0), if known.
        hints_used: Hints shown (>= 0).
        solution_viewed: Whether the worked solution was opened.
        confidence: Self-reported confidence 1-5, if asked.
        struggles: Per-skill struggle 0-1 found in a tutor transcript (1 = stuck).
    """

    score: float
    skill_scores: Mapping[str, float] = field(default_factory=dict)
    attempts: int = 1
    time_spent_seconds: float | None = None
    hints_used: int = 0
    solution_viewed: bool = False
    confidence: int | None = None
    struggles: Mapping[str, float] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """What one attempt says about one skill.

    Attributes:
        performance: a_s, 0-1: how well the student did on this skill in this attempt.
        weight: Multiplier (> 0) of the Elo step: how strongly this attempt counts.
    """

    performance: float
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item the selector may pick, with what it needs to score it.

    Attributes:
        item_id: The item.
        difficulties: Elo difficulty per skill the item tests.
        hours_since_seen: Hours since this student last saw it; None if never.
        successes: This student's earlier successes on this very item.
        failures: This student's earlier failures on this very item.
        remediation_for: Scope skill whose unmet prerequisite this item trains, if any.
    """

    item_id: str
    difficulties: Mapping[str, float]
    hours_since_seen: float | None = None
    successes: int = 0
    failures: int = 0
    remediation_for: str | None = None
