"""Whether the database answers, for the readiness check."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["check_connection"]


def check_connection(session: Session) -> None:
    """Run the cheapest statement; raises the driver's error when the database is down."""
    session.execute(text("SELECT 1"))
