"""Rendering: the Jinja2 environment, its number and colour filters, the static files.

Colours come from viridis, a perceptually uniform scale that reads the same to the common
forms of colour blindness and in greyscale; every coloured value is also printed as text.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from smartpractice import __version__

__all__ = [
    "STATIC_DIR",
    "environment",
    "heat_colour",
    "ink_colour",
    "relative_luminance",
    "render",
]

STATIC_DIR = Path(str(resources.files("smartpractice.api.dashboard") / "static"))
"""The dashboard's CSS, JS and vendored Chart.js, served at /dashboard/static."""

# viridis at 0, 0.1, ..., 1 (matplotlib's table, CC0).
_VIRIDIS = (
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
)


def heat_colour(value: float | None) -> str:
    """The viridis colour (CSS hex) of a value in [0, 1]; grey for no value."""
    if value is None:
        return "#d9d9d9"
    position = min(max(value, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    low = min(int(position), len(_VIRIDIS) - 2)
    share = position - low
    channels = (
        round(a + (b - a) * share) for a, b in zip(_VIRIDIS[low], _VIRIDIS[low + 1], strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in channels)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance (0-1) of ``#rrggbb``."""
    linear = []
    for start in (1, 3, 5):
        c = int(hex_colour[start : start + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ink_colour(value: float | None) -> str:
    """Black or white text, whichever contrasts more with `heat_colour` (the better of
    the two is always above WCAG's 4.5:1)."""
    luminance = relative_luminance(heat_colour(value))
    on_black = (luminance + 0.05) / 0.05
    on_white = 1.05 / (luminance + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"


_MISSING = "\u2013"
"""An en dash stands for a missing value."""


def _pct(value: float | None, digits: int = 0) -> str:
    return _MISSING if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return _MISSING if value is None else f"{value:,.{digits}f}"


def _when(value: datetime | None) -> str:
    return _MISSING if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _leaf(skill_id: str) -> str:
    """The last part of a hierarchical skill id, readable: ``product_quotient`` ->
    ``product quotient``."""
    return skill_id.rsplit(":", 1)[-1].replace("_", " ")


@cache
def environment() -> Environment:
    """The template environment (autoescaping, undefined names are errors)."""
    env = Environment(
        loader=PackageLoader("smartpractice.api.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=_pct, num=_num, when=_when, leaf=_leaf, heat=heat_colour, ink=ink_colour)
    env.globals.update(version=__version__)
    return env


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page from `template` with `context`, plus the static-file URL helper."""

    def static(path: str) -> str:
        return f"{request.scope.get('root_path', '')}/dashboard/static/{path}?v={__version__}"

    html = environment().get_template(template).render(static=static, **context)
    return HTMLResponse(html, status_code=status_code)
