"""dashboard sessions kept on the server

The dashboard's cookie holds a random session id instead of the API key; the service
keeps a digest of the id, the key it stands for and when it expires.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from smartpractice.storage.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _service_wide() -> bool:
    # Only the default tenant's database holds the service-wide tables.
    return bool(context.config.attributes.get("tenant_id", "default") == "default")


def upgrade() -> None:
    if not _service_wide():
        return
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.key_id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_dashboard_sessions_key_id", "dashboard_sessions", ["key_id"], unique=False)


def downgrade() -> None:
    if not _service_wide():
        return
    op.drop_index("ix_dashboard_sessions_key_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
