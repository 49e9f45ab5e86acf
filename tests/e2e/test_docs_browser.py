"""/docs and /redoc render in Chromium with every request outside the service blocked,
as on a machine without internet: their scripts and styles come from the package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, _serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`smartpractice serve` (no demo: the docs need no data) on a new SQLite file."""
    _require_browser()
    yield from _serve(tmp_path_factory.mktemp("docs"), demo=False)


def _offline_page(browser: Any, server: str) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    errors: list[str] = []

    def route(request: Any) -> None:
        if request.request.url.startswith(server):
            request.continue_()
        else:
            blocked.append(request.request.url)
            request.abort("internetdisconnected")

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, blocked, errors


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", ".swagger-ui .info .title"),
        ("/redoc", ".api-info h1"),
    ],
)
def test_api_docs_render_with_the_network_blocked(
    plain_server: str, path: str, rendered: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page, blocked, errors = _offline_page(browser, plain_server)
            response = page.goto(plain_server + path, wait_until="networkidle")
            assert response is not None and response.status == 200
            title = page.locator(rendered).first
            title.wait_for(state="visible", timeout=30_000)
            assert "smartpractice" in title.inner_text()
            # An operation of the API is listed (the page read /openapi.json and drew it).
            assert page.get_by_text("/v1/attempts").first.is_visible()
            assert blocked == [], f"{path} tried to load {blocked}"
            assert errors == []
        finally:
            browser.close()
