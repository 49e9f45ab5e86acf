"""/docs (Swagger UI) and /redoc (ReDoc) served with their scripts and styles from the
``fastapi-offline`` package, so the pages work without a network (FastAPI's defaults load
them from a CDN)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from smartpractice.api.security import PUBLIC

__all__ = ["ASSETS_PATH", "install_docs"]

ASSETS_PATH = "/docs-assets"
_SAME_ORIGIN_IMAGES = (
    '<meta http-equiv="Content-Security-Policy" content="img-src \'self\' data: blob:">'
)


def _assets() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect, /redoc and the assets they load.

    Create `app` with ``docs_url=None, redoc_url=None`` so FastAPI adds no CDN pages.
    """
    app.mount(ASSETS_PATH, StaticFiles(directory=_assets()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False, openapi_extra=PUBLIC)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False, openapi_extra=PUBLIC)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False, openapi_extra=PUBLIC)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
        # ReDoc's "powered by" badge is an image on its CDN: images from here only.
        html = bytes(page.body).decode().replace("<head>", f"<head>{_SAME_ORIGIN_IMAGES}", 1)
        return HTMLResponse(html)
