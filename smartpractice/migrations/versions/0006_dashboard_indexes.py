"""dashboard indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:48:37.384634
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_item_applied", ["item_id", "applied_seq"], unique=False)
        batch_op.create_index(
            "ix_events_student_status_seq", ["student_id", "status", "seq"], unique=False
        )

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_grade_subject_topic", ["grade", "subject", "chapter", "topic"], unique=False
        )

    with op.batch_alter_table("student_skills", schema=None) as batch_op:
        batch_op.create_index(
            "ix_student_skills_skill_student",
            ["skill_id", "student_id", "offset", "attempts", "correct"],
            unique=False,
        )

    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("ix_students_last_at", ["last_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_last_at")

    with op.batch_alter_table("student_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_student_skills_skill_student")

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_grade_subject_topic")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_student_status_seq")
        batch_op.drop_index("ix_events_item_applied")
