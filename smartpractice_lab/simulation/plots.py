"""PNG plots of a simulation run (matplotlib, Agg backend, imported only when plotting)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from smartpractice_lab.simulation.metrics import PolicyMetrics
from smartpractice_lab.simulation.runner import SUCCESS_BAND

__all__ = ["PLOT_FILES", "save_plots"]

PLOT_FILES = ("mastery_curves.png", "success_rates.png", "estimate_error.png")
"""The files `save_plots` writes."""


def save_plots(metrics: Mapping[str, PolicyMetrics], directory: Path, *, title: str) -> list[Path]:
    """Write mastery curves, the success-chance distribution and the estimate error.

    Args:
        metrics: Per policy, the run's metrics.
        directory: Where the PNG files go (created if missing).
        title: Shown above each plot (the learner configuration and run size).

    Returns:
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / name for name in PLOT_FILES]

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    for name, m in metrics.items():
        axes.plot(np.arange(m.mastery_curve.size), m.mastery_curve, label=name)
    axes.set_xlabel("questions answered")
    axes.set_ylabel("share of students who mastered the topic")
    axes.set_ylim(0.0, 1.0)
    axes.set_title(f"Mastery curves ({title})", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(paths[0])
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    for name, m in metrics.items():
        bins = m.chance_histogram.size
        centres = (np.arange(bins) + 0.5) / bins
        axes.plot(centres, m.chance_histogram, marker="o", markersize=3, label=name)
    axes.axvspan(*SUCCESS_BAND, color="green", alpha=0.08, label="success band")
    axes.set_xlabel("true chance of success of the question served (until mastery)")
    axes.set_ylabel("share of questions")
    axes.set_title(f"Success-chance distribution ({title})", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(paths[1])
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    for name, m in metrics.items():
        steps, errors = zip(*m.estimate_error, strict=True)
        axes.plot(steps, errors, label=name)
    axes.set_xlabel("questions answered")
    axes.set_ylabel("mean |proficiency estimate - truth|")
    axes.set_ylim(bottom=0.0)
    axes.set_title(f"Estimate error ({title})", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(paths[2])
    plt.close(figure)
    return paths
