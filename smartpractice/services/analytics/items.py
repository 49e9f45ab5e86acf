"""Item calibration: per-skill difficulty and how it moved, success rates, and items
flagged as miscalibrated (label far from the learned difficulty, or a recent success rate
out of line with the model's predictions)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.services.analytics.common import AnalyticsConfig, score_of, success_of
from smartpractice.services.catalog import get_item
from smartpractice.storage.models import Event, Item, ItemSkill
from smartpractice.storage.sql_catalog import SqlCatalogStore

__all__ = ["item_detail", "item_overview"]


def _label_seed(config: ModelConfig) -> Any:
    labels = config.elo.label_difficulties
    return case(
        *[(Item.difficulty_label == name, value) for name, value in labels],
        else_=config.elo.unlabelled_difficulty,
    )


def _recent_by_item(session: Session, thresholds: AnalyticsConfig) -> Any:
    recent = (
        select(Event.item_id, Event.predicted, score_of().label("score"))
        .where(Event.applied_seq.is_not(None))
        .order_by(Event.applied_seq.desc())
        .limit(thresholds.recent_events)
        .subquery()
    )
    return (
        select(
            recent.c.item_id,
            func.count().label("n"),
            func.avg(recent.c.predicted).label("predicted"),
            func.avg(success_of(recent.c.score)).label("observed"),
        )
        .group_by(recent.c.item_id)
        .subquery()
    )


def _calibration_flag(n: int, predicted: float, observed: float, t: AnalyticsConfig) -> bool:
    if n < t.calibration_min_attempts:
        return False
    error = 2.0 * math.sqrt(max(predicted * (1.0 - predicted), 1e-6) / n)
    return abs(observed - predicted) >= max(t.calibration_min_gap, error)


def item_overview(
    session: Session,
    *,
    config: ModelConfig,
    subject: str | None = None,
    grade: int | None = None,
    thresholds: AnalyticsConfig = AnalyticsConfig(),
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """Items flagged as miscalibrated (learned difficulty far from the label's seed, or a
    recent success rate out of line with the model's predictions), then the most attempted
    items with their difficulty movement and success rates."""
    seed = _label_seed(config)
    scoped = []
    if subject:
        scoped.append(Item.subject == subject)
    if grade is not None:
        scoped.append(Item.grade == grade)
    flagged: dict[str, dict[str, Any]] = {}
    learned = func.avg(ItemSkill.difficulty)
    for item_id, label, difficulty, expected in session.execute(
        select(Item.item_id, Item.difficulty_label, learned, seed)
        .join(ItemSkill, ItemSkill.item_id == Item.item_id)
        .where(*scoped, Item.difficulty_label.is_not(None))
        .group_by(Item.item_id, Item.difficulty_label)
        .having(
            func.min(ItemSkill.attempts) >= thresholds.min_item_attempts,
            func.abs(learned - seed) >= thresholds.label_tolerance,
        )
        .limit(500)
    ):
        nearest = min(config.elo.label_difficulties, key=lambda p: abs(p[1] - difficulty))[0]
        if nearest == label:  # beyond the easiest or hardest label: not a wrong label
            continue
        flagged.setdefault(item_id, {"item_id": item_id, "reasons": []})["reasons"].append(
            f"labelled {label} (seed {expected:.0f}) but learned {difficulty:.0f}, like {nearest}"
        )
    by_item = _recent_by_item(session, thresholds)
    calibration = {}
    for item_id, n, predicted, observed in session.execute(
        select(by_item).join(Item, Item.item_id == by_item.c.item_id).where(*scoped)
    ):
        calibration[item_id] = {"n": n, "predicted": predicted, "observed": observed}
        if _calibration_flag(n, predicted, observed, thresholds):
            flagged.setdefault(item_id, {"item_id": item_id, "reasons": []})["reasons"].append(
                f"succeeded {observed:.0%} of {n} recent attempts; the model predicted "
                f"{predicted:.0%}"
            )
    total = session.scalar(select(func.count()).select_from(Item).where(*scoped)) or 0
    items = session.scalars(
        select(Item)
        .where(*scoped)
        .order_by(Item.attempts.desc(), Item.item_id)
        .offset(offset)
        .limit(limit)
    ).all()
    skills: dict[str, list[ItemSkill]] = {}
    for row in session.scalars(
        select(ItemSkill).where(ItemSkill.item_id.in_([i.item_id for i in items]))
    ):
        skills.setdefault(row.item_id, []).append(row)
    rows = [
        {
            "item_id": i.item_id,
            "topic": i.topic,
            "grade": i.grade,
            "label": i.difficulty_label,
            "attempts": i.attempts,
            "success_rate": i.correct / i.attempts if i.attempts else None,
            "skills": [
                {"skill_id": s.skill_id, "initial": s.initial_difficulty, "now": s.difficulty}
                for s in sorted(skills.get(i.item_id, []), key=lambda s: s.skill_id)
            ],
            "recent": calibration.get(i.item_id),
            "flagged": i.item_id in flagged,
        }
        for i in items
    ]
    return {
        "flagged": sorted(flagged.values(), key=lambda f: f["item_id"]),
        "items": rows,
        "total": total,
        "offset": offset,
        "limit": limit,
    }


def item_detail(
    session: Session, item_id: str, *, thresholds: AnalyticsConfig = AnalyticsConfig()
) -> dict[str, Any]:
    """One item: its statistics, each skill's difficulty after every applied attempt
    (oldest first, the last 500), and its recent predicted and observed success.

    Raises:
        NotFound: no such item.
    """
    item = dataclasses.asdict(get_item(SqlCatalogStore(session), item_id))
    rows = session.execute(
        select(Event.applied_seq, Event.occurred_at, Event.outcome, Event.predicted, score_of())
        .where(Event.item_id == item_id, Event.applied_seq.is_not(None))
        .order_by(Event.applied_seq.desc())
        .limit(500)
    ).all()
    history: dict[str, list[dict[str, Any]]] = {
        s: [{"n": 0, "difficulty": v["initial_difficulty"], "at": None}]
        for s, v in item["skills"].items()
    }
    predicted, observed = [], []
    for n, (_, occurred_at, outcome, p, score) in enumerate(reversed(rows), start=1):
        for skill_id, after in (outcome or {}).get("skills", {}).items():
            history.setdefault(skill_id, []).append(
                {"n": n, "difficulty": after["difficulty"], "at": occurred_at}
            )
        if p is not None and score is not None:
            predicted.append(p)
            observed.append(1.0 if score >= 0.5 else 0.0)
    recent = None
    if predicted:
        p_mean, o_mean = sum(predicted) / len(predicted), sum(observed) / len(observed)
        recent = {
            "n": len(predicted),
            "predicted": p_mean,
            "observed": o_mean,
            "flagged": _calibration_flag(len(predicted), p_mean, o_mean, thresholds),
        }
    return {"item": item, "history": history, "recent": recent}
