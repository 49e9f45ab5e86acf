"""Throwaway Redis and PostgreSQL servers of one's own, for fault tests and `bench faults`:
started on a free port in a temporary folder, stopped (or frozen, or killed) at will, and
removed afterwards. Shared servers are never touched."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Server", "free_port", "postgres_binaries", "throwaway_postgres", "throwaway_redis"]


def free_port() -> int:
    """A TCP port nothing listens on now (on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not come up in {timeout:.0f} s")


@dataclass
class Server:
    """A running throwaway server: its URL and process, which one may freeze or kill."""

    url: str
    process: subprocess.Popen[bytes]

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): connections are accepted, nothing is answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def throwaway_redis() -> Iterator[Server]:
    """A private ``redis-server`` (no persistence) on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sp-redis-") as folder:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--dir", folder, "--appendonly", "no", "--logfile", f"{folder}/redis.log"]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = Server(f"redis://127.0.0.1:{port}/0", process)
        try:
            _wait_for_port(port, process)
            yield server
        finally:
            if process.poll() is None:
                server.thaw()
            server.kill()


def postgres_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, if installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@contextmanager
def throwaway_postgres(*, settings: dict[str, str] | None = None) -> Iterator[Server]:
    """A private PostgreSQL cluster (trust authentication, fsync off: test data only) on
    a free port; yields its ``postgres`` database's URL. `settings` go to the server's
    command line (``-c name=value``)."""
    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL's initdb is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sp-pg-") as folder:
        data = Path(folder) / "data"
        owner = _server_user(folder)
        user = ["-U", "postgres"]
        subprocess.run(
            [str(binaries / "initdb"), "-D", str(data), "-A", "trust", *user, "--no-sync"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **owner,
        )
        options = {
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "64MB",
            **(settings or {}),
        }
        command = [str(binaries / "postgres"), "-D", str(data), "-p", str(port)]
        command += ["-c", "listen_addresses=127.0.0.1", "-k", folder]
        for name, value in options.items():
            command += ["-c", f"{name}={value}"]
        command += ["-c", "logging_collector=off"]
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **owner
        )
        server = Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", process)
        try:
            _wait_for_port(port, process)
            _wait_for_postgres(server.url)
            yield server
        finally:
            if process.poll() is None:
                server.thaw()
                process.send_signal(signal.SIGINT)  # fast shutdown
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    server.kill()


def _server_user(folder: str) -> dict[str, Any]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user (which
    then owns `folder`); otherwise as ourselves."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root needs a 'postgres' user for PostgreSQL") from None
    os.chown(folder, account.pw_uid, account.pw_gid)
    return {"user": account.pw_uid, "group": account.pw_gid}


def _wait_for_postgres(url: str, timeout: float = 30.0) -> None:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(conninfo, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
