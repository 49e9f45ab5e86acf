"""Chart specifications for the pages' script (`static/dashboard.js` draws them with the
vendored Chart.js); plain JSON-ready dictionaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["calibration_chart", "line_chart"]


def _value(point: Any, name: str) -> Any:
    """A point's field, whether the point is a mapping or a record (dataclass)."""
    return point[name] if isinstance(point, Mapping) else getattr(point, name)


def line_chart(
    series: Mapping[str, Sequence[Any]],
    *,
    x: str,
    y: str,
    names: Mapping[str, str],
    x_title: str,
    y_title: str,
    digits: int = 1,
) -> dict[str, Any]:
    """One line per series key: points ``(point.x, point.y)`` (y rounded to `digits`
    decimals), labelled by `names`."""
    return {
        "kind": "lines",
        "x": x_title,
        "y": y_title,
        "series": [
            {
                "label": names.get(key, key),
                "points": [
                    [_value(p, x), round(float(_value(p, y)), digits)]
                    for p in points
                    if _value(p, y) is not None
                ],
            }
            for key, points in series.items()
        ],
    }


def calibration_chart(table: Sequence[Any]) -> dict[str, Any]:
    """Reliability chart: (mean predicted, observed, events) of each non-empty bin."""
    return {
        "kind": "calibration",
        "x": "Predicted success",
        "y": "Observed success",
        "points": [
            [
                round(_value(row, "predicted"), 4),
                round(_value(row, "observed"), 4),
                _value(row, "n"),
            ]
            for row in table
            if _value(row, "n")
        ],
    }
