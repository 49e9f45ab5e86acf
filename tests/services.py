"""Finding the external servers integration tests need: fail in CI, skip elsewhere."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

POSTGRES_URL = os.environ.get(
    "SMARTPRACTICE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SMARTPRACTICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get(
    "SMARTPRACTICE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"
)


def _reachable(url: str) -> bool:
    parsed = urlparse(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 2):
            return True
    except OSError:
        return False


def require(name: str, url: str) -> None:
    """Skip (or, in CI, fail) when the server at `url` cannot be reached."""
    if _reachable(url):
        return
    message = f"{name} is not reachable at {url}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run this test (start it in .ci/run)")
    pytest.skip(f"{message}; set SMARTPRACTICE_TEST_* to point at one")


def require_binary(name: str) -> None:
    """Skip (or, in CI, fail) when the program `name` is not installed."""
    import shutil

    if shutil.which(name) is not None:
        return
    message = f"{name} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run this test")
    pytest.skip(message)
