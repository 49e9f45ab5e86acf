"""1PL IRT (Rasch) baseline: item difficulties fitted on the train users, abilities of new
students estimated online from their earlier answers only.

``P(correct) = sigmoid(theta_u - b_i)`` (logit scale). Training maximises the L2-regularised
log-likelihood ``sum log P - lambda_theta / 2 * sum theta^2 - lambda_b / 2 * sum b^2``
over all train responses (Gaussian priors, i.e. a MAP fit) with the fitter `smartpractice
calibrate` uses (`core.calibration.fit_difficulties`). A test student's
ability is the MAP estimate under the same N(0, 1 / lambda_theta) prior given the answers
so far, refreshed by Newton steps after every answer; items stay at their train fit (an
item never answered in train sits at the prior mean 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from smartpractice.core.rating.calibration import CalibrationPriors, fit_difficulties
from smartpractice_lab.evaluation.baselines import sigmoid
from smartpractice_lab.evaluation.dataset import Response

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
    tolerance: float = 1e-6,
) -> tuple[FloatArray, FloatArray]:
    """MAP fit of a Rasch model (abilities and difficulties in logits).

    The L2 penalties are Gaussian priors centred on 0 (variance 1 / penalty), so this is the
    regularised 1PL that `smartpractice calibrate` fits (`core.calibration`), on the logit
    scale: an Elo scale of ln 10 makes ``10 ** (gap / scale)`` equal ``e ** gap``.

    Args:
        users: User index (0 .. n_users - 1) per response.
        items: Item index (0 .. n_items - 1) per response.
        outcomes: 0/1 (or partial credit in [0, 1]) per response.
        n_users: Number of users.
        n_items: Number of items.
        ability_penalty: lambda_theta, the inverse prior variance of abilities.
        difficulty_penalty: lambda_b, the inverse prior variance of difficulties.
        tolerance: Stop when no parameter moved by more than this (logits) in a round.

    Returns:
        Abilities (per user) and difficulties (per item).
    """
    fit = fit_difficulties(
        users,
        items,
        outcomes,
        np.ones(len(outcomes)),
        np.zeros(n_items),
        n_students=n_users,
        ability_mean=0.0,
        scale=math.log(10.0),
        priors=CalibrationPriors(
            difficulty_sd=1.0 / math.sqrt(difficulty_penalty),
            ability_sd=1.0 / math.sqrt(ability_penalty),
            # No groups, so the shift prior is unused; a step of 10 logits bounds nothing.
            max_step=10.0,
            tolerance=tolerance,
        ),
    )
    return fit.abilities, fit.difficulties


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
        self._students: dict[str, _Answers] = {}

    def fit(self, train: Iterable[Response]) -> None:
        """Fit item difficulties (and throw-away train abilities) on the train responses."""
        rows = list(train)
        if not rows:
            return
        # Indices in order of first appearance, built without a Python loop per row.
        user_index = {u: n for n, u in enumerate(dict.fromkeys(r.student_id for r in rows))}
        item_index = {q: n for n, q in enumerate(dict.fromkeys(r.item_id for r in rows))}
        count = len(rows)
        _, difficulties = fit_rasch(
            np.fromiter((user_index[r.student_id] for r in rows), dtype=np.int64, count=count),
            np.fromiter((item_index[r.item_id] for r in rows), dtype=np.int64, count=count),
            np.fromiter((r.score for r in rows), dtype=np.float64, count=count),
            n_users=len(user_index),
            n_items=len(item_index),
            ability_penalty=self._ability_penalty,
            difficulty_penalty=self._difficulty_penalty,
        )
        self._difficulty = dict(zip(item_index, difficulties.tolist(), strict=True))

    def predict_test(self, test: Sequence[Response]) -> FloatArray:
        """`predict_then_learn` on every test response in order, at once.

        A test student's ability depends only on the train fit and that student's earlier
        answers, so the students are advanced together, one answer of each per round:
        round k predicts every student's (k+1)-th answer, then refreshes the abilities of
        those students on their first k+1 answers with the same Newton steps. The students
        are taken longest history first, so each round works on a leading block of rows.
        Fresh students only (the protocol's test users); the model's state is not updated.
        """
        from scipy.special import expit  # the lab extra

        count = len(test)
        predictions = np.empty(count)
        if not count:
            return predictions
        order = {s: n for n, s in enumerate(dict.fromkeys(r.student_id for r in test))}
        student = np.fromiter((order[r.student_id] for r in test), dtype=np.int64, count=count)
        difficulty = np.fromiter(
            (self._difficulty.get(r.item_id, 0.0) for r in test), dtype=np.float64, count=count
        )
        outcome = np.fromiter((r.score for r in test), dtype=np.float64, count=count)
        answers = np.bincount(student, minlength=len(order))
        # Rank students by history length (longest first): row of each student.
        ranked = np.argsort(-answers, kind="stable")
        row = np.empty_like(ranked)
        row[ranked] = np.arange(ranked.size)
        # Position of each response within its student's answers (responses are in order).
        by_student = np.argsort(student, kind="stable")
        starts = np.concatenate([[0], np.cumsum(answers)[:-1]])
        position = np.empty(count, dtype=np.int64)
        position[by_student] = np.arange(count) - np.repeat(starts, answers)
        longest = int(answers.max())
        b = np.zeros((ranked.size, longest))
        y = np.zeros((ranked.size, longest))
        b[row[student], position] = difficulty
        y[row[student], position] = outcome
        index = np.full((ranked.size, longest), -1, dtype=np.int64)
        index[row[student], position] = np.arange(count)
        active = np.searchsorted(-answers[ranked], -np.arange(1, longest + 1), side="right")
        theta = np.zeros(ranked.size)
        # sum(y - p) = successes so far - sum(p), sum(p (1 - p)) = sum(p) - sum(p^2): the
        # successes are a running sum, and p lives in one reused buffer.
        successes = np.cumsum(y, axis=1)
        buffer = np.empty_like(b)
        penalty = self._ability_penalty
        for k in range(longest):
            m = int(active[k])
            predictions[index[:m, k]] = expit(theta[:m] - b[:m, k])
            t = theta[:m]
            p = buffer[:m, : k + 1]
            for _ in range(self._newton_steps):
                expit(np.subtract(t[:, None], b[:m, : k + 1], out=p), out=p)
                total = p.sum(axis=1)
                gradient = successes[:m, k] - total - penalty * t
                curvature = total - np.einsum("ij,ij->i", p, p) + penalty
                t = t + gradient / curvature
            theta[:m] = np.where(np.isfinite(t), t, 0.0)
        return predictions

    def _refit_ability(self, theta: float, answers: _Answers) -> float:
        from scipy.special import expit  # the lab extra

        b = answers.difficulties[: answers.count]
        y = answers.outcomes[: answers.count]
        for _ in range(self._newton_steps):
            p = expit(theta - b)
            gradient = float(np.sum(y - p)) - self._ability_penalty * theta
            curvature = float(np.dot(p, 1.0 - p)) + self._ability_penalty
            theta += gradient / curvature
        return theta

    def predict_then_learn(self, response: Response) -> float:
        """sigmoid(ability so far - item difficulty), then refresh the student's ability."""
        answers = self._students.get(response.student_id)
        if answers is None:
            answers = self._students[response.student_id] = _Answers()
        difficulty = self._difficulty.get(response.item_id, 0.0)
        predicted = sigmoid(answers.theta - difficulty)
        answers.append(difficulty, response.score)
        theta = self._refit_ability(answers.theta, answers)
        answers.theta = theta if math.isfinite(theta) else 0.0
        return predicted


class _Answers:
    """One test student's answers so far (item difficulty, outcome) in arrays that double
    when full, so refreshing the ability never converts a Python list."""

    __slots__ = ("count", "difficulties", "outcomes", "theta")

    def __init__(self) -> None:
        self.theta = 0.0
        self.count = 0
        self.difficulties = np.empty(16)
        self.outcomes = np.empty(16)

    def append(self, difficulty: float, outcome: float) -> None:
        if self.count == len(self.difficulties):
            self.difficulties = np.concatenate([self.difficulties, np.empty(self.count)])
            self.outcomes = np.concatenate([self.outcomes, np.empty(self.count)])
        self.difficulties[self.count] = difficulty
        self.outcomes[self.count] = outcome
        self.count += 1
