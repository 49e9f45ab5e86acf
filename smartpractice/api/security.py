"""Who may call what: API keys with scopes, and per-key rate limits.

Every route declares the scope it needs by taking one of `IngestDatabase`, `ReadDatabase`,
`AdminDatabase` (the caller's tenant's database) or `Caller[...]`; `PUBLIC` marks the few
that need none. A missing, malformed, unknown or revoked key is a 401 and a key without
the scope a 403, before the route looks anything up, so neither reveals whether a
student or item exists.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartpractice.services.access import Principal, authenticate
from smartpractice.services.access import Scope as KeyScope
from smartpractice.storage.db import DEFAULT_TENANT, Database

__all__ = [
    "DASHBOARD_COOKIE",
    "PUBLIC",
    "AdminDatabase",
    "AdminKey",
    "IngestDatabase",
    "IngestKey",
    "KeyChecker",
    "RateLimiter",
    "ReadDatabase",
    "ReadKey",
    "authorize",
    "charge_events",
    "require_operator",
]

log = logging.getLogger(__name__)

PUBLIC = {"x-required-scope": "none"}
"""`openapi_extra` of a route that needs no key (health checks, the dashboard sign-in)."""

DASHBOARD_COOKIE = "smartpractice_key"
"""The dashboard's sign-in cookie. It is honoured only on GET requests under /dashboard, so
a page elsewhere cannot make a signed-in browser change anything (no CSRF surface)."""

DEMO_PRINCIPAL = Principal(
    key_id="demo", key_name="demo (auth off)", tenant_id=DEFAULT_TENANT, scope=KeyScope.admin
)

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `smartpractice keys create`: `Authorization: Bearer sp_...`",
)


class KeyChecker:
    """Checks bearer tokens against the key table, remembering good ones `ttl_seconds`."""

    def __init__(self, db: Database, ttl_seconds: float) -> None:
        self._db = db
        self._ttl = ttl_seconds
        self._known: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal | None:
        # Remember a digest, not the token, so a memory dump shows no usable key.
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            known = self._known.get(digest)
        if known is not None and known[0] > now:
            return known[1]
        with self._db.transaction() as session:
            found = authenticate(session, token)
        if found is not None and self._ttl > 0:
            with self._lock:
                if len(self._known) > 10_000:
                    self._known.clear()
                self._known[digest] = (now + self._ttl, found)
        return found


class RateLimiter:
    """A moving-window limit per key (``limits``), in memory or shared through Redis.

    When the shared store cannot be reached (or does not answer within
    `store_timeout_seconds`), requests are counted in this process's memory instead, for
    `fallback_seconds` before the store is tried again: the limit then holds per process
    rather than for the deployment, and the service keeps answering. The switch is
    logged (``rate_limit_store_down``).
    """

    def __init__(
        self,
        limit: str,
        storage_url: str,
        *,
        store_timeout_seconds: float = 0.5,
        fallback_seconds: float = 5.0,
    ) -> None:
        self._item = parse(limit)
        options: dict[str, float] = {}
        if storage_url.startswith(("redis", "rediss")):
            # A stopped Redis accepts connections and never answers: bound every wait.
            options = {
                "socket_timeout": store_timeout_seconds,
                "socket_connect_timeout": store_timeout_seconds,
            }
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url, **options))
        self._local = MovingWindowRateLimiter(storage_from_string("memory://"))
        self._fallback_seconds = fallback_seconds
        self._store_down_until = 0.0

    def retry_after(
        self, key_id: str, *, cost: int = 1, limit: RateLimitItem | None = None
    ) -> int | None:
        """None when `cost` more may go ahead under `limit` (this limiter's by default),
        and counts them; else seconds to wait."""
        item = limit or self._item
        limiter = self._local if time.monotonic() < self._store_down_until else self._limiter
        try:
            return self._check(limiter, item, key_id, cost)
        except Exception:
            if limiter is self._local:
                raise
            self._store_down_until = time.monotonic() + self._fallback_seconds
            log.warning(
                "rate-limit store unavailable; counting in this process",
                extra={"action": "rate_limit_store_down"},
            )
            return self._check(self._local, item, key_id, cost)

    @staticmethod
    def _check(
        limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str, cost: int
    ) -> int | None:
        if limiter.hit(item, key, cost=cost):
            return None
        reset_at, _remaining = limiter.get_window_stats(item, key)
        return max(1, math.ceil(reset_at - time.time()))


def _unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or invalid API key (Authorization: Bearer <key>)",
        headers={"WWW-Authenticate": "Bearer"},
    )


def authorize(
    security_scopes: SecurityScopes,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The calling key, if it may use this route; 401, 403 or 429 otherwise."""
    needed = KeyScope(security_scopes.scopes[0])
    state = request.app.state
    if not state.auth_required:
        return DEMO_PRINCIPAL
    token = credentials.credentials if credentials is not None else _dashboard_cookie(request)
    if token is None or (credentials is not None and credentials.scheme.lower() != "bearer"):
        raise _unauthorized()
    checker: KeyChecker = state.key_checker
    principal = checker.principal(token)
    if principal is None:
        raise _unauthorized()
    if not principal.scope.allows(needed):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key lacks the {needed} scope")
    limiter: RateLimiter = state.rate_limiter
    wait = limiter.retry_after(principal.key_id)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "rate limit exceeded for this key",
            headers={"Retry-After": str(wait)},
        )
    request.state.principal = principal
    return principal


def charge_events(request: Request, count: int) -> None:
    """Count `count` events against the calling key's event limit
    (``SMARTPRACTICE_EVENT_RATE_LIMIT``); 429 with ``Retry-After`` past it. Requests are
    limited in `authorize`; this limits what a request of many events costs the
    workers, so that one key's batches cannot fill every worker's queue."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # authentication off (demo)
        return
    state = request.app.state
    limiter: RateLimiter = state.rate_limiter
    wait = limiter.retry_after(principal.key_id, cost=count, limit=state.event_limit)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "event rate limit exceeded for this key",
            headers={"Retry-After": str(wait)},
        )


def _dashboard_cookie(request: Request) -> str | None:
    if request.method != "GET" or not request.url.path.startswith("/dashboard"):
        return None
    return request.cookies.get(DASHBOARD_COOKIE)


IngestKey = Annotated[Principal, Security(authorize, scopes=[KeyScope.ingest.value])]
ReadKey = Annotated[Principal, Security(authorize, scopes=[KeyScope.read.value])]
AdminKey = Annotated[Principal, Security(authorize, scopes=[KeyScope.admin.value])]


def require_operator(principal: AdminKey) -> Principal:
    """An admin key of the default tenant: the operator's, who may see service-wide
    figures (such as /metrics) that span every tenant."""
    if principal.tenant_id != DEFAULT_TENANT:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "service-wide figures need an admin key of the operator"
        )
    return principal


def _tenant_database(request: Request, principal: Principal) -> Database:
    root: Database = request.app.state.db
    return root.for_tenant(principal.tenant_id)


def _ingest_database(request: Request, principal: IngestKey) -> Database:
    return _tenant_database(request, principal)


def _read_database(request: Request, principal: ReadKey) -> Database:
    return _tenant_database(request, principal)


def _admin_database(request: Request, principal: AdminKey) -> Database:
    return _tenant_database(request, principal)


IngestDatabase = Annotated[Database, Depends(_ingest_database)]
"""The caller's tenant's database; the caller holds an ``ingest`` (or ``admin``) key."""
ReadDatabase = Annotated[Database, Depends(_read_database)]
"""The caller's tenant's database; the caller holds a ``read`` (or ``admin``) key."""
AdminDatabase = Annotated[Database, Depends(_admin_database)]
"""The caller's tenant's database; the caller holds an ``admin`` key."""
