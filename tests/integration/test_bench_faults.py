"""The fault suite's short version (`smartpractice bench faults --short`): every scenario
on throwaway PostgreSQL, Redis and Celery workers of its own, nothing lost, nothing
applied twice, no 5xx. Its speed figures are for the benchmark, not asserted here."""

from __future__ import annotations

import pytest

from smartpractice_lab.bench.faults import SCENARIOS, bench_faults
from smartpractice_lab.throwaway import postgres_binaries
from tests.services import require_binary

pytestmark = pytest.mark.integration


@pytest.mark.timeout(600)
def test_no_fault_loses_doubles_or_fails_an_event() -> None:
    require_binary("redis-server")
    if postgres_binaries() is None:
        require_binary("initdb")
    result = bench_faults(pre_seconds=3.0, fault_seconds=4.0)["scenarios"]
    assert list(result) == list(SCENARIOS)
    for name, figures in result.items():
        assert figures["accepted"] > 0, name
        assert (figures["lost"], figures["applied_twice"], figures["http_5xx"]) == (0, 0, 0), (
            name,
            figures,
        )
