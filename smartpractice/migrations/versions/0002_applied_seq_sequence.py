"""PostgreSQL sequence for the global apply order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:30:00

Workers on PostgreSQL take `applied_seq` values from a sequence after locking their rows,
so concurrent workers never wait on a counter row. SQLite needs nothing: its writers are
serialised and take max(applied_seq) + 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS applied_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS applied_seq")
