"""The dashboard's colour scale and chart specifications (no database)."""

from __future__ import annotations

import pytest

from smartpractice.api.dashboard.charts import calibration_chart, line_chart
from smartpractice.api.dashboard.render import heat_colour, ink_colour, relative_luminance


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# viridis' ends and middle (matplotlib's table); out-of-range values clip; none is grey.
@pytest.mark.parametrize(
    ("value", "colour"),
    [
        (0.0, "#440154"),
        (0.5, "#21918c"),
        (1.0, "#fde725"),
        (-1.0, "#440154"),
        (2.0, "#fde725"),
        (None, "#d9d9d9"),
    ],
)
def test_heat_colour_is_viridis(value: float | None, colour: str) -> None:
    assert heat_colour(value) == colour


@pytest.mark.parametrize("value", [n / 100 for n in range(101)])
def test_cell_text_always_meets_wcag_aa_contrast(value: float) -> None:
    assert _contrast(heat_colour(value), ink_colour(value)) >= 4.5


def test_chart_specifications() -> None:
    lines = line_chart(
        {"s1": [{"n": 1, "rating": 1200.04}, {"n": 2, "rating": None}]},
        x="n",
        y="rating",
        names={"s1": "Skill one"},
        x_title="Answer",
        y_title="Rating",
    )
    assert lines["series"] == [{"label": "Skill one", "points": [[1, 1200.0]]}]
    table = [
        {"n": 0, "predicted": None, "observed": None},
        {"n": 4, "predicted": 0.25, "observed": 0.5},
    ]
    assert calibration_chart(table)["points"] == [[0.25, 0.5, 4]]
