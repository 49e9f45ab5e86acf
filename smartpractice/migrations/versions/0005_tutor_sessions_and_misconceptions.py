"""tutor sessions and misconceptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:48:53.749562
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tutor_sessions",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("student_id", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=True),
        sa.Column("attempt_event_id", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("session_id"),
    )
    with op.batch_alter_table("tutor_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tutor_sessions_attempt_event_id"), ["attempt_event_id"], unique=False
        )
        batch_op.create_index(
            "ix_tutor_sessions_status_partition", ["status", "partition"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tutor_sessions_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "misconceptions",
        sa.Column("misconception_id", sa.String(length=200), nullable=False),
        sa.Column("skill_id", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("example_wrong_answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.skill_id"],
        ),
        sa.PrimaryKeyConstraint("misconception_id"),
    )
    with op.batch_alter_table("misconceptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_misconceptions_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "student_misconceptions",
        sa.Column("student_id", sa.String(length=200), nullable=False),
        sa.Column("misconception_id", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["misconception_id"], ["misconceptions.misconception_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("student_id", "misconception_id"),
    )


def downgrade() -> None:
    op.drop_table("student_misconceptions")
    with op.batch_alter_table("misconceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_misconceptions_skill_id"))

    op.drop_table("misconceptions")
    with op.batch_alter_table("tutor_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tutor_sessions_student_id"))
        batch_op.drop_index("ix_tutor_sessions_status_partition")
        batch_op.drop_index(batch_op.f("ix_tutor_sessions_attempt_event_id"))

    op.drop_table("tutor_sessions")
