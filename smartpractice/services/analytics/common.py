"""Shared by the dashboard's read models: the thresholds of their judgements."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AnalyticsConfig"]


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
