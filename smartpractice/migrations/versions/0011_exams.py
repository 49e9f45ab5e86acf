"""exam blueprints, mock papers and the exam of a previous-year question

Exams hold a blueprint per exam (the validated import record as JSON); mock papers the
papers assembled for students, with their seed, items, forecast and answers; items an
optional ``exam`` (the exam a previous-year question was set in).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartpractice.storage.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("exam", sa.String(length=50), nullable=True))
    op.create_table(
        "exams",
        sa.Column("exam_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Float(), nullable=False),
        sa.Column("blueprint", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("exam_id"),
    )
    op.create_table(
        "mock_papers",
        sa.Column("paper_id", sa.String(length=200), nullable=False),
        sa.Column("student_id", sa.String(length=200), nullable=False),
        sa.Column("exam_id", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("paper", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_index("ix_mock_papers_student_id", "mock_papers", ["student_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mock_papers_student_id", table_name="mock_papers")
    op.drop_table("mock_papers")
    op.drop_table("exams")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("exam")
