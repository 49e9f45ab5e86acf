"""One student: knowledge profile, mastery curves, recent evidence and Smart Practice
picks with their explanations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartpractice.core.config import ModelConfig
from smartpractice.services.analytics.common import skill_names
from smartpractice.services.students import knowledge_profile
from smartpractice.services.tutoring import struggles_for_attempts
from smartpractice.storage.models import Event, SelectionLog
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = ["student_overview"]


def student_overview(
    session: Session,
    student_id: str,
    *,
    config: ModelConfig,
    now: datetime,
    picks: int = 10,
    history: int = 500,
) -> dict[str, Any]:
    """A student's knowledge profile, rating history per skill over the last `history`
    events (the mastery curves), recent attempts with the evidence each produced, and the
    last `picks` Smart Practice picks with why. The 15 most recent attempts carry the
    per-skill struggle (0-1) found in their tutor chats, if any.

    Raises:
        NotFound: the student has no applied attempt yet.
    """
    profile = knowledge_profile(session, student_id, config=config, now=now)
    events = session.execute(
        select(Event.event_id, Event.item_id, Event.status, Event.reason, Event.occurred_at)
        .add_columns(Event.payload, Event.predicted, Event.performance, Event.outcome)
        .where(Event.student_id == student_id)
        .order_by(Event.seq.desc())
        .limit(history)
    ).all()[::-1]
    curves: dict[str, list[dict[str, Any]]] = {}
    applied = 0
    for event in events:
        if event.status != "applied" or not event.outcome:
            continue
        applied += 1
        for skill_id, after in event.outcome.get("skills", {}).items():
            curves.setdefault(skill_id, []).append(
                {
                    "n": applied,
                    "at": event.occurred_at,
                    "rating": after["rating"],
                    "uncertainty": after["uncertainty"],
                    "performance": after["performance"],
                    "expected": after["expected"],
                }
            )
    selections = session.scalars(
        select(SelectionLog)
        .where(SelectionLog.student_id == student_id)
        .order_by(SelectionLog.id.desc())
        .limit(picks)
    ).all()
    misconceptions: dict[str, dict[str, Any]] = {}
    for chapters in profile["knowledge_profile"].values():
        for topics in chapters.values():
            for topic in topics.values():
                for entry in topic["identified_misconceptions"]:
                    misconceptions.setdefault(str(entry["misconception_id"]), dict(entry))
    recent: list[dict[str, Any]] = [dict(row._mapping) for row in reversed(events[-15:])]
    struggles = struggles_for_attempts(
        SqlTutoringStore(session),
        [(a["event_id"], a["payload"].get("tutor_session_id")) for a in recent],
    )
    for attempt in recent:
        attempt["struggles"] = struggles.get(attempt["event_id"], {})
    return {
        "profile": profile,
        "curves": curves,
        "skill_names": skill_names(session, sorted(curves)),
        "attempts": recent,
        "picks": selections,
        "misconceptions": sorted(misconceptions.values(), key=lambda m: -int(m["count"])),
    }
