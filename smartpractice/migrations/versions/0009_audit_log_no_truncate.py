"""audit_log refuses TRUNCATE too (PostgreSQL)

Row triggers refuse UPDATE and DELETE, but TRUNCATE fires no row trigger: a statement
trigger refuses it. SQLite has no TRUNCATE (its "DELETE without WHERE" shortcut is off
while a table has triggers, so the DELETE trigger already holds).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _applies() -> bool:
    # Only the default tenant's database holds the service-wide tables.
    service_wide = context.config.attributes.get("tenant_id", "default") == "default"
    return bool(service_wide and op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    if _applies():
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if _applies():
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
