"""experiments, their assignments, and the experiment and arm of each pick

Per tenant: the experiments (plan and state), each student's arm recorded on first
exposure, every item's difficulty when an experiment started, and two columns on the
selection log naming the experiment and arm a pick was served under.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartpractice.storage.models import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.String(length=100), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("primary_metric", sa.String(length=50), nullable=False),
        sa.Column("guardrails", sa.JSON(), nullable=False),
        sa.Column("minimum_detectable_effect", sa.Float(), nullable=False),
        sa.Column("planned_students", sa.Integer(), nullable=False),
        sa.Column("orthogonal", sa.Boolean(), nullable=False),
        sa.Column("auto_stop", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("experiment_id"),
    )
    op.create_table(
        "experiment_assignments",
        sa.Column("experiment_id", sa.String(length=100), nullable=False),
        sa.Column("student_id", sa.String(length=200), nullable=False),
        sa.Column("arm", sa.String(length=100), nullable=False),
        sa.Column("first_exposure_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("experiment_id", "student_id"),
    )
    op.create_table(
        "experiment_difficulties",
        sa.Column("experiment_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("skill_id", sa.String(length=200), nullable=False),
        sa.Column("difficulty", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("experiment_id", "item_id", "skill_id"),
    )
    op.create_index(
        "ix_experiment_assignments_student",
        "experiment_assignments",
        ["student_id"],
        unique=False,
    )
    with op.batch_alter_table("selections") as batch_op:
        batch_op.add_column(sa.Column("experiment_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("arm", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_selections_experiment_arm", ["experiment_id", "arm"])


def downgrade() -> None:
    with op.batch_alter_table("selections") as batch_op:
        batch_op.drop_index("ix_selections_experiment_arm")
        batch_op.drop_column("arm")
        batch_op.drop_column("experiment_id")
    op.drop_table("experiment_difficulties")
    op.drop_index("ix_experiment_assignments_student", table_name="experiment_assignments")
    op.drop_table("experiment_assignments")
    op.drop_table("experiments")
