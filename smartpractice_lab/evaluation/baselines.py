"""Online baselines: plain Elo (Pelanek 2016) and the customer's first sketch.

Both are deliberately small, independent of the production core, so that the comparison
is with the published methods and with what the customer started from.
"""

from __future__ import annotations

import math

from smartpractice.core.rating.elo import expected_success
from smartpractice_lab.evaluation.dataset import Response
from smartpractice_lab.evaluation.protocol import OnlineModel

__all__ = ["CustomerSketch", "PlainElo", "sigmoid"]


def sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e^-x) (0-1), safe for any finite `x`."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class PlainElo(OnlineModel):
    """Plain Elo: one global ability per student, one difficulty per item (logit scale).

    ``P = sigmoid(theta_s - d_i)``; after the answer ``theta_s += U(n_s) (y - P)`` and
    ``d_i -= U(n_i) (y - P)`` with the uncertainty step ``U(n) = a / (1 + b n)``, `n` the
    number of earlier answers of that student or item (Pelanek, "Applications of the Elo
    rating system in adaptive educational systems", Computers & Education 2016).

    Args:
        a: Step with no evidence (logits per unit of surprise).
        b: How fast the step falls with each answer.
    """

    name = "elo"

    def __init__(self, *, a: float = 1.0, b: float = 0.05) -> None:
        self._a = a
        self._b = b
        self._ability: dict[str, tuple[float, int]] = {}
        self._difficulty: dict[str, tuple[float, int]] = {}

    def _step(self, count: int) -> float:
        return self._a / (1.0 + self._b * count)

    def predict_then_learn(self, response: Response) -> float:
        """P(correct) from ability minus difficulty, then one Elo update of both."""
        theta, n_student = self._ability.get(response.student_id, (0.0, 0))
        difficulty, n_item = self._difficulty.get(response.item_id, (0.0, 0))
        predicted = sigmoid(theta - difficulty)
        surprise = response.score - predicted
        self._ability[response.student_id] = (
            theta + self._step(n_student) * surprise,
            n_student + 1,
        )
        self._difficulty[response.item_id] = (
            difficulty - self._step(n_item) * surprise,
            n_item + 1,
        )
        return predicted


class CustomerSketch(OnlineModel):
    """The customer's first sketch (seed conversation, ``EloService``).

    A rating per (student, skill) and one rating per item, all starting at 1200; fixed
    K = 32 on the 400-point scale; ratings floored at 100. The prediction is the mean of
    the per-skill Elo expectations; the update walks the item's skills in order, each
    updating that skill's rating and the item's single rating, as the sketch does.

    Args:
        k: Fixed step (Elo points).
        initial: Starting rating of students' skills and of items (Elo points).
    """

    name = "customer_sketch"

    def __init__(self, *, k: float = 32.0, initial: float = 1200.0) -> None:
        self._k = k
        self._initial = initial
        # Per student, a rating per skill (one dictionary per student: no tuple key per row).
        self._student: dict[str, dict[str, float]] = {}
        self._item: dict[str, float] = {}

    def predict_then_learn(self, response: Response) -> float:
        """Mean per-skill expectation, then the sketch's per-skill updates."""
        initial = self._initial
        item = self._item.get(response.item_id, initial)
        ratings = self._student.get(response.student_id)
        if ratings is None:
            ratings = self._student[response.student_id] = {}
        skills = response.skills
        predicted = sum(
            [
                expected_success(rating=ratings.get(skill, initial), difficulty=item)
                for skill in skills
            ]
        ) / len(skills)
        score = response.score
        for skill in skills:
            rating = ratings.get(skill, initial)
            expected = expected_success(rating=rating, difficulty=item)
            ratings[skill] = max(100.0, rating + self._k * (score - expected))
            item = max(100.0, item + self._k * ((1.0 - score) - (1.0 - expected)))
        self._item[response.item_id] = item
        return predicted
