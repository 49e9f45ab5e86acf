"""Alembic environment: runs migrations on the URL set by `smartpractice.storage.db`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from smartpractice.storage.models import SERVICE_TABLES, Base

config = context.config
target_metadata = Base.metadata


def is_tenant_database() -> bool:
    """True when migrating a tenant other than the default one: the service-wide tables
    (tenants, API keys, audit log) live only with the default tenant."""
    return bool(config.attributes.get("tenant_id", "default") != "default")


def _include_object(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    if type_ == "table" and is_tenant_database():
        return name not in SERVICE_TABLES
    return True


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url)
    schema = config.attributes.get("tenant_schema")
    with engine.connect() as connection:
        if schema is not None:
            # A tenant's tables (and its Alembic version) live in its own schema: the
            # migrations name no schema, so the search path decides where they land.
            connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            connection.exec_driver_sql(f'SET search_path TO "{schema}"')
            connection.commit()
            connection.dialect.default_schema_name = schema
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            version_table_schema=schema,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
