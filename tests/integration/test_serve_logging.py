"""Under `smartpractice serve` the service's own log records reach stderr (the web server
configures only its loggers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smartpractice_lab.throwaway import free_port

pytestmark = pytest.mark.integration

_CLI = str(Path(sys.executable).parent / "smartpractice")


def test_serve_prints_the_service_log_records(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SMARTPRACTICE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        # Nothing listens there: the first keyed request logs that the store is down.
        "SMARTPRACTICE_RATE_LIMIT_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    created = subprocess.run(
        [_CLI, "keys", "create", "--scope", "read", "--name", "t"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.splitlines()[1]
    port = free_port()
    log_file = tmp_path / "serve.err"
    with log_file.open("wb") as stderr:
        server = subprocess.Popen(
            [_CLI, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{base}/v1/skills", headers=headers).status_code == 200
        finally:
            server.terminate()
            server.wait(20)
    printed = log_file.read_text()
    assert "rate-limit store unavailable" in printed
    assert "action=rate_limit_store_down" in printed
