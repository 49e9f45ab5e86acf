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
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartpractice.services.access import Principal, authenticate, dashboard_principal
from smartpractice.services.access import Scope as KeyScope
from smartpractice.storage.db import DEFAULT_TENANT, Database
from smartpractice.storage.sql_access import SqlAccessStore

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
    "client_address",
    "is_https",
    "limit_address",
    "require_operator",
]

log = logging.getLogger(__name__)

PUBLIC = {"x-required-scope": "none"}
"""`openapi_extra` of a route that needs no key (health checks, the dashboard sign-in)."""

DASHBOARD_COOKIE = "smartpractice_session"
"""The dashboard's sign-in cookie: a random session id whose key the server keeps
(`services.access.open_dashboard_session`). It is honoured only on GET requests under
/dashboard, so a page elsewhere cannot make a signed-in browser change anything (no CSRF
surface)."""

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
            found = authenticate(SqlAccessStore(session), token)
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


def _trusted_proxy(request: Request) -> bool:
    settings = request.app.state.settings
    trusted = {a.strip() for a in settings.trusted_proxies.split(",") if a.strip()}
    return request.client is not None and request.client.host in trusted


def client_address(request: Request) -> str:
    """The caller's address: the last hop before the configured proxies when the request
    comes through one (``X-Forwarded-For``), else the connection's peer."""
    peer = request.client.host if request.client is not None else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and _trusted_proxy(request):
        return forwarded.split(",")[-1].strip() or peer
    return peer


def is_https(request: Request) -> bool:
    """The request reached the service over TLS: directly, or through a configured proxy
    that says so (``X-Forwarded-Proto: https``)."""
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and _trusted_proxy(request)


def limit_address(request: Request, what: str, limit: RateLimitItem) -> None:
    """Count one `what` (unauthenticated, login) from the caller's address under `limit`;
    429 with ``Retry-After`` past it."""
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.retry_after(f"{what}:{client_address(request)}", limit=limit)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests from this address",
            headers={"Retry-After": str(wait)},
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
    principal = None
    if credentials is not None:
        if credentials.scheme.lower() == "bearer":
            checker: KeyChecker = state.key_checker
            principal = checker.principal(credentials.credentials)
    else:
        principal = _dashboard_session(request)
    if principal is None:
        # Each costs a look-up: an address that keeps sending bad keys is slowed down.
        limit_address(request, "unauthenticated", state.unauthenticated_limit)
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


def _dashboard_session(request: Request) -> Principal | None:
    if request.method != "GET" or not request.url.path.startswith("/dashboard"):
        return None
    session_id = request.cookies.get(DASHBOARD_COOKIE)
    if not session_id:
        return None
    root: Database = request.app.state.db
    with root.transaction() as session:
        return dashboard_principal(SqlAccessStore(session), session_id, now=datetime.now(UTC))


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
