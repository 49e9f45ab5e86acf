"""Item calibration: per-skill difficulty and how it moved, success rates, and items
flagged as miscalibrated (label far from the learned difficulty, or a recent success rate
out of line with the model's predictions).

The flags are judged here over the plain rows `AnalyticsStore` reads (the label gap is
filtered by the database, so that only the few far-off items are read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.core.config import ModelConfig
from smartpractice.services.analytics.common import AnalyticsConfig
from smartpractice.services.ports import AnalyticsStore, ItemSkillMovement, SubjectGradeFilter

__all__ = [
    "DifficultyPoint",
    "FlaggedItem",
    "ItemDetail",
    "ItemOverview",
    "ItemRow",
    "RecentSuccess",
    "item_detail",
    "item_overview",
]


@dataclass(frozen=True, slots=True)
class FlaggedItem:
    """An item judged miscalibrated, with each reason in words."""

    item_id: str
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class RecentSuccess:
    """An item's recent applied attempts: count, mean predicted and observed success (0-1),
    and (on the item's own page) whether that gap flags it."""

    n: int
    predicted: float
    observed: float
    flagged: bool | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """An item of the overview: place, label, attempts, success rate (0-1, None before any),
    per-skill difficulty movement, recent success, and whether it is flagged."""

    item_id: str
    topic: str
    grade: int | None
    label: str | None
    attempts: int
    success_rate: float | None
    skills: list[ItemSkillMovement]
    recent: RecentSuccess | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class ItemOverview:
    """Flagged items (by id), then a page of the most attempted items and their total."""

    flagged: list[FlaggedItem]
    items: list[ItemRow]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class DifficultyPoint:
    """A skill's difficulty (Elo points) after the `n`-th shown attempt (0: the seed)."""

    n: int
    difficulty: float
    at: datetime | None


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One item (as the catalogue returns it), each skill's difficulty history and its
    recent success (None without an attempt)."""

    item: Any
    history: dict[str, list[DifficultyPoint]]
    recent: RecentSuccess | None


def _calibration_flag(n: int, predicted: float, observed: float, t: AnalyticsConfig) -> bool:
    if n < t.calibration_min_attempts:
        return False
    error = 2.0 * math.sqrt(max(predicted * (1.0 - predicted), 1e-6) / n)
    return abs(observed - predicted) >= max(t.calibration_min_gap, error)


def _flag(flagged: dict[str, FlaggedItem], item_id: str, reason: str) -> None:
    flagged.setdefault(item_id, FlaggedItem(item_id, [])).reasons.append(reason)


def item_overview(
    store: AnalyticsStore,
    *,
    config: ModelConfig,
    subject: str | None = None,
    grade: int | None = None,
    thresholds: AnalyticsConfig = AnalyticsConfig(),
    offset: int = 0,
    limit: int = 50,
) -> ItemOverview:
    """Items flagged as miscalibrated (learned difficulty far from the label's seed, or a
    recent success rate out of line with the model's predictions), then the most attempted
    items with their difficulty movement and success rates."""
    where = SubjectGradeFilter(subject=subject, grade=grade)
    flagged: dict[str, FlaggedItem] = {}
    for gap in store.label_gaps(
        where,
        seeds=config.elo.label_difficulties,
        unlabelled=config.elo.unlabelled_difficulty,
        min_attempts=thresholds.min_item_attempts,
        tolerance=thresholds.label_tolerance,
        limit=500,
    ):
        nearest = min(config.elo.label_difficulties, key=lambda p: abs(p[1] - gap.learned))[0]
        if nearest == gap.label:  # beyond the easiest or hardest label: not a wrong label
            continue
        _flag(
            flagged,
            gap.item_id,
            f"labelled {gap.label} (seed {gap.seed:.0f}) but learned {gap.learned:.0f}, "
            f"like {nearest}",
        )
    calibration = {}
    for c in store.recent_item_calibration(where, events=thresholds.recent_events):
        calibration[c.item_id] = RecentSuccess(c.n, c.predicted, c.observed)
        if _calibration_flag(c.n, c.predicted, c.observed, thresholds):
            _flag(
                flagged,
                c.item_id,
                f"succeeded {c.observed:.0%} of {c.n} recent attempts; the model predicted "
                f"{c.predicted:.0%}",
            )
    rows = [
        ItemRow(
            item_id=i.item_id,
            topic=i.topic,
            grade=i.grade,
            label=i.label,
            attempts=i.attempts,
            success_rate=i.correct / i.attempts if i.attempts else None,
            skills=i.skills,
            recent=calibration.get(i.item_id),
            flagged=i.item_id in flagged,
        )
        for i in store.most_attempted_items(where, offset=offset, limit=limit)
    ]
    return ItemOverview(
        flagged=sorted(flagged.values(), key=lambda f: f.item_id),
        items=rows,
        total=store.item_count(where),
        offset=offset,
        limit=limit,
    )


def item_detail(
    store: AnalyticsStore,
    item_id: str,
    *,
    item: Any,
    initial: Mapping[str, float],
    thresholds: AnalyticsConfig = AnalyticsConfig(),
) -> ItemDetail:
    """One item: each skill's difficulty after every applied attempt (oldest first, the
    last 500, from `initial`: seeded difficulty per skill id, Elo points), and its recent
    predicted and observed success. `item` is what the catalogue returns for it (the
    caller reads it, raising `NotFound` for no such item), carried to the page as is."""
    history: dict[str, list[DifficultyPoint]] = {
        s: [DifficultyPoint(0, v, None)] for s, v in initial.items()
    }
    predicted, observed = [], []
    for n, attempt in enumerate(store.item_attempts(item_id, limit=500), start=1):
        for skill_id, after in (attempt.outcome or {}).get("skills", {}).items():
            history.setdefault(skill_id, []).append(
                DifficultyPoint(n, after["difficulty"], attempt.occurred_at)
            )
        if attempt.predicted is not None and attempt.score is not None:
            predicted.append(attempt.predicted)
            observed.append(1.0 if attempt.score >= 0.5 else 0.0)
    recent = None
    if predicted:
        p_mean, o_mean = sum(predicted) / len(predicted), sum(observed) / len(observed)
        recent = RecentSuccess(
            n=len(predicted),
            predicted=p_mean,
            observed=o_mean,
            flagged=_calibration_flag(len(predicted), p_mean, o_mean, thresholds),
        )
    return ItemDetail(item=item, history=history, recent=recent)
