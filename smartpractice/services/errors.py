"""Errors the use cases raise; adapters map them to HTTP codes or CLI messages."""

from __future__ import annotations

from typing import Any

__all__ = ["Conflict", "InvalidInput", "NotFound"]


class InvalidInput(ValueError):
    """Input that names unknown things or breaks a rule; `errors` lists field and problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


class Conflict(ValueError):
    """An event id was already used for different content."""

    def __init__(self, event_ids: list[str], field: str = "event_id") -> None:
        super().__init__(f"{field} already used with different content: {event_ids}")
        self.event_ids = event_ids
        self.field = field


class NotFound(LookupError):
    """The named student, item or event does not exist."""
