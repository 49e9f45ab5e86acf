"""event partitions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:24:15.513220
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partition", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_events_status_partition_seq", ["status", "partition", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_partition_seq")
        batch_op.drop_column("partition")
