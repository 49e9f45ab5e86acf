"""Per-key rate limit under a flood: one noisy key, one calm key, a real server.

Starts `smartpractice serve` (uvicorn, keys required) on a temporary SQLite database with
the sample bank and creates three ``read`` keys. First, for `--baseline-seconds`, a probe
alone measures what a calm caller sees from an otherwise idle server; then, during one
window of `--seconds`,

* the noisy key sends `--requests` GET /v1/items?limit=1, evenly spread over the window
  (open loop: each request is handed to a thread pool at its scheduled time, whether or
  not earlier ones have been answered; one ``httpx.Client`` shared by `--threads` threads,
  which on this machine costs the client a third of the CPU of ``httpx.AsyncClient``);
* the calm key makes the same request every `--calm-interval` seconds from a separate
  process (so that the noisy client's GIL does not show up as server latency), recording
  each answer's status and latency.

Reports how the noisy key's requests were answered (200, 429, Retry-After on every 429,
accepted count against the limit, the rate actually offered) and what the calm key saw
(success share, latency p50/p99). The default is the acceptance run:

    python -m smartpractice_lab.bench.rate_limit             # 10,000 requests in 60 s, 600/minute
    python -m smartpractice_lab.bench.rate_limit --seconds 10 --requests 2000 --json  # quick
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from limits import parse

from smartpractice.services.access import Scope, create_key, ensure_tenant
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.settings import Settings
from smartpractice.storage.db import DEFAULT_TENANT, Database, upgrade_schema
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_catalog import SqlCatalogStore

_EXECUTABLE = str(Path(sys.executable).parent / "smartpractice")
_ROUTE = "/v1/items?limit=1"


@dataclass(frozen=True)
class Answer:
    """One request as the client saw it; status 0 is a transport error (timeout, reset)."""

    sent: float
    """Seconds after the window's start when the request left."""
    latency: float
    """Seconds from sending to the complete response."""
    status: int
    retry_after: str | None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_database(url: str) -> dict[str, str]:
    """Schema, the sample bank and three read keys; their tokens by name."""
    upgrade_schema(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            ensure_tenant(SqlAccessStore(session), DEFAULT_TENANT)
            load_sample_bank(SqlCatalogStore(session), elo=Settings().model.elo)
            return {
                name: create_key(
                    SqlAccessStore(session),
                    tenant_id=DEFAULT_TENANT,
                    scope=Scope.read,
                    name=f"bench-{name}",
                ).token
                for name in ("noisy", "calm", "baseline")
            }
    finally:
        db.dispose()


def _start_server(
    url: str, port: int, limit: str, limit_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SMARTPRACTICE_DATABASE_URL": url,
        "SMARTPRACTICE_QUEUE": "embedded",
        "SMARTPRACTICE_RATE_LIMIT": limit,
        "SMARTPRACTICE_RATE_LIMIT_URL": limit_url,
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [_EXECUTABLE, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not become healthy within 60 s")
        time.sleep(0.1)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the ")" closing the command name: state is field 3, utime 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _calm_probe(
    base: str, token: str, start_at: float, seconds: float, interval: float
) -> list[Answer]:
    """Runs in its own process: one request every `interval` s from wall time `start_at`
    for `seconds`, never more than one in flight and never catching up on missed slots."""
    answers: list[Answer] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        client.get("/healthz")  # open the connection outside the window
        time.sleep(max(0.0, start_at - time.time()))
        origin = time.perf_counter()
        slot = 0
        while slot * interval < seconds:
            wait = slot * interval - (time.perf_counter() - origin)
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            try:
                response = client.get(_ROUTE)
                status, retry_after = response.status_code, response.headers.get("Retry-After")
            except httpx.HTTPError:
                status, retry_after = 0, None
            done = time.perf_counter()
            answers.append(Answer(sent - origin, done - sent, status, retry_after))
            slot = int((done - origin) // interval) + 1
    return answers


def _flood(
    base: str, token: str, start_at: float, requests: int, seconds: float, threads: int
) -> list[Answer]:
    """`requests` requests, the i-th due at `start_at + i * seconds / requests`, handed at
    that time to a pool of `threads` threads sharing one ``httpx.Client``."""
    interval = seconds / requests
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=base, headers=headers, timeout=30, limits=limits) as client,
        concurrent.futures.ThreadPoolExecutor(threads) as pool,
    ):
        # Open the connections outside the window.
        list(pool.map(lambda _: client.get("/healthz"), range(threads)))
        time.sleep(max(0.0, start_at - time.time()))
        origin = time.perf_counter()

        def one() -> Answer:
            sent = time.perf_counter()
            try:
                response = client.get(_ROUTE)
                status, retry_after = response.status_code, response.headers.get("Retry-After")
            except httpx.HTTPError:
                status, retry_after = 0, None
            return Answer(sent - origin, time.perf_counter() - sent, status, retry_after)

        futures: list[concurrent.futures.Future[Answer]] = []
        for i in range(requests):
            wait = i * interval - (time.perf_counter() - origin)
            if wait > 0:
                time.sleep(wait)
            futures.append(pool.submit(one))
        return [future.result() for future in futures]


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 2) if values else None


def _peak_in_window(times: list[float], period: float) -> int:
    """Most of `times` within any half-open span of `period` seconds."""
    if not times:
        return 0
    ordered = np.sort(np.asarray(times))
    ends = np.searchsorted(ordered, ordered + period, side="left")
    return int(np.max(ends - np.arange(len(ordered))))


def _summary(answers: list[Answer]) -> dict[str, Any]:
    statuses = Counter(a.status for a in answers)
    throttled = [a for a in answers if a.status == 429]
    waits = [int(a.retry_after) for a in throttled if a.retry_after and a.retry_after.isdigit()]
    latencies = [a.latency for a in answers if a.status != 0]
    return {
        "sent": len(answers),
        "ok_200": statuses.get(200, 0),
        "throttled_429": len(throttled),
        "transport_errors": statuses.get(0, 0),
        "other_statuses": {
            str(s): n for s, n in sorted(statuses.items()) if s not in (0, 200, 429)
        },
        "retry_after_on_every_429": (
            all(a.retry_after is not None for a in throttled) if throttled else None
        ),
        "retry_after_seconds_min": min(waits) if waits else None,
        "retry_after_seconds_max": max(waits) if waits else None,
        "success_share": round(statuses.get(200, 0) / len(answers), 4) if answers else None,
        "latency_ms_p50": _ms(latencies, 50),
        "latency_ms_p99": _ms(latencies, 99),
        "latency_ms_max": round(max(latencies) * 1000, 2) if latencies else None,
    }


def run(
    *,
    requests: int,
    seconds: float,
    limit: str,
    limit_url: str = "memory://",
    calm_interval: float = 0.1,
    threads: int = 16,
    baseline_seconds: float = 10.0,
) -> dict[str, Any]:
    """Start a server, flood it from one key while another probes it; the figures."""
    item = parse(limit)
    period = float(item.get_expiry())
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'bench.db'}"
        tokens = _prepare_database(url)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(workdir) / "server.log"
        server = _start_server(url, port, limit, limit_url, log)
        try:
            started = time.perf_counter()
            _wait_healthy(base, server, log)
            startup = time.perf_counter() - started
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
                # The probe alone first, on a key of its own (so that its requests do not
                # count against the calm key's limit in the window).
                baseline = pool.submit(
                    _calm_probe,
                    base,
                    tokens["baseline"],
                    time.time() + 0.5,
                    baseline_seconds,
                    calm_interval,
                ).result()
                start_at = time.time() + 1.0
                calm_future = pool.submit(
                    _calm_probe, base, tokens["calm"], start_at, seconds, calm_interval
                )
                cpu_before = _cpu_seconds(server.pid)
                noisy = _flood(base, tokens["noisy"], start_at, requests, seconds, threads)
                calm = calm_future.result()
                cpu_after = _cpu_seconds(server.pid)
            if server.poll() is not None:
                raise RuntimeError(f"the server died during the run:\n{log.read_text()[-2000:]}")
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
    sent_times = [a.sent for a in noisy]
    send_span = max(sent_times) - min(sent_times) if noisy else 0.0
    lags = [
        a.sent - i * seconds / requests for i, a in enumerate(sorted(noisy, key=lambda a: a.sent))
    ]
    noisy_summary = _summary(noisy)
    last_answer = max((a.sent + a.latency for a in [*noisy, *calm]), default=0.0)
    return {
        "benchmark": "rate_limit",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "limit": limit,
        "limit_url": limit_url.split("@")[-1],
        "route": f"GET {_ROUTE}",
        "client_threads": threads,
        "planned": {
            "baseline_s": baseline_seconds,
            "noisy_requests": requests,
            "seconds": seconds,
            "calm_interval_s": calm_interval,
        },
        "noisy": {
            **noisy_summary,
            "offered_per_s": round((len(noisy) - 1) / send_span, 1) if send_span else None,
            "offered_per_minute": round((len(noisy) - 1) / send_span * 60) if send_span else None,
            "send_span_s": round(send_span, 2),
            "max_send_lag_ms": round(max(lags) * 1000, 1) if lags else None,
            "limit_amount": item.amount,
            "limit_period_s": period,
            "accepted_vs_limit": f"{noisy_summary['ok_200']}/{item.amount}",
            "peak_accepted_in_any_period": _peak_in_window(
                [a.sent for a in noisy if a.status == 200], period
            ),
        },
        "calm": _summary(calm),
        "calm_alone_before": _summary(baseline),
        "server": {
            "startup_s": round(startup, 2),
            "window_wall_s": round(last_answer, 2),
            "cpu_s_in_window": (
                round(cpu_after - cpu_before, 2)
                if cpu_before is not None and cpu_after is not None
                else None
            ),
        },
        "total_wall_s": round(time.perf_counter() - began, 2),
    }


def _print_table(result: dict[str, Any]) -> None:
    noisy, calm, server = result["noisy"], result["calm"], result["server"]
    alone = result["calm_alone_before"]
    rows = [
        ("limit", f"{result['limit']} ({result['limit_url']}), {result['route']}"),
        (
            "noisy sent",
            f"{noisy['sent']} in {noisy['send_span_s']} s "
            f"= {noisy['offered_per_minute']}/min offered "
            f"(max send lag {noisy['max_send_lag_ms']} ms)",
        ),
        (
            "noisy 200 / 429 / other",
            f"{noisy['ok_200']} / {noisy['throttled_429']} / "
            f"{noisy['transport_errors']} errors, {noisy['other_statuses'] or 'no other statuses'}",
        ),
        (
            "noisy accepted vs limit",
            f"{noisy['accepted_vs_limit']} "
            f"(peak in any {noisy['limit_period_s']:g} s: {noisy['peak_accepted_in_any_period']})",
        ),
        (
            "Retry-After on every 429",
            f"{noisy['retry_after_on_every_429']} "
            f"({noisy['retry_after_seconds_min']}-{noisy['retry_after_seconds_max']} s)",
        ),
        ("noisy latency p50 / p99", f"{noisy['latency_ms_p50']} / {noisy['latency_ms_p99']} ms"),
        (
            "calm requests",
            f"{calm['sent']}: {calm['ok_200']} x 200, {calm['throttled_429']} x 429, "
            f"{calm['transport_errors']} errors, {calm['other_statuses'] or 'no other statuses'}",
        ),
        ("calm success share", f"{calm['success_share']}"),
        (
            "calm alone before: p50 / p99",
            f"{alone['latency_ms_p50']} / {alone['latency_ms_p99']} ms "
            f"({alone['sent']} requests, success share {alone['success_share']})",
        ),
        (
            "calm latency p50 / p99 / max",
            f"{calm['latency_ms_p50']} / {calm['latency_ms_p99']} / {calm['latency_ms_max']} ms",
        ),
        (
            "server",
            f"up in {server['startup_s']} s; window {server['window_wall_s']} s wall, "
            f"{server['cpu_s_in_window']} s CPU",
        ),
        (
            "total wall",
            f"{result['total_wall_s']} s on {result['cpus']} CPUs (1-min load average "
            f"{result['load_average_1m']['before']} before, {result['load_average_1m']['after']} "
            "after)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=10_000, help="noisy-key requests")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the window")
    parser.add_argument("--limit", default="600/minute", help="SMARTPRACTICE_RATE_LIMIT")
    parser.add_argument(
        "--limit-url", default="memory://", help="SMARTPRACTICE_RATE_LIMIT_URL (or redis://...)"
    )
    parser.add_argument("--calm-interval", type=float, default=0.1, help="calm key's period, s")
    parser.add_argument("--threads", type=int, default=16, help="noisy client's threads")
    parser.add_argument(
        "--baseline-seconds", type=float, default=10.0, help="calm probe alone, before"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.requests < 2 or args.threads < 1 or args.seconds <= 0 or args.calm_interval <= 0:
        parser.error("need --requests >= 2, --threads >= 1, positive --seconds and interval")
    result = run(
        requests=args.requests,
        seconds=args.seconds,
        limit=args.limit,
        limit_url=args.limit_url,
        calm_interval=args.calm_interval,
        threads=args.threads,
        baseline_seconds=args.baseline_seconds,
    )
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)


if __name__ == "__main__":
    main()
