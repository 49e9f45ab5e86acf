"""Knowledge-profile cache in Redis, keyed by the student's version.

The key includes the number of attempts applied to the student, so an applied event makes
the old entry unreachable at once: a client that waits for its event to be applied and
then reads its profile sees its own write. Old entries expire after the TTL. Redis being
down only costs speed: every cache error falls back to computing the profile.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, cast

import redis

__all__ = ["ProfileCache"]

log = logging.getLogger(__name__)


class ProfileCache:
    """Get and put JSON profiles for (tenant, student, version)."""

    def __init__(self, url: str, *, ttl_seconds: int) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._ttl = ttl_seconds

    @staticmethod
    def key(tenant_id: str, student_id: str, version: int) -> str:
        return f"{ProfileCache.prefix(tenant_id, student_id)}{version}"

    @staticmethod
    def prefix(tenant_id: str, student_id: str) -> str:
        # A digest, not the id: student ids are the client's own strings, which may hold
        # the glob characters of a SCAN pattern or a ':' (forgetting one student must never
        # match another), and key names then carry no student id.
        digest = hashlib.sha256(student_id.encode()).hexdigest()[:40]
        return f"smartpractice:profile:{tenant_id}:{digest}:"

    def get(self, tenant_id: str, student_id: str, version: int) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(self.key(tenant_id, student_id, version))
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})
            return None
        if raw is None:
            return None
        found: dict[str, Any] = json.loads(cast(bytes, raw))
        return found

    def put(self, tenant_id: str, student_id: str, version: int, profile: dict[str, Any]) -> None:
        try:
            self._redis.set(
                self.key(tenant_id, student_id, version), json.dumps(profile), ex=self._ttl
            )
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})

    def forget(self, tenant_id: str, student_id: str) -> int:
        """Drop every cached version of the student's profile; how many there were."""
        try:
            pattern = f"{self.prefix(tenant_id, student_id)}*"
            keys = list(self._redis.scan_iter(match=pattern))
            if keys:
                self._redis.delete(*keys)
            return len(keys)
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})
            return 0

    def close(self) -> None:
        self._redis.close()
