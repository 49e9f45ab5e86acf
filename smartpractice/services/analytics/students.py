"""One student: knowledge profile, mastery curves, recent evidence and Smart Practice
picks with their explanations.

The curves and the misconception list are built here over the student's events and picks
that `AnalyticsStore` reads; the knowledge profile and the tutor-chat struggles belong to
other use cases, so the caller passes the profile and a way to find the struggles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpractice.services.ports import AnalyticsStore, Pick

__all__ = ["CurvePoint", "RecentAttempt", "StrugglesFinder", "StudentOverview", "student_overview"]

StrugglesFinder = Callable[[Iterable[tuple[str, str | None]]], dict[str, dict[str, float]]]
"""Per attempt event id, the per-skill struggle (0-1) found in its tutor chats, from
(event id, tutor session id or None) pairs."""


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """A skill's state after the student's `n`-th applied answer: rating (Elo points),
    uncertainty (0-1), performance and expected success (0-1)."""

    n: int
    at: datetime
    rating: float
    uncertainty: float
    performance: float
    expected: float


@dataclass(frozen=True, slots=True)
class RecentAttempt:
    """One of the student's latest events with the per-skill struggle (0-1) of its chats."""

    event_id: str
    item_id: str
    status: str
    reason: str | None
    occurred_at: datetime
    payload: dict[str, Any]
    predicted: float | None
    performance: float | None
    outcome: dict[str, Any] | None
    struggles: dict[str, float]


@dataclass(frozen=True, slots=True)
class StudentOverview:
    """The student's profile (as the caller passed it), mastery curves per skill id, skill
    names, latest attempts (newest first), latest picks (newest first), and misconceptions
    (most often seen first)."""

    profile: Any
    curves: dict[str, list[CurvePoint]]
    skill_names: dict[str, str]
    attempts: list[RecentAttempt]
    picks: list[Pick]
    misconceptions: list[dict[str, Any]]


def student_overview(
    store: AnalyticsStore,
    student_id: str,
    *,
    profile: Mapping[str, Any],
    struggles: StrugglesFinder,
    picks: int = 10,
    history: int = 500,
) -> StudentOverview:
    """A student's knowledge profile (`profile`, the `knowledge_profile` use case's answer),
    rating history per skill over the last `history` events (the mastery curves), recent
    attempts with the evidence each produced, and the last `picks` Smart Practice picks
    with why. The 15 most recent attempts carry the per-skill struggle (0-1) `struggles`
    finds in their tutor chats, if any."""
    events = store.student_events(student_id, limit=history)
    curves: dict[str, list[CurvePoint]] = {}
    applied = 0
    for event in events:
        if event.status != "applied" or not event.outcome:
            continue
        applied += 1
        for skill_id, after in event.outcome.get("skills", {}).items():
            curves.setdefault(skill_id, []).append(
                CurvePoint(
                    n=applied,
                    at=event.occurred_at,
                    rating=after["rating"],
                    uncertainty=after["uncertainty"],
                    performance=after["performance"],
                    expected=after["expected"],
                )
            )
    misconceptions: dict[str, dict[str, Any]] = {}
    for chapters in profile["knowledge_profile"].values():
        for topics in chapters.values():
            for topic in topics.values():
                for entry in topic["identified_misconceptions"]:
                    misconceptions.setdefault(str(entry["misconception_id"]), dict(entry))
    recent = list(reversed(events[-15:]))
    found = struggles([(a.event_id, a.payload.get("tutor_session_id")) for a in recent])
    attempts = [
        RecentAttempt(
            event_id=a.event_id,
            item_id=a.item_id,
            status=a.status,
            reason=a.reason,
            occurred_at=a.occurred_at,
            payload=a.payload,
            predicted=a.predicted,
            performance=a.performance,
            outcome=a.outcome,
            struggles=found.get(a.event_id, {}),
        )
        for a in recent
    ]
    return StudentOverview(
        profile=profile,
        curves=curves,
        skill_names=store.skill_names(sorted(curves)),
        attempts=attempts,
        picks=store.picks(student_id, limit=picks),
        misconceptions=sorted(misconceptions.values(), key=lambda m: -int(m["count"])),
    )
