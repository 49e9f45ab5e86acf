"""The dashboard in a real browser: `smartpractice serve --demo` in a subprocess, driven by
headless Chromium (Debian's /usr/bin/chromium through Playwright; no browser download).

Screenshots of every view go to a temporary folder; to refresh the ones in the docs run
`SMARTPRACTICE_SCREENSHOT_DIR=docs/img .venv/bin/pytest -m e2e`.
Without Chromium or Playwright the tests skip, and fail when CI is set: `.ci/run` installs
Chromium, and Playwright is a development dependency.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.scale_helpers import SMARTPRACTICE, free_port

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("SMARTPRACTICE_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("SMARTPRACTICE_SCREENSHOT_DIR")
    or Path(tempfile.gettempdir()) / "smartpractice-screenshots"
)
# The machine's network is closed: without these Chromium tries Google's hosts at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWS = {
    "overview": "/dashboard",
    "student": "/dashboard/students/demo-11m-03",
    "class": "/dashboard/class?topic=Derivatives",
    "items": "/dashboard/items",
    "item": "/dashboard/items/ncert-ex-11-12.2-1",
    "ops": "/dashboard/ops",
    "exams": "/dashboard/exams?exam=sample-jee-main-2027",
}
# A topic no simulated class practises, with the two skills the test student answers.
FAIL_TOPIC = "Ionic equilibrium and pH"


def _require_browser() -> None:
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run them (.ci/run installs Chromium)")
    pytest.skip(message)


def _serve_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SMARTPRACTICE_DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "SMARTPRACTICE_QUEUE": "embedded",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`smartpractice serve --demo` on a free port over a new SQLite file."""
    _require_browser()
    yield from _serve(tmp_path_factory.mktemp("e2e"), demo=True)


def _serve(workdir: Path, *, demo: bool) -> Iterator[str]:
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [SMARTPRACTICE, "serve", *(["--demo"] if demo else []), "--port", str(port)],
        env=_serve_env(workdir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (workdir / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not come up in 180 s"
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Console:
    """Errors the page logged or threw."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


def _screenshot(page: Any, name: str, *, height: int = 2400) -> None:
    """The page from the top, at most `height` pixels of it (the docs need no more)."""
    full = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    clip = {"x": 0, "y": 0, "width": width, "height": min(full, height)}
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True, clip=clip)


def _open(page: Any, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url
    # Every chart drawn (Chart.js registers each instance).
    page.wait_for_function(
        "() => document.querySelectorAll('canvas[data-chart]').length"
        " === Object.keys((window.Chart && window.Chart.instances) || {}).length"
    )


def test_each_view_loads_without_console_errors(server: str, browser: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    for name, path in VIEWS.items():
        _open(page, server + path)
        assert page.locator("h1").first.is_visible()
        assert page.locator("main").inner_text().strip()
        _screenshot(page, name)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone_console = Console(phone)
    for name in ("student", "class"):
        _open(phone, server + VIEWS[name])
        # Nothing but the scrollable tables is wider than the phone.
        overflow = phone.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390 + 1, f"{name} is {overflow}px wide on a 390px phone"
        _screenshot(phone, f"{name}-phone", height=2000)
    assert console.errors == [] and phone_console.errors == []
    page.close()
    phone.close()


def _post_failures(server: str) -> tuple[str, str]:
    """A student fails every item of one skill and answers another skill right; returns
    (failed skill, passed skill)."""
    items = httpx.get(
        f"{server}/v1/items", params={"topic": FAIL_TOPIC, "limit": 100}, timeout=10
    ).json()["data"]
    single = [i for i in items if len(i["skills"]) == 1]
    failed_skill = next(iter(single[0]["skills"]))
    passed_skill = next(s for i in single for s in i["skills"] if s != failed_skill)
    attempts = []
    for n, item in enumerate(single):
        skill = next(iter(item["skills"]))
        if skill in (failed_skill, passed_skill):
            attempts.append(
                {
                    "event_id": f"e2e-{n}",
                    "student_id": "e2e-failer",
                    "item_id": item["item_id"],
                    "score": 0.0 if skill == failed_skill else 1.0,
                    "hints_used": 2 if skill == failed_skill else 0,
                }
            )
    response = httpx.post(f"{server}/v1/attempts", json={"attempts": attempts}, timeout=10)
    assert response.status_code == 202
    deadline = time.monotonic() + 30
    for attempt in attempts:
        while True:
            status = httpx.get(f"{server}/v1/attempts/{attempt['event_id']}", timeout=5).json()
            if status["status"] == "applied":
                break
            assert time.monotonic() < deadline, f"{attempt['event_id']} not applied"
            time.sleep(0.1)
    return failed_skill, passed_skill


def test_heat_map_shows_the_failed_skill_as_weak(server: str, browser: Any) -> None:
    failed, passed = _post_failures(server)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    _open(page, f"{server}/dashboard/students/e2e-failer")
    tile = page.locator(f'li.tile[data-skill="{failed}"]')
    assert tile.get_attribute("data-weak") == "true"
    assert "weak" in tile.inner_text().lower()
    assert page.locator(f'li.tile[data-skill="{passed}"]').get_attribute("data-weak") == "false"
    # The path of the topic: the failed skill is not mastered, and one step is being practised.
    step = page.locator(f'li.path-step[data-skill="{failed}"]').first
    assert step.get_attribute("data-status") != "mastered"
    assert page.locator("li.path-step", has_text="practising now").count() >= 1

    _open(page, f"{server}/dashboard/class?topic={FAIL_TOPIC}&prefix=e2e-")
    row = page.locator('tr[data-student="e2e-failer"]')
    skills = page.locator("table.heatmap thead th[data-skill]")
    column = [skills.nth(k).get_attribute("data-skill") for k in range(skills.count())]
    cells = row.locator("td.heat")
    assert cells.nth(column.index(failed)).get_attribute("data-weak") == "true"
    assert cells.nth(column.index(passed)).get_attribute("data-weak") == "false"
    first_weakest = page.locator("ol.weakest li").first.get_attribute("data-skill")
    assert first_weakest == failed
    assert console.errors == []
    page.close()


def test_readiness_shows_on_the_student_page_and_against_the_exam_date(
    server: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    _open(page, server + VIEWS["student"])
    jee = page.locator('div.readiness[data-exam="sample-jee-main-2027"]')
    head = jee.locator("p.topic-head").inner_text()
    assert "of 300 marks" in head and "80% interval" in head
    at_stake = [
        float(row.locator("td").nth(2).inner_text()) for row in jee.locator("tbody tr").all()
    ]
    assert len(at_stake) == 12 and at_stake == sorted(at_stake, reverse=True)
    assert page.locator('div.readiness[data-exam="sample-cbse-12-board-2027"]').count() == 1

    _open(page, server + VIEWS["exams"])
    rows = page.locator("tr[data-student]")
    assert rows.count() >= 10
    expected = [float(rows.nth(k).locator("td").first.inner_text()) for k in range(rows.count())]
    assert expected == sorted(expected)
    _screenshot(page, "exams")
    assert console.errors == []
    page.close()


def test_clicking_a_pick_opens_its_explanation(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)
    _open(page, server + VIEWS["student"])
    pick = page.locator("details.pick").first
    explanation = pick.locator(".explanation")
    assert not explanation.is_visible()
    pick.locator("summary").click()
    assert explanation.is_visible()
    text = explanation.inner_text()
    assert "Runner-up" in text and "elo match" in text and "Total score" in text
    pick.scroll_into_view_if_needed()
    pick.screenshot(path=str(SCREENSHOTS / "dashboard-pick.png"))
    # The keyboard opens one too.
    second = page.locator("details.pick").nth(1)
    second.locator("summary").focus()
    page.keyboard.press("Enter")
    assert second.locator(".explanation").is_visible()
    assert console.errors == []
    page.close()


def test_with_authentication_on_the_dashboard_asks_for_a_key(tmp_path: Path, browser: Any) -> None:
    """`serve` without --demo: a browser is sent to the sign-in form, refused with an
    ingest key, and let in with a read key (kept in an HttpOnly cookie)."""
    keys = {}
    for scope in ("ingest", "read"):
        made = subprocess.run(
            [SMARTPRACTICE, "keys", "create", "--scope", scope, "--name", f"e2e {scope}"],
            env=_serve_env(tmp_path),
            capture_output=True,
            text=True,
            check=True,
        )
        keys[scope] = made.stdout.splitlines()[1]
    served = _serve(tmp_path, demo=False)
    base = next(served)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/dashboard", wait_until="networkidle")
        assert page.url.endswith("/dashboard/login")
        page.fill("#key", keys["ingest"])
        page.click("button[type=submit]")
        assert page.locator('[role="alert"]').inner_text().startswith("That key is not valid")
        page.fill("#key", keys["read"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/dashboard")
        assert page.locator("h1").first.is_visible()
        cookie = next(c for c in page.context.cookies() if c["name"] == "smartpractice_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # scripts cannot read the session
        page.close()
    finally:
        served.close()
