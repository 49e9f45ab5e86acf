"""The experiment pages in a real browser: `smartpractice serve --demo`, an experiment
created, started and served through the API, then its list, its results page (arms, the
primary metric's chart, guardrails) and its CSV, driven by headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    Console,
    _open,
    _require_browser,
    _screenshot,
    _serve,
)

pytestmark = pytest.mark.e2e

TOPIC = "Solving linear equations"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    yield from _serve(tmp_path_factory.mktemp("e2e-experiments"), demo=True)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _run_experiment(server: str) -> None:
    plan = {
        "experiment_id": "sp-vs-textbook",
        "hypothesis": "Smart Practice raises first-attempt success above the textbook order",
        "scope": {"subject": "Mathematics", "topic": TOPIC},
        "arms": [
            {"name": "textbook", "share": 0.5, "policy": "textbook"},
            {"name": "smart_practice", "share": 0.5},
        ],
        "minimum_detectable_effect": 0.05,
        "planned_students": 1500,
    }
    created = httpx.post(f"{server}/v1/experiments", json=plan, timeout=10)
    assert created.status_code == 201, created.text
    assert httpx.post(f"{server}/v1/experiments/sp-vs-textbook/start", timeout=10).is_success
    for k in range(6):
        student = f"e2e-exp-{k}"
        for n in range(3):
            served = httpx.get(
                f"{server}/v1/students/{student}/next-question",
                params={"subject": "Mathematics", "topic": TOPIC},
                timeout=10,
            )
            assert served.status_code == 200, served.text
            assert served.json()["experiment"] == "sp-vs-textbook"
            attempt = {
                "event_id": f"{student}-{n}",
                "student_id": student,
                "item_id": served.json()["item"]["item_id"],
                "score": float((k + n) % 2),
            }
            assert httpx.post(f"{server}/v1/attempts", json=attempt, timeout=10).is_success


def test_the_experiment_pages_show_arms_chart_and_guardrails(
    server: str, browser: Any, tmp_path: Path
) -> None:
    _run_experiment(server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    _open(page, server + "/dashboard")
    page.get_by_role("link", name="Experiments").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Experiments"
    page.get_by_role("link", name="sp-vs-textbook").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length == 1")
    assert "sp-vs-textbook" in page.locator("h1").inner_text()
    assert page.locator("[data-status]").inner_text().startswith("running")
    rows = page.locator("tr[data-arm]")
    assert rows.count() == 2
    students = sum(int(rows.nth(k).locator("td").nth(2).inner_text()) for k in range(2))
    assert students >= 1
    assert page.locator("[data-verdict]").inner_text().startswith("too early")
    _screenshot(page, "experiment")
    with page.expect_download() as download:
        page.get_by_role("link", name="Per-student outcomes (CSV)").click()
    saved = tmp_path / "outcomes.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("student_id,arm,first_exposure_at")
    assert console.errors == []
    page.close()
