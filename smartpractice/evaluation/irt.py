"""1PL IRT (Rasch) baseline: item difficulties fitted on the train users, abilities of new
students estimated online from their earlier answers only.

``P(correct) = sigmoid(theta_u - b_i)`` (logit scale). Training maximises the L2-regularised
log-likelihood ``sum log P - lambda_theta / 2 * sum theta^2 - lambda_b / 2 * sum b^2``
over all train responses (Gaussian priors, i.e. a MAP fit) with L-BFGS. A test student's
ability is the MAP estimate under the same N(0, 1 / lambda_theta) prior given the answers
so far, refreshed by Newton steps after every answer; items stay at their train fit (an
item never answered in train sits at the prior mean 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from smartpractice.evaluation.baselines import sigmoid
from smartpractice.evaluation.dataset import Response

__all__ = ["Irt1PL", "fit_rasch"]

FloatArray = npt.NDArray[np.float64]


def fit_rasch(
    users: npt.NDArray[np.int64],
    items: npt.NDArray[np.int64],
    outcomes: FloatArray,
    *,
    n_users: int,
    n_items: int,
    ability_penalty: float = 1.0,
    difficulty_penalty: float = 0.1,
) -> tuple[FloatArray, FloatArray]:
    """MAP fit of a Rasch model (abilities and difficulties in logits).

    Args:
        users: User index (0 .. n_users - 1) per response.
        items: Item index (0 .. n_items - 1) per response.
        outcomes: Outcome per response, 0-1.
        n_users: Number of users.
        n_items: Number of items.
        ability_penalty: lambda_theta, the inverse prior variance of abilities.
        difficulty_penalty: lambda_b, the inverse prior variance of difficulties.

    Returns:
        Abilities (per user) and difficulties (per item).
    """
    from scipy.optimize import minimize

    def loss_and_gradient(params: FloatArray) -> tuple[float, FloatArray]:
        theta, b = params[:n_users], params[n_users:]
        logits = theta[users] - b[items]
        # log(1 + e^z) - y z is the negative log-likelihood of a logistic outcome.
        nll = float(np.sum(np.logaddexp(0.0, logits) - outcomes * logits))
        residual = outcomes - 1.0 / (1.0 + np.exp(-logits))
        loss = nll + 0.5 * (ability_penalty * theta @ theta + difficulty_penalty * b @ b)
        gradient = np.concatenate(
            [
                -np.bincount(users, residual, n_users) + ability_penalty * theta,
                np.bincount(items, residual, n_items) + difficulty_penalty * b,
            ]
        )
        return float(loss), gradient

    start = np.zeros(n_users + n_items)
    result = minimize(
        loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    params = np.asarray(result.x, dtype=np.float64)
    return params[:n_users], params[n_users:]


class Irt1PL:
    """`irt_1pl`: Rasch model fitted on the train users, online abilities for new students.

    Args:
        ability_penalty: Inverse prior variance of abilities (1 = standard normal prior).
        difficulty_penalty: Inverse prior variance of item difficulties.
        newton_steps: Newton iterations per answer when refreshing a student's ability.
    """

    name = "irt_1pl"

    def __init__(
        self,
        *,
        ability_penalty: float = 1.0,
        difficulty_penalty: float = 0.1,
        newton_steps: int = 3,
    ) -> None:
        self._ability_penalty = ability_penalty
        self._difficulty_penalty = difficulty_penalty
        self._newton_steps = newton_steps
        self._difficulty: dict[str, float] = {}
        self._students: dict[str, tuple[float, list[float], list[float]]] = {}

    def fit(self, train: Iterable[Response]) -> None:
        """Fit item difficulties (and throw-away train abilities) on the train responses."""
        user_index: dict[str, int] = {}
        item_index: dict[str, int] = {}
        users: list[int] = []
        items: list[int] = []
        outcomes: list[float] = []
        for response in train:
            users.append(user_index.setdefault(response.student_id, len(user_index)))
            items.append(item_index.setdefault(response.item_id, len(item_index)))
            outcomes.append(response.score)
        if not outcomes:
            return
        _, difficulties = fit_rasch(
            np.asarray(users, dtype=np.int64),
            np.asarray(items, dtype=np.int64),
            np.asarray(outcomes, dtype=np.float64),
            n_users=len(user_index),
            n_items=len(item_index),
            ability_penalty=self._ability_penalty,
            difficulty_penalty=self._difficulty_penalty,
        )
        self._difficulty = {item: float(difficulties[i]) for item, i in item_index.items()}

    def _refit_ability(
        self, theta: float, difficulties: list[float], outcomes: list[float]
    ) -> float:
        b = np.asarray(difficulties)
        y = np.asarray(outcomes)
        for _ in range(self._newton_steps):
            p = 1.0 / (1.0 + np.exp(b - theta))
            gradient = float(np.sum(y - p)) - self._ability_penalty * theta
            curvature = float(np.sum(p * (1.0 - p))) + self._ability_penalty
            theta += gradient / curvature
        return theta

    def predict_then_learn(self, response: Response) -> float:
        """sigmoid(ability so far - item difficulty), then refresh the student's ability."""
        theta, difficulties, outcomes = self._students.get(response.student_id, (0.0, [], []))
        difficulty = self._difficulty.get(response.item_id, 0.0)
        predicted = sigmoid(theta - difficulty)
        difficulties.append(difficulty)
        outcomes.append(response.score)
        theta = self._refit_ability(theta, difficulties, outcomes)
        if not math.isfinite(theta):
            theta = 0.0
        self._students[response.student_id] = (theta, difficulties, outcomes)
        return predicted
