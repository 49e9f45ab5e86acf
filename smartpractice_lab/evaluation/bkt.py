"""Optional per-skill BKT baseline: parameters fitted by pyBKT, predictions made online.

pyBKT (Badrinath et al. 2021) fits one BKT model per skill name with EM on the train users.
Like the public data's own ``skill_id``, a multi-skill item counts as one skill *set*
(its skills joined by ``+``). Test responses are then predicted one at a time with the
standard BKT forward equations (Corbett & Anderson 1995) on the fitted parameters:
``P(correct) = P(L) (1 - slip) + (1 - P(L)) guess``, then the posterior of P(L) given the
answer, then learning (and forgetting) as the transition. So the prediction for a response
uses that student's earlier answers only, as for every other model.

pyBKT 1.4 does not import with scikit-learn >= 1.4 or pandas 3 (its metrics module calls
``log_loss`` on plain lists at import time), so it is not a dependency of smartpractice: the
model reports itself unavailable, with the reason, when the import fails.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smartpractice_lab.evaluation.dataset import Response
from smartpractice_lab.evaluation.protocol import ModelUnavailable

__all__ = ["BktParameters", "PyBKT", "bkt_step", "load_pybkt_model_class"]


@dataclass(frozen=True, slots=True)
class BktParameters:
    """BKT parameters of one skill set, all probabilities 0-1."""

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0


def bkt_step(known: float, correct: bool, params: BktParameters) -> tuple[float, float]:
    """One BKT step: the predicted success (0-1) before the answer and P(known) after it.

    Args:
        known: P(L), probability (0-1) the skill is known before the answer.
        correct: The answer.
        params: The skill set's parameters.
    """
    predicted = known * (1.0 - params.slip) + (1.0 - known) * params.guess
    if correct:
        evidence = known * (1.0 - params.slip)
        total = predicted
    else:
        evidence = known * params.slip
        total = 1.0 - predicted
    posterior = evidence / total if total > 0.0 else known
    after = posterior * (1.0 - params.forget) + (1.0 - posterior) * params.learn
    return predicted, min(max(after, 0.0), 1.0)


def load_pybkt_model_class() -> Any:
    """pyBKT's ``Model`` class.

    Raises:
        ModelUnavailable: pyBKT is missing or fails to import with this environment.
    """
    try:
        return importlib.import_module("pyBKT.models").Model
    except Exception as error:  # pyBKT's import-time failures are AttributeErrors, too
        raise ModelUnavailable(
            f"pyBKT is not importable here ({type(error).__name__}: {error}); it needs "
            "scikit-learn<1.4 and pandas<2.3 in a separate environment (docs/evaluation.md)"
        ) from None


def _skill_set(response: Response) -> str:
    return "+".join(response.skills)


def _first(value: Any) -> float:
    try:
        return float(value[0])
    except (TypeError, IndexError):
        return float(value)


class PyBKT:
    """`bkt`: per-skill-set BKT fitted with pyBKT, predicted online.

    Args:
        seed: pyBKT's random seed (EM starting points).
        num_fits: EM restarts per skill set (pyBKT's ``num_fits``).

    Raises:
        ModelUnavailable: pyBKT cannot be imported.
    """

    name = "bkt"

    def __init__(self, *, seed: int = 0, num_fits: int = 1) -> None:
        self._model_class = load_pybkt_model_class()
        self._seed = seed
        self._num_fits = num_fits
        self._params: dict[str, BktParameters] = {}
        self._known: dict[tuple[str, str], float] = {}
        self._fallback = 0.5

    @property
    def parameters(self) -> dict[str, BktParameters]:
        """Fitted parameters per skill set."""
        return dict(self._params)

    def fit(self, train: Iterable[Response]) -> None:
        """Fit BKT parameters per skill set on the train responses with pyBKT."""
        pandas = importlib.import_module("pandas")
        rows = [
            (order, r.student_id, _skill_set(r), int(r.correct)) for order, r in enumerate(train)
        ]
        if not rows:
            return
        self._fallback = sum(row[3] for row in rows) / len(rows)
        frame = pandas.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct"])
        model = self._model_class(seed=self._seed, num_fits=self._num_fits)
        model.fit(data=frame)
        for skill, values in model.coef_.items():
            self._params[str(skill)] = BktParameters(
                prior=float(values["prior"]),
                learn=_first(values["learns"]),
                guess=_first(values["guesses"]),
                slip=_first(values["slips"]),
                forget=_first(values.get("forgets", 0.0)),
            )

    def predict_then_learn(self, response: Response) -> float:
        """BKT prediction from the student's earlier answers on the skill set, then update.

        A skill set never seen in train is predicted at the train success rate.
        """
        skill = _skill_set(response)
        params = self._params.get(skill)
        if params is None:
            return self._fallback
        key = (response.student_id, skill)
        predicted, known = bkt_step(self._known.get(key, params.prior), response.correct, params)
        self._known[key] = known
        return min(max(predicted, 0.0), 1.0)
