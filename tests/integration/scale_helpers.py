"""Processes and servers the scale-out tests start themselves (never the shared ones)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from smartpractice.storage.db import Database
from smartpractice.storage.models import Event

SMARTPRACTICE = str(Path(sys.executable).parent / "smartpractice")
PG_BIN = Path("/usr/lib/postgresql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def status_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {
            status: int(count)
            for status, count in session.execute(
                select(Event.status, func.count()).group_by(Event.status)
            )
        }


class Worker:
    """A `smartpractice worker` subprocess (its own process group, so it can be killed)."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 1, beat: bool = False) -> None:
        args = [SMARTPRACTICE, "worker", f"--concurrency={concurrency}", "--loglevel=warning"]
        args.append("--beat" if beat else "--no-beat")
        self.process = subprocess.Popen(
            args,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class ThrowawayRedis:
    """A redis-server of our own on a free port, which tests may stop and restart."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._up, timeout=10, what="redis-server")

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def pg_binary(name: str) -> str | None:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    return str(found[-1]) if found else None


class ThrowawayPostgres:
    """A temporary PostgreSQL cluster on a free port, run as the `postgres` user."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders.
        self.sock = Path(tempfile.mkdtemp(prefix="smartpractice-pg-"))
        self.data = self.sock / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        initdb = pg_binary("initdb")
        assert initdb, "PostgreSQL server binaries are not installed"
        if os.geteuid() == 0:
            shutil.chown(self.sock, "postgres")
            os.chmod(self.sock, 0o755)
        self._as_postgres(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        pg_ctl = pg_binary("pg_ctl")
        assert pg_ctl
        options = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            pg_ctl,
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "start",
            "-l",
            str(self.sock / "pg.log"),
        )

    def stop(self) -> None:
        pg_ctl = pg_binary("pg_ctl")
        assert pg_ctl
        self._as_postgres(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.sock, ignore_errors=True)
