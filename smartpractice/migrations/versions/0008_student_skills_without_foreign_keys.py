"""student_skills without foreign keys

Every new (student, skill) rating row cost two foreign-key checks (one query each, run
row by row by the triggers), about half of PostgreSQL's work per applied event. The
worker writes the student's row before their skill rows in the same transaction, and
removing a student deletes the skill rows explicitly (services.data_protection), so
the checks guarded nothing the code does not already keep.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's constraints were created without names; batch mode finds them by these.
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("student_skills_student_id_fkey", "student_skills", type_="foreignkey")
        op.drop_constraint("student_skills_skill_id_fkey", "student_skills", type_="foreignkey")
        return
    with op.batch_alter_table("student_skills", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("fk_student_skills_student_id_students", type_="foreignkey")
        batch_op.drop_constraint("fk_student_skills_skill_id_skills", type_="foreignkey")


def downgrade() -> None:
    # The names upgrade() looks for on each database, so that upgrading again works.
    postgres = op.get_bind().dialect.name == "postgresql"
    student_fk = (
        "student_skills_student_id_fkey" if postgres else "fk_student_skills_student_id_students"
    )
    skill_fk = "student_skills_skill_id_fkey" if postgres else "fk_student_skills_skill_id_skills"
    with op.batch_alter_table("student_skills", schema=None) as batch_op:
        batch_op.create_foreign_key(
            student_fk, "students", ["student_id"], ["student_id"], ondelete="CASCADE"
        )
        batch_op.create_foreign_key(skill_fk, "skills", ["skill_id"], ["skill_id"])
