"""A stand-in for pyBKT (and the bit of pandas it needs), so the BKT wiring is tested where
pyBKT cannot be installed (it does not import with current scikit-learn)."""

from __future__ import annotations

import sys
import types
from typing import Any, ClassVar

import numpy as np
import pytest

FAKE_PARAMETERS = {"prior": 0.3, "learns": 0.2, "guesses": 0.25, "slips": 0.1, "forgets": 0.0}


class FakeFrame:
    """Just enough of a pandas DataFrame: rows and column names."""

    def __init__(self, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.rows = rows
        self.columns = columns


class FakeModel:
    """pyBKT's ``Model``: ``fit(data=...)`` then ``coef_`` per skill name."""

    instances: ClassVar[list[FakeModel]] = []

    def __init__(self, seed: int = 0, num_fits: int = 1) -> None:
        self.seed = seed
        self.num_fits = num_fits
        self.data: FakeFrame | None = None
        self.coef_: dict[str, dict[str, Any]] = {}
        FakeModel.instances.append(self)

    def fit(self, data: FakeFrame) -> None:
        self.data = data
        skill_column = data.columns.index("skill_name")
        for row in data.rows:
            # pyBKT returns arrays for the per-class parameters.
            self.coef_[row[skill_column]] = {
                "prior": FAKE_PARAMETERS["prior"],
                "learns": np.array([FAKE_PARAMETERS["learns"]]),
                "guesses": np.array([FAKE_PARAMETERS["guesses"]]),
                "slips": np.array([FAKE_PARAMETERS["slips"]]),
                "forgets": np.array([FAKE_PARAMETERS["forgets"]]),
            }


def install_fake_pybkt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pyBKT.models`` and ``import pandas`` find the fakes for one test."""
    FakeModel.instances.clear()
    package = types.ModuleType("pyBKT")
    models = types.ModuleType("pyBKT.models")
    models.Model = FakeModel  # type: ignore[attr-defined]
    package.models = models  # type: ignore[attr-defined]
    pandas = types.ModuleType("pandas")
    pandas.DataFrame = FakeFrame  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyBKT", package)
    monkeypatch.setitem(sys.modules, "pyBKT.models", models)
    monkeypatch.setitem(sys.modules, "pandas", pandas)
