"""Service settings: one object, built at start-up from the environment (never at import).

Every variable is read with the prefix ``SMARTPRACTICE_``; nested model constants use
``__``, e.g. ``SMARTPRACTICE_MODEL__SELECTION__TARGET_SUCCESS=0.5``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpractice.core.config import ModelConfig

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Deployment settings plus the math core's `ModelConfig`."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTPRACTICE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite:///./smartpractice.db"
    """SQLAlchemy URL; ``postgresql+psycopg://user@host/db`` for PostgreSQL."""
    queue: Literal["embedded", "celery"] = "embedded"
    """``embedded``: a worker thread inside the API process; ``celery``: separate workers."""
    broker_url: str = "redis://127.0.0.1:6379/0"
    """Celery broker (``redis://`` or ``amqp://``), used when ``queue=celery``."""
    celery_queue: str = Field(default="smartpractice", min_length=1, max_length=200)
    """Name of the broker queue the API sends to and the workers read; deployments (or
    test runs) sharing one broker keep apart by using different names."""
    tenant_queues: int = Field(default=4, ge=1, le=64)
    """Broker queues the tenants' messages are spread over (by a hash of the tenant id);
    workers read them all in turn, so a tenant with a backlog of messages does not hold
    up another's. Must be the same in every API and worker process."""
    migrate_on_start: bool = True
    """Bring the schema to the newest migration when the API starts."""
    partitions: int = Field(default=64, ge=1, le=4096)
    """Students are hashed into this many partitions; one worker applies a partition at a
    time. Must be the same in every API and worker process."""
    cache_url: str | None = None
    """Redis URL for the profile cache (``redis://host:6379/1``); no cache when unset."""
    profile_cache_seconds: int = Field(default=300, ge=1)
    """How long a cached knowledge profile lives (it is keyed by the student's version, so
    a new attempt makes it unreachable at once)."""
    sweep_seconds: float = Field(default=5.0, gt=0)
    """How often Celery workers look for events left pending (a lost message, a broker
    outage) and enqueue them again."""
    sweep_min_age_seconds: float = Field(default=2.0, ge=0)
    """Pending events younger than this are left to the message already sent for them."""
    worker_batch_size: int = Field(default=200, ge=1)
    """Most events one worker applies in one transaction."""
    worker_partitions_per_task: int = Field(default=16, ge=1)
    """Most partitions one Celery task takes; it passes the others on at once, so that
    every worker gets a share of a message that names all of them."""
    worker_batches_per_task: int = Field(default=4, ge=1)
    """Batches one Celery task applies before it passes its partitions on (when they still
    have work), so that partitions waiting in the queue get their turn."""
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    """How often the embedded worker looks for pending events when not woken."""
    scope_cache_seconds: float = Field(default=60.0, ge=0)
    """How long an API process remembers which skills a subject/chapter/topic covers."""
    tutor_backend: Literal["local", "lexical", "llm"] = "local"
    """Text similarity for tutor chats: ``local`` (offline MiniLM embeddings, falling back
    to ``lexical`` when the model package is not installed), ``lexical``, or ``llm``."""
    llm_url: str | None = None
    """OpenAI-compatible base URL for the ``llm`` backend, e.g. ``http://127.0.0.1:8080/v1``."""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(default=10.0, gt=0)
    keep_transcripts: bool = True
    """Keep the (redacted) text of tutor chats after analysis; False keeps only the analysis."""
    transcript_retention_days: int = Field(default=30, ge=0)
    """Raw chat text older than this is erased by the worker's sweep (analysis stays)."""
    transcript_wait_seconds: float = Field(default=300.0, ge=0)
    """How long an attempt naming a `tutor_session_id` waits for that chat's analysis."""
    event_retention_days: int | None = Field(default=None, ge=1)
    """Applied and rejected events older than this are deleted by the worker's sweep
    (ratings keep what they learned, but `replay` can then only rebuild from what is left);
    None keeps the whole log."""
    max_clock_skew_seconds: float = Field(default=300.0, ge=0)
    """An attempt whose ``occurred_at`` is further ahead of the service's clock than this
    is refused with a 422 (a far-future time would freeze the time effects of the shared
    item rows it touches)."""
    max_event_age_days: int = Field(default=3650, ge=1)
    """An attempt whose ``occurred_at`` is older than this is refused with a 422."""
    rate_limit: str = "600/minute"
    """Requests each API key may make (``limits`` notation: ``600/minute``, ``20/second``);
    the excess is answered 429 with ``Retry-After``."""
    event_rate_limit: str = "60000/minute"
    """Attempts each API key may post (counted per attempt, so a batch of 1,000 counts
    1,000); the excess is answered 429 with ``Retry-After``. Bounds how much of the
    workers' time one key's batches can take from other tenants."""
    unauthenticated_rate_limit: str = "120/minute"
    """Requests without a valid key each client address may make; past it they are
    answered 429 instead of 401."""
    login_rate_limit: str = "10/minute"
    """Dashboard sign-in attempts each client address may make (429 past it)."""
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    """How long a dashboard sign-in lasts (the session lives on the server; signing out or
    revoking the key ends it at once)."""
    trusted_proxies: str = ""
    """Comma-separated addresses of the reverse proxies in front of the API: from them,
    and only them, ``X-Forwarded-For`` gives the client's address and
    ``X-Forwarded-Proto: https`` marks the request as arriving over TLS (so the dashboard
    cookie is ``Secure``)."""
    rate_limit_url: str = "memory://"
    """Where request counts live: ``memory://`` (per API process) or ``redis://host:6379/2``
    (shared by every API process, so the limit holds for the deployment)."""
    max_body_bytes: int = Field(default=4_000_000, ge=1_000)
    """Largest request body accepted (413 above it); a full batch of 1,000 attempts with
    long fields fits."""
    key_cache_seconds: float = Field(default=5.0, ge=0)
    """How long an API process trusts a key it has checked; a revoked key is refused by
    every process within this time."""
    model: ModelConfig = Field(default_factory=ModelConfig)
    """Every tunable constant of the rating, evidence and selection math."""
