"""The mastery of one skill: how sure we are that a student has it, and how it fades.

Three readings of the same question, each a pure function:

* from the rating: the chance that proficiency on the skill's typical item is at least a
  level, the rating being uncertain (`mastery_probability`);
* from the latest answers: Bayesian knowledge tracing (Corbett and Anderson 1995), the
  chance the skill is known after a sequence of answers (`knowledge_tracing`);
* over time: the share of a mastered skill still held after days without practice
  (`retention`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from statistics import NormalDist

__all__ = [
    "knowledge_tracing",
    "mastery_probability",
    "mastery_rating",
    "retention",
    "tracing_step",
]

_NORMAL = NormalDist()


def mastery_rating(*, typical_difficulty: float, level: float, scale: float = 400.0) -> float:
    """Rating (Elo points) at which predicted success on the typical item equals `level`
    (0-1, exclusive)."""
    return typical_difficulty + scale * math.log10(level / (1.0 - level))


def mastery_probability(
    *, rating: float, sd: float, typical_difficulty: float, level: float, scale: float = 400.0
) -> float:
    """Chance (0-1) that proficiency on the typical item is at least `level`, the true
    rating being ``Normal(rating, sd^2)`` (Elo points, sd > 0)."""
    threshold = mastery_rating(typical_difficulty=typical_difficulty, level=level, scale=scale)
    return _NORMAL.cdf((rating - threshold) / sd)


def tracing_step(
    known: float, performance: float, *, learn: float, guess: float, slip: float
) -> float:
    """p(known) (0-1) after one answer: Bayes' rule on the answer (correct when performance
    is at least 0.5), then the learning transition ``p + (1 - p) * learn``.

    Args:
        known: p(known) before the answer (0-1).
        performance: The answer's performance (0-1).
        learn: Chance (0-1) of learning the skill at one practice opportunity.
        guess: Chance (0-1) of a correct answer without the skill.
        slip: Chance (0-1) of a wrong answer with the skill.
    """
    if performance >= 0.5:
        evidence = known * (1.0 - slip)
        posterior = evidence / (evidence + (1.0 - known) * guess)
    else:
        evidence = known * slip
        posterior = evidence / (evidence + (1.0 - known) * (1.0 - guess))
    return posterior + (1.0 - posterior) * learn


def knowledge_tracing(
    performances: Iterable[float], *, initial: float, learn: float, guess: float, slip: float
) -> float:
    """p(known) (0-1) after a sequence of answers (performances 0-1, oldest first),
    starting from `initial`; `tracing_step` for each answer."""
    known = initial
    for performance in performances:
        known = tracing_step(known, performance, learn=learn, guess=guess, slip=slip)
    return known


def retention(*, days_since: float | None, correct: int, half_life_days: float) -> float:
    """Share (0-1) of a mastered skill still held after `days_since` days without practice:
    ``0.5 ** (days / (half_life * (1 + ln(1 + correct))))``; each success spaces the next
    review further out (expanding intervals, as in spaced-repetition schedulers)."""
    if days_since is None or days_since <= 0.0:
        return 1.0
    return float(0.5 ** (days_since / (half_life_days * (1.0 + math.log1p(max(correct, 0))))))
