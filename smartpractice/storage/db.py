"""Engine, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

__all__ = [
    "DEFAULT_TENANT",
    "Database",
    "alembic_config",
    "check_tenant_id",
    "is_transient_conflict",
    "make_engine",
    "make_session_factory",
    "tenant_schema",
    "tenant_url",
    "upgrade_schema",
]

DEFAULT_TENANT = "default"
"""The tenant of the embedded default and of deployments that never create another: its
data lives in the database's own schema (PostgreSQL ``public``) or the SQLite file itself."""

_TENANT_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the API) run while the worker writes; the busy timeout makes
    # writers wait for each other instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads and then writes can fail with "database is
    # locked" no matter the timeout; taking the write lock up front serialises writers
    # cleanly, which also makes "max(applied_seq) + 1" safe.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


LOCK_TIMEOUT_MS = 5_000
"""PostgreSQL: longest wait for a lock before the statement fails (and is retried), so a
stalled holder cannot hold every other worker or request."""
IDLE_IN_TRANSACTION_MS = 30_000
"""PostgreSQL: a session idle this long inside a transaction (a frozen or cut-off worker)
is ended by the server, which rolls its transaction back and frees its locks; nothing the
service does stays idle in a transaction for that long."""
PG_SESSION_OPTIONS = (
    f"-c lock_timeout={LOCK_TIMEOUT_MS} "
    f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS} "
    # The server notices a peer that vanished from the network in about 25 s, not 2 h.
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
)
_PG_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}


def make_engine(url: str) -> Engine:
    """An engine for `url` with the per-backend settings the service relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": PG_SESSION_OPTIONS, **_PG_KEEPALIVES},
    )


_TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}
"""PostgreSQL: deadlock detected, serialization failure, lock not available."""


def is_transient_conflict(error: DBAPIError) -> bool:
    """True if the transaction failed only because of another one running at once (a
    unique key it stored meanwhile, a deadlock, a lock wait cut short), so that running
    it again can succeed."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def check_tenant_id(tenant_id: str) -> str:
    """`tenant_id` if it is a valid tenant id (a lowercase letter, then up to 39 lowercase
    letters, digits or underscores); ValueError otherwise. The id becomes part of a schema
    or file name, so nothing else may pass."""
    if not _TENANT_ID.fullmatch(tenant_id):
        raise ValueError(
            "tenant id must be a lowercase letter followed by up to 39 lowercase letters, "
            "digits or underscores"
        )
    return tenant_id


def tenant_schema(tenant_id: str) -> str | None:
    """The PostgreSQL schema holding `tenant_id`'s data (None: the default tenant's
    ``public``)."""
    return None if tenant_id == DEFAULT_TENANT else f"tenant_{check_tenant_id(tenant_id)}"


def tenant_url(url: str, tenant_id: str) -> str:
    """The database URL holding `tenant_id`'s data: on SQLite a file of its own beside the
    main one (``smartpractice.db`` -> ``smartpractice.tenant-ID.db``); on PostgreSQL the
    same database (tenants are schemas there)."""
    if tenant_id == DEFAULT_TENANT or not url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("tenants on SQLite need a database file, not an in-memory database")
    path = Path(parsed.database)
    name = f"{path.stem}.tenant-{check_tenant_id(tenant_id)}{path.suffix}"
    return parsed.set(database=str(path.with_name(name))).render_as_string(hide_password=False)


def make_session_factory(
    engine: Engine, *, schema: str | None = None, tenant_id: str = DEFAULT_TENANT
) -> sessionmaker[Session]:
    """Sessions on `engine` for `tenant_id` (in ``session.info``); with `schema`, every
    transaction sees only that schema."""
    factory = sessionmaker(engine, expire_on_commit=False, info={"tenant_id": tenant_id})
    if schema is not None:

        def _enter_schema(_session: Session, _tx: SessionTransaction, conn: Connection) -> None:
            # SET LOCAL ends with the transaction, so a pooled connection never carries one
            # tenant's search path into another's transaction; with no fallback to
            # ``public`` a query cannot reach the default tenant's tables either.
            conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')

        event.listen(factory, "after_begin", _enter_schema)
    return factory


def alembic_config(url: str, tenant_id: str = DEFAULT_TENANT) -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package, for
    the database (and, on PostgreSQL, the schema) of `tenant_id`."""
    config = Config()
    location = Path(str(resources.files("smartpractice") / "migrations"))
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", tenant_url(url, tenant_id).replace("%", "%%"))
    config.attributes["tenant_id"] = tenant_id
    if not url.startswith("sqlite"):
        config.attributes["tenant_schema"] = tenant_schema(tenant_id)
    return config


def upgrade_schema(url: str, tenant_id: str = DEFAULT_TENANT) -> None:
    """Bring `tenant_id`'s tables at `url` to the newest schema (idempotent)."""
    command.upgrade(alembic_config(url, tenant_id), "head")


class Database:
    """An engine and its session factory; `transaction()` is one unit of work.

    A Database serves one tenant. The default tenant's Database also owns the engine and
    hands out the others with `for_tenant` (on PostgreSQL they share its connection pool
    and see only their schema; on SQLite each has a file of its own).
    """

    def __init__(
        self,
        url: str,
        *,
        tenant_id: str = DEFAULT_TENANT,
        shared_engine: Engine | None = None,
    ) -> None:
        self.url = url
        self.tenant_id = tenant_id
        self._owns_engine = shared_engine is None
        self.engine = shared_engine or make_engine(tenant_url(url, tenant_id))
        schema = tenant_schema(tenant_id) if not url.startswith("sqlite") else None
        self.sessions = make_session_factory(self.engine, schema=schema, tenant_id=tenant_id)
        self._tenants: dict[str, Database] = {}
        self._tenants_lock = threading.Lock()

    def for_tenant(self, tenant_id: str) -> Database:
        """The Database of `tenant_id` (whose tables must exist: see `upgrade_schema`)."""
        if tenant_id == self.tenant_id:
            return self
        with self._tenants_lock:
            found = self._tenants.get(tenant_id)
            if found is None:
                check_tenant_id(tenant_id)
                shared = None if self.url.startswith("sqlite") else self.engine
                found = Database(self.url, tenant_id=tenant_id, shared_engine=shared)
                self._tenants[tenant_id] = found
            return found

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        with self._tenants_lock:
            tenants, self._tenants = list(self._tenants.values()), {}
        for tenant in tenants:
            tenant.dispose()
        if self._owns_engine:
            self.engine.dispose()
