"""Exam readiness: the score a student can expect on a paper drawn to a blueprint.

The model of one paper: each question of a chapter or topic (a *place*) is an item drawn
uniformly from that place's pool (with replacement: pools are much larger than a place's
share of the paper); the student's true rating on each skill is ``Normal(rating, sd^2)``
(Elo points), one draw per skill shared by every question testing it; a question is
answered right with the Elo success chance of the true ratings (`predict_item_success`'s
mean rating gap over the item's skills); and the student attempts it only when the
predicted success is above the marking scheme's break-even (the best strategy under
negative marking, `question_value`).

* **Expected marks are analytic.** Once the strategy is fixed by the prediction, a
  question's marks are linear in its success chance, so by the law of total expectation
  the expected marks only need each item's predicted success: the Elo chance averaged over
  the rating uncertainty, a one-dimensional Gauss-Hermite integral (the mean of the skills'
  gaps is normal). Exact, deterministic, no sampling noise in per-place numbers.
* **The 80% interval is simulated** (seeded Monte-Carlo papers, NumPy). Its spread is not
  normal: the rating uncertainty is shared by every question of a skill (correlated, and
  bounded through the logistic, so skewed near full or zero marks) and negative marking
  makes marks lumpy; simulating the model above is exact up to sampling error (about 1% of
  coverage with the default 4,000 papers) where a normal approximation is not.

The Elo logistic is `expected_success`, tabulated once per scale (a point every 2 Elo
points at scale 400) and interpolated linearly (error below 1e-6), so the simulation stays
vectorised without a second definition of it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartpractice.core.exam.blueprint import Blueprint, MarkingScheme
from smartpractice.core.rating.elo import expected_success

__all__ = [
    "ExamItem",
    "PlaceForecast",
    "Readiness",
    "SkillEstimate",
    "attempt_value",
    "break_even",
    "forecast_readiness",
    "predicted_success",
    "question_value",
]

FloatArray = npt.NDArray[np.float64]

_NODES, _NODE_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_NODE_WEIGHTS = _NODE_WEIGHTS / math.sqrt(2.0 * math.pi)  # weights of a standard normal
_TABLE_SCALES = 8.0  # the table spans +/- 8 scales of gap: success 1e-8 .. 1 - 1e-8
_TABLE_POINTS = 6401  # a point every 2 Elo points at scale 400


@dataclass(frozen=True, slots=True)
class SkillEstimate:
    """What the service believes about a student's rating on one skill.

    Attributes:
        rating: Rating (Elo points; the hierarchical estimate for an estimated skill).
        sd: Spread (Elo points, > 0) of the true rating around it: larger for uncertain
            and for estimated skills (the learning path's ``max(floor, max * uncertainty)``).
        assessed: False when the skill has too few answers of its own (`estimated`).
    """

    rating: float
    sd: float
    assessed: bool = True


@dataclass(frozen=True, slots=True)
class ExamItem:
    """An item a paper may draw for a place.

    Attributes:
        item_id: The item.
        difficulties: Difficulty per skill it tests (Elo points).
    """

    item_id: str
    difficulties: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PlaceForecast:
    """The forecast for one chapter or topic of the paper.

    Attributes:
        place: The chapter or topic key.
        questions: Its questions in the paper.
        marks: The marks it carries (maximum).
        expected: Expected marks under the best strategy.
        at_stake: Marks it carries that the student is not expected to get
            (``marks - expected``): what mastering it would gain.
        success: Predicted success (0-1) on one of its questions.
        attempt_share: Share (0-1) of its questions worth attempting: those whose predicted
            success is above the break-even.
        strategy: ``attempt`` (every question), ``selective`` (the easier ones) or ``skip``.
        estimated: Whether any of its skills is estimated (the forecast leans on related
            evidence; the interval is wider for it).
    """

    place: str
    questions: int
    marks: float
    expected: float
    at_stake: float
    success: float
    attempt_share: float
    strategy: str
    estimated: bool


@dataclass(frozen=True, slots=True)
class Readiness:
    """The expected score on a paper drawn to the blueprint.

    Attributes:
        expected: Expected marks (analytic).
        low: 10th percentile of the simulated papers' marks.
        high: 90th percentile (the 80% interval is ``[low, high]``).
        max_marks: The paper's maximum marks.
        places: Per chapter or topic, in paper order.
        estimated_marks: Marks resting on questions that test an estimated skill.
        papers: Simulated papers behind the interval.
    """

    expected: float
    low: float
    high: float
    max_marks: float
    places: tuple[PlaceForecast, ...]
    estimated_marks: float
    papers: int

    def most_at_stake(self) -> tuple[PlaceForecast, ...]:
        """The places, the most marks at stake first."""
        return tuple(sorted(self.places, key=lambda p: -p.at_stake))


def break_even(marking: MarkingScheme) -> float:
    """Predicted success (0-1) above which attempting a question beats leaving it out:
    ``(unattempted - wrong) / (correct - wrong)``; 0.2 under ``+4 / -1 / 0``, 0 without
    negative marking."""
    return (marking.unattempted - marking.wrong) / (marking.correct - marking.wrong)


def attempt_value(*, success: float, marking: MarkingScheme) -> float:
    """Expected marks (per question worth `marking.correct`) of attempting a question
    answered right with probability `success` (0-1)."""
    return success * marking.correct + (1.0 - success) * marking.wrong


def question_value(*, success: float, marking: MarkingScheme) -> float:
    """Expected marks of the best strategy on a question: attempt it when `success` is above
    the break-even, else leave it out; never below either choice."""
    return max(attempt_value(success=success, marking=marking), marking.unattempted)


@functools.lru_cache(maxsize=4)
def _success_table(scale: float) -> FloatArray:
    """`expected_success` of rating gaps (Elo points) on a uniform grid over
    ``+/- _TABLE_SCALES * scale``, for `_chance`."""
    gaps = np.linspace(-_TABLE_SCALES * scale, _TABLE_SCALES * scale, _TABLE_POINTS)
    return np.array([expected_success(rating=g, difficulty=0.0, scale=scale) for g in gaps])


def _chance(gaps: FloatArray, scale: float) -> FloatArray:
    """`expected_success` of rating gaps (Elo points, any shape), linearly interpolated in
    its table (clipped at the table's ends, where it is 0 or 1 to 1e-8)."""
    table = _success_table(scale)
    step = 2.0 * _TABLE_SCALES * scale / (_TABLE_POINTS - 1)
    position = np.clip((gaps + _TABLE_SCALES * scale) / step, 0.0, _TABLE_POINTS - 1.0)
    below = np.minimum(position.astype(np.intp), _TABLE_POINTS - 2)
    fraction = position - below
    result: FloatArray = table[below] * (1.0 - fraction) + table[below + 1] * fraction
    return result


def _predictive(mean: FloatArray, spread: FloatArray, scale: float) -> FloatArray:
    """Elo chance of ``Normal(mean, spread^2)`` rating gaps averaged over the normal
    (Gauss-Hermite), for many items at once."""
    result: FloatArray = _chance(mean[:, None] + spread[:, None] * _NODES, scale) @ _NODE_WEIGHTS
    return result


def _gap_moments(item: ExamItem, skills: Mapping[str, SkillEstimate]) -> tuple[float, float]:
    """Mean and spread (Elo points) of the item's mean rating gap over its skills."""
    count = len(item.difficulties)
    if not count:
        raise ValueError(f"item {item.item_id!r} tests no skill")
    mean = sum(skills[s].rating - d for s, d in item.difficulties.items()) / count
    spread = math.sqrt(sum(skills[s].sd ** 2 for s in item.difficulties)) / count
    return mean, spread


def predicted_success(
    item: ExamItem, *, skills: Mapping[str, SkillEstimate], scale: float = 400.0
) -> float:
    """Predicted success (0-1) on an item: the Elo chance of the mean rating gap averaged
    over the ratings' uncertainty (Gauss-Hermite, 40 nodes). It is what the student can
    expect before seeing the question, so it sets the attempt-or-skip strategy."""
    mean, spread = _gap_moments(item, skills)
    return float(_predictive(np.array([mean]), np.array([spread]), scale)[0])


@dataclass(frozen=True, slots=True)
class _Pool:
    """A place's items as arrays: skill indices, difficulties and a mask (items x most
    skills of one item), skill counts, predicted success and whether estimated."""

    skills: npt.NDArray[np.intp]
    difficulties: FloatArray
    mask: FloatArray
    counts: FloatArray
    success: FloatArray
    estimated: npt.NDArray[np.bool_]


def _compile(
    items: Sequence[ExamItem],
    index: Mapping[str, int],
    skills: Mapping[str, SkillEstimate],
    scale: float,
) -> _Pool:
    width = max(len(i.difficulties) for i in items)
    skill_index = np.zeros((len(items), width), dtype=np.intp)
    difficulties = np.zeros((len(items), width))
    mask = np.zeros((len(items), width))
    moments = np.array([_gap_moments(i, skills) for i in items])
    for row, item in enumerate(items):
        for column, (skill_id, difficulty) in enumerate(sorted(item.difficulties.items())):
            skill_index[row, column] = index[skill_id]
            difficulties[row, column] = difficulty
            mask[row, column] = 1.0
    return _Pool(
        skills=skill_index,
        difficulties=difficulties,
        mask=mask,
        counts=mask.sum(axis=1),
        success=_predictive(moments[:, 0], moments[:, 1], scale),
        estimated=np.array([any(not skills[s].assessed for s in i.difficulties) for i in items]),
    )


def _check_inputs(
    blueprint: Blueprint,
    pools: Mapping[str, Sequence[ExamItem]],
    skills: Mapping[str, SkillEstimate],
) -> None:
    empty = [p for p in blueprint.places() if not pools.get(p)]
    if empty:
        raise ValueError(f"no items to draw for: {', '.join(empty)}")
    needed = {s for p in blueprint.places() for i in pools[p] for s in i.difficulties}
    missing = sorted(needed - set(skills))
    if missing:
        # Never guess a missing skill silently: the caller passes the path's estimate.
        raise ValueError(f"no skill estimate for: {', '.join(missing)}")
    bad = sorted(s for s in needed if not skills[s].sd > 0)
    if bad:
        raise ValueError(f"a skill estimate needs a positive sd: {', '.join(bad)}")


def forecast_readiness(
    blueprint: Blueprint,
    *,
    pools: Mapping[str, Sequence[ExamItem]],
    skills: Mapping[str, SkillEstimate],
    rng: np.random.Generator,
    papers: int = 4000,
    scale: float = 400.0,
) -> Readiness:
    """The expected marks on a paper drawn to `blueprint`, its 80% interval and, per
    chapter or topic, expected marks, marks at stake and the answer strategy.

    Args:
        blueprint: The paper's pattern (valid: see `blueprint_problems`).
        pools: Per place of the blueprint, the items a paper may draw.
        skills: The student's estimate on every skill those items test.
        rng: Randomness of the simulated papers (seed it for reproducible intervals).
        papers: Simulated papers for the interval (>= 1).
        scale: Elo scale (Elo points for 10:1 odds).

    Raises:
        ValueError: A place has no items, or a tested skill has no (valid) estimate.
    """
    _check_inputs(blueprint, pools, skills)
    if papers < 1:
        raise ValueError(f"papers must be at least 1, got {papers}")
    skill_ids = sorted({s for p in blueprint.places() for i in pools[p] for s in i.difficulties})
    index = {s: n for n, s in enumerate(skill_ids)}
    compiled = {p: _compile(pools[p], index, skills, scale) for p in blueprint.places()}
    ratings = np.array([skills[s].rating for s in skill_ids])
    spreads = np.array([skills[s].sd for s in skill_ids])
    # One true rating per skill and paper, shared by every question testing the skill.
    truth = ratings + spreads * rng.standard_normal((papers, len(skill_ids)))
    totals = np.zeros(papers)
    tallies = {p: _Tally() for p in compiled}
    for section, weight in blueprint.weights():
        pool = compiled[weight.place]
        marks = _scaled(section.marking, weight.marks_per_question)
        attempt = pool.success > break_even(section.marking)
        tallies[weight.place].add(weight.questions, weight.marks, pool, attempt, marks)
        totals += _simulate(pool, attempt, marks, truth, weight.questions, rng, scale)
    low, high = np.quantile(totals, [0.1, 0.9])
    places = tuple(_place_forecast(p, t) for p, t in tallies.items())
    return Readiness(
        expected=sum(p.expected for p in places),
        low=float(low),
        high=float(high),
        max_marks=blueprint.total_marks,
        places=places,
        estimated_marks=sum(t.estimated_marks for t in tallies.values()),
        papers=papers,
    )


def _scaled(marking: MarkingScheme, worth: float) -> MarkingScheme:
    """The scheme for a question worth `worth` marks (it is stated for `marking.correct`)."""
    size = worth / marking.correct
    return MarkingScheme(
        correct=worth, wrong=size * marking.wrong, unattempted=size * marking.unattempted
    )


def _simulate(
    pool: _Pool,
    attempt: npt.NDArray[np.bool_],
    marks: MarkingScheme,
    truth: FloatArray,
    questions: int,
    rng: np.random.Generator,
    scale: float,
) -> FloatArray:
    """Marks of each simulated paper (one row of `truth` each) on `questions` questions
    drawn from `pool`: the items drawn, their true success, their outcome."""
    papers = truth.shape[0]
    drawn = rng.integers(0, len(pool.success), size=(papers, questions))
    rows = np.arange(papers)[:, None, None]
    gap = (truth[rows, pool.skills[drawn]] - pool.difficulties[drawn]) * pool.mask[drawn]
    chance = _chance(gap.sum(axis=2) / pool.counts[drawn], scale)
    outcome = np.where(rng.random((papers, questions)) < chance, marks.correct, marks.wrong)
    result: FloatArray = np.where(attempt[drawn], outcome, marks.unattempted).sum(axis=1)
    return result


@dataclass(slots=True)
class _Tally:
    """Running expected values of one place over the sections that draw from it."""

    questions: int = 0
    marks: float = 0.0
    expected: float = 0.0
    success: float = 0.0  # summed over its questions
    attempts: float = 0.0  # expected questions worth attempting
    estimated: bool = False
    estimated_marks: float = 0.0

    def add(
        self,
        questions: int,
        marks: float,
        pool: _Pool,
        attempt: npt.NDArray[np.bool_],
        value: MarkingScheme,
    ) -> None:
        """Add one section's questions of the place: items are drawn uniformly, so each
        expected value is the mean over the pool (`attempt_value`, vectorised)."""
        success = pool.success
        values = np.where(
            attempt, success * value.correct + (1.0 - success) * value.wrong, value.unattempted
        )
        self.questions += questions
        self.marks += marks
        self.expected += questions * float(values.mean())
        self.success += questions * float(success.mean())
        self.attempts += questions * float(attempt.mean())
        self.estimated = self.estimated or bool(pool.estimated.any())
        self.estimated_marks += marks * float(pool.estimated.mean())


def _place_forecast(place: str, tally: _Tally) -> PlaceForecast:
    share = tally.attempts / tally.questions
    strategy = "attempt" if share > 0.999 else "skip" if share < 0.001 else "selective"
    return PlaceForecast(
        place=place,
        questions=tally.questions,
        marks=tally.marks,
        expected=tally.expected,
        at_stake=tally.marks - tally.expected,
        success=tally.success / tally.questions,
        attempt_share=share,
        strategy=strategy,
        estimated=tally.estimated,
    )
