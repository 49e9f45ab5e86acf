"""Offline evaluation: read response data, replay it chronologically through the production
model and baselines, and report AUC, log-loss, RMSE, accuracy and calibration.

Entry point: `run_evaluation` (and the ``smartpractice evaluate`` command over it).
"""

from __future__ import annotations

from smartpractice_lab.evaluation.dataset import DatasetError, ItemInfo, ReplayData, Response
from smartpractice_lab.evaluation.runner import MODEL_NAMES, EvaluationResult, run_evaluation

__all__ = [
    "MODEL_NAMES",
    "DatasetError",
    "EvaluationResult",
    "ItemInfo",
    "ReplayData",
    "Response",
    "run_evaluation",
]
