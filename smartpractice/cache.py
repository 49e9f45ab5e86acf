"""Knowledge-profile cache in Redis, keyed by the student's version.

The key includes the number of attempts applied to the student, so an applied event makes
the old entry unreachable at once: a client that waits for its event to be applied and
then reads its profile sees its own write. Old entries expire after the TTL. Redis being
down only costs speed: every cache error falls back to computing the profile.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import redis

__all__ = ["ProfileCache"]

log = logging.getLogger(__name__)


class ProfileCache:
    """Get and put JSON profiles for (student, version)."""

    def __init__(self, url: str, *, ttl_seconds: int) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._ttl = ttl_seconds

    @staticmethod
    def key(student_id: str, version: int) -> str:
        return f"smartpractice:profile:{student_id}:{version}"

    def get(self, student_id: str, version: int) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(self.key(student_id, version))
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})
            return None
        if raw is None:
            return None
        found: dict[str, Any] = json.loads(cast(bytes, raw))
        return found

    def put(self, student_id: str, version: int, profile: dict[str, Any]) -> None:
        try:
            self._redis.set(self.key(student_id, version), json.dumps(profile), ex=self._ttl)
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})

    def forget(self, student_id: str) -> None:
        """Drop every cached version of the student's profile."""
        try:
            keys = list(self._redis.scan_iter(match=f"smartpractice:profile:{student_id}:*"))
            if keys:
                self._redis.delete(*keys)
        except redis.RedisError:
            log.warning("profile cache unavailable", extra={"action": "cache_error"})

    def close(self) -> None:
        self._redis.close()
