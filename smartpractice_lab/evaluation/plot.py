"""Reliability diagram (calibration plot) of every model of a run, as a PNG.

Drawn with matplotlib's object API on the Agg canvas (no display, no global pyplot state),
so it works on servers and in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from smartpractice_lab.evaluation.metrics import ECE_BINS, reliability_bins

__all__ = ["save_reliability_diagram"]


def save_reliability_diagram(
    path: Path,
    scores: npt.NDArray[np.float64],
    predictions: Mapping[str, npt.NDArray[np.float64]],
    *,
    title: str = "Reliability diagram",
    bins: int = ECE_BINS,
) -> None:
    """Write the observed success rate against the mean prediction per bin, one line per
    model, with the diagonal of perfect calibration and a histogram of the predictions.

    Args:
        path: Where to write the PNG.
        scores: Observed outcome per test response, 0-1 (success when >= 0.5).
        predictions: Per model, predicted success per test response, 0-1.
        title: Figure title (e.g. the data set).
        bins: Equal-width probability bins.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = (scores >= 0.5).astype(np.float64)
    figure = Figure(figsize=(6.5, 7.5), layout="constrained")
    FigureCanvasAgg(figure)
    curves, histogram = figure.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    curves.plot([0.0, 1.0], [0.0, 1.0], linestyle="--", color="grey", label="perfect")
    edges = np.linspace(0.0, 1.0, bins + 1)
    for name, values in predictions.items():
        grouped = reliability_bins(labels, values, bins=bins)
        curves.plot(grouped.predicted, grouped.observed, marker="o", label=name)
        histogram.hist(values, bins=edges, histtype="step", label=name)
    curves.set_ylabel("observed success rate")
    curves.set_xlim(0.0, 1.0)
    curves.set_ylim(0.0, 1.0)
    curves.set_title(f"{title} ({len(scores)} test responses)", fontsize="medium")
    curves.legend(loc="upper left")
    histogram.set_xlabel("predicted success")
    histogram.set_ylabel("responses")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=110)
