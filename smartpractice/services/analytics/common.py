"""Shared by the dashboard's read models: their thresholds and small query helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from smartpractice.storage.models import Event, Skill

__all__ = ["AnalyticsConfig", "score_of", "skill_names", "success_of"]


@dataclass(frozen=True, slots=True)
class AnalyticsConfig:
    """Thresholds of the dashboard's judgements (probabilities 0-1, Elo points)."""

    weak_proficiency: float = 0.4
    """A skill is weak for a student below this proficiency (predicted success 0-1)."""
    stuck_min_attempts: int = 8
    """Stuck needs at least this many attempts on the topic's skills..."""
    stuck_success_share: float = 0.5
    """...a success rate at most this share of Smart Practice's target success (which
    already adapts difficulty to the student, so the easiest items fail too)..."""
    stuck_window: int = 10
    """...and over the student's last this-many answers in the topic..."""
    stuck_max_gain: float = 0.0
    """...a mean rating gain (Elo points) of at most this: many failures, no progress."""
    label_tolerance: float = 200.0
    """An item is mislabelled when its learned difficulty (mean over its skills) is this far
    (Elo points) from its label's seed: a whole step between two labels."""
    min_item_attempts: int = 10
    """Attempts an item needs before its learned difficulty is judged."""
    calibration_min_attempts: int = 20
    """Recent attempts an item needs before its success rate is judged."""
    calibration_min_gap: float = 0.15
    """Observed minus predicted success that flags an item (and twice the standard error)."""
    recent_events: int = 20_000
    """"Recent traffic": the last this-many applied events."""
    calibration_events: int = 5_000
    """Applied events in the operations view's calibration (reliability) chart."""


def success_of(score: Any) -> Any:
    """SQL: 1.0 when a score (0-1) counts as a success (>= 0.5, as the item counters do)."""
    return case((score >= 0.5, 1.0), else_=0.0)


def score_of() -> Any:
    """SQL: the attempt's overall score (0-1) from the event payload."""
    return Event.payload["score"].as_float()


def skill_names(session: Session, skill_ids: Sequence[str]) -> dict[str, str]:
    """Display name per skill id."""
    rows = session.execute(select(Skill.skill_id, Skill.name).where(Skill.skill_id.in_(skill_ids)))
    return {skill_id: name for skill_id, name in rows}
