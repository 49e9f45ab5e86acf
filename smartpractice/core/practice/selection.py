"""Smart Practice: pick the next item for a student.

Each candidate gets four component scores in [0, 1] and a weighted sum:

* ``elo_match``: closeness of the item's difficulty gap to the target challenge, a Gaussian
  in Elo points around the gap that gives the target success rate;
* ``thompson``: closeness to the target of one draw from Beta(p s + wins, (1-p) s + losses),
  where p is the Elo prediction and the prior strength s grows as the rating settles
  (Thompson 1933; an uncertain rating gives wide draws, so uncertain students explore);
* ``weak_skill``: how much of what the student still has to learn the item covers: the sum
  over its skills of each skill's need (by default 1 - proficiency; the learning path sets
  it to the chance the skill is not yet mastered, 0 for mastered skills), over the largest
  such sum among the candidates, so an item that teaches two unmastered skills at once
  scores above one that teaches one;
* ``recency``: 1 for never seen, towards 0 for an item seen moments ago.

Candidates are pruned to a difficulty window first; items whose prerequisite skills are
clearly unmet are dropped whenever any other candidate remains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from smartpractice.core.config import SelectionConfig
from smartpractice.core.rating.elo import expected_success
from smartpractice.core.types import Candidate

__all__ = [
    "ScoredCandidate",
    "Selection",
    "SkillView",
    "clearly_unmet",
    "select_next_item",
    "target_gap",
]

COMPONENTS = ("elo_match", "thompson", "weak_skill", "recency")


@dataclass(frozen=True, slots=True)
class SkillView:
    """What the selector knows about the student on one skill.

    Attributes:
        rating: The student's rating on the skill (Elo points).
        uncertainty: 0-1 (1 = no evidence).
        proficiency: Predicted success (0-1) on the skill's typical item.
        typical_difficulty: Mean difficulty of the skill's items (Elo points).
        prerequisites: Skills this one builds on.
        recent_difficulty: Mean current difficulty (Elo points) on this skill of the items
            the student answered most recently, if any.
        need: How much the student still has to learn the skill (0-1); None: 1 -
            proficiency.
    """

    rating: float
    uncertainty: float
    proficiency: float
    typical_difficulty: float
    prerequisites: tuple[str, ...] = ()
    recent_difficulty: float | None = None
    need: float | None = None

    @property
    def still_to_learn(self) -> float:
        """`need`, or 1 - proficiency when the path has not set it (0-1)."""
        return 1.0 - self.proficiency if self.need is None else self.need


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """One candidate with its components (each 0-1) and weighted score."""

    item_id: str
    score: float
    components: Mapping[str, float]
    predicted_success: float
    thompson_sample: float
    difficulty_gap: float
    remediation_for: str | None


@dataclass(frozen=True, slots=True)
class Selection:
    """The pick, the runner-up and why.

    Attributes:
        chosen: The best candidate.
        runner_up: The second best, if there was one.
        reasons: Human-readable sentences explaining the pick.
        considered: Candidates scored after pruning.
        gated: Candidates dropped because a prerequisite was clearly unmet.
        pruned: Candidates dropped by the difficulty window or the candidate cap.
    """

    chosen: ScoredCandidate
    runner_up: ScoredCandidate | None
    reasons: tuple[str, ...]
    considered: int
    gated: int
    pruned: int


def target_gap(*, target_success: float, scale: float = 400.0) -> float:
    """Difficulty minus rating (Elo points) at which predicted success is `target_success`."""
    return scale * math.log10((1.0 - target_success) / target_success)


def clearly_unmet(view: SkillView, config: SelectionConfig) -> bool:
    """Whether the student is clearly weak on a skill: proficiency (0-1) below
    `prerequisite_gate` with uncertainty (0-1) below `prerequisite_gate_max_uncertainty`.
    Weakness on little evidence does not count, so a new student is never shut out."""
    return (
        view.proficiency < config.prerequisite_gate
        and view.uncertainty < config.prerequisite_gate_max_uncertainty
    )


def _unmet_prerequisites(
    candidate: Candidate, skills: Mapping[str, SkillView], config: SelectionConfig
) -> list[str]:
    unmet: list[str] = []
    for skill in candidate.difficulties:
        view = skills.get(skill)
        for prerequisite in view.prerequisites if view else ():
            pre = skills.get(prerequisite)
            if pre is not None and clearly_unmet(pre, config):
                unmet.append(prerequisite)
    return unmet


def _gaps(candidates: Sequence[Candidate], skills: Mapping[str, SkillView]) -> np.ndarray:
    return np.array(
        [
            sum(d - skills[s].rating for s, d in c.difficulties.items()) / len(c.difficulties)
            for c in candidates
        ],
        dtype=float,
    )


def _mean_over_skills(candidate: Candidate, skills: Mapping[str, SkillView], field: str) -> float:
    values = [getattr(skills[s], field) for s in candidate.difficulties]
    return float(sum(values) / len(values))


@dataclass(frozen=True, slots=True)
class _Scores:
    """Every kept candidate's components, draw, gap and weighted score, as arrays."""

    candidates: Sequence[Candidate]
    total: np.ndarray
    match: np.ndarray
    thompson: np.ndarray
    weak: np.ndarray
    recency: np.ndarray
    predicted: np.ndarray
    draws: np.ndarray
    gaps: np.ndarray

    def candidate(self, i: int) -> ScoredCandidate:
        """The i-th candidate with its scores (built only for those the selection reports)."""
        return ScoredCandidate(
            item_id=self.candidates[i].item_id,
            score=float(self.total[i]),
            components={
                "elo_match": float(self.match[i]),
                "thompson": float(self.thompson[i]),
                "weak_skill": float(self.weak[i]),
                "recency": float(self.recency[i]),
            },
            predicted_success=float(self.predicted[i]),
            thompson_sample=float(self.draws[i]),
            difficulty_gap=float(self.gaps[i]),
            remediation_for=self.candidates[i].remediation_for,
        )


def _score(
    candidates: Sequence[Candidate],
    gaps: np.ndarray,
    skills: Mapping[str, SkillView],
    *,
    config: SelectionConfig,
    rng: np.random.Generator,
    scale: float,
) -> _Scores:
    goal = target_gap(target_success=config.target_success, scale=scale)
    match = np.exp(-0.5 * ((gaps - goal) / config.match_width) ** 2)
    # A gap is the item's difficulty above the student's rating (Elo points).
    predicted = expected_success(rating=0.0, difficulty=gaps, scale=scale)
    uncertain = np.array([_mean_over_skills(c, skills, "uncertainty") for c in candidates])
    strength = config.prior_strength_min + (
        config.prior_strength_max - config.prior_strength_min
    ) * (1.0 - uncertain)
    wins = np.array([c.successes for c in candidates], dtype=float)
    losses = np.array([c.failures for c in candidates], dtype=float)
    alpha = np.maximum(predicted * strength + wins, 1e-3)
    beta = np.maximum((1.0 - predicted) * strength + losses, 1e-3)
    draws = rng.beta(alpha, beta)
    spread = max(config.target_success, 1.0 - config.target_success)
    thompson = 1.0 - np.abs(draws - config.target_success) / spread
    covered = np.array([sum(skills[s].still_to_learn for s in c.difficulties) for c in candidates])
    weak = covered / max(float(covered.max()), 1.0)
    hours = np.array(
        [math.inf if c.hours_since_seen is None else c.hours_since_seen for c in candidates]
    )
    recency = 1.0 - np.power(0.5, hours / config.recency_half_life_hours)
    total = (
        config.weight_elo_match * match
        + config.weight_thompson * thompson
        + config.weight_weak_skill * weak
        + config.weight_recency * recency
    )
    return _Scores(candidates, total, match, thompson, weak, recency, predicted, draws, gaps)


def _reasons(
    chosen: ScoredCandidate,
    runner_up: ScoredCandidate | None,
    candidate: Candidate,
    skills: Mapping[str, SkillView],
    config: SelectionConfig,
) -> tuple[str, ...]:
    reasons = [
        f"predicted success {chosen.predicted_success:.2f} against a target of "
        f"{config.target_success:.2f} (difficulty {chosen.difficulty_gap:+.0f} Elo points "
        "from your rating)"
    ]
    if chosen.remediation_for is not None:
        reasons.append(
            f"practises a prerequisite of {chosen.remediation_for}, where you are still weak"
        )
    for skill, difficulty in candidate.difficulties.items():
        view = skills[skill]
        if view.recent_difficulty is not None and difficulty < view.recent_difficulty - 25.0:
            reasons.append(
                f"easier than your recent {skill} items ({difficulty:.0f} vs "
                f"{view.recent_difficulty:.0f} Elo points) because your rating there fell to "
                f"{view.rating:.0f}"
            )
        elif difficulty < view.typical_difficulty - 25.0:
            reasons.append(
                f"easier than the typical {skill} item ({difficulty:.0f} vs "
                f"{view.typical_difficulty:.0f} Elo points) because your rating there is "
                f"{view.rating:.0f}"
            )
        elif difficulty > view.typical_difficulty + 25.0:
            reasons.append(
                f"harder than the typical {skill} item ({difficulty:.0f} vs "
                f"{view.typical_difficulty:.0f} Elo points) because your rating there is "
                f"{view.rating:.0f}"
            )
        if view.proficiency < 0.5:
            reasons.append(f"covers {skill}, a weak skill (proficiency {view.proficiency:.2f})")
    if runner_up is not None:
        deltas = {
            name: getattr(config, f"weight_{name}")
            * (chosen.components[name] - runner_up.components[name])
            for name in COMPONENTS
        }
        decisive = max(deltas, key=lambda name: deltas[name])
        reasons.append(
            f"scored {chosen.score:.3f} against {runner_up.score:.3f} for the runner-up "
            f"{runner_up.item_id}, mostly on {decisive} (+{deltas[decisive]:.3f})"
        )
    return tuple(reasons)


def select_next_item(
    candidates: Sequence[Candidate],
    *,
    skills: Mapping[str, SkillView],
    config: SelectionConfig,
    rng: np.random.Generator,
    scale: float = 400.0,
) -> Selection | None:
    """Pick the next item; None when there is no candidate.

    Args:
        candidates: Items in scope (and remediation items), each with per-skill difficulty.
        skills: The student's view of every skill the candidates test and their prerequisites.
        config: Selection constants (weights, target, window, prior strength, gating).
        rng: Source of the Thompson draws; the same seed gives the same pick.
        scale: Elo scale (Elo points for 10:1 odds).

    Returns:
        The selection with the chosen item, its runner-up, and the reasons.
    """
    if not candidates:
        return None
    open_candidates = [c for c in candidates if not _unmet_prerequisites(c, skills, config)]
    gated = len(candidates) - len(open_candidates)
    pool = open_candidates or list(candidates)
    gaps = _gaps(pool, skills)
    distance = np.abs(gaps - target_gap(target_success=config.target_success, scale=scale))
    keep = np.flatnonzero(distance <= config.difficulty_window)
    if keep.size == 0:
        keep = np.arange(len(pool))
    # Stable sort keeps the caller's order among equally distant items: deterministic.
    keep = keep[np.argsort(distance[keep], kind="stable")][: config.max_candidates]
    kept = [pool[i] for i in keep]
    scores = _score(kept, gaps[keep], skills, config=config, rng=rng, scale=scale)
    totals = scores.total.tolist()
    # The best two, ties in candidate order (a stable sort on the score, descending).
    order = sorted(range(len(totals)), key=lambda i: -totals[i])[:2]
    chosen = scores.candidate(order[0])
    runner_up = scores.candidate(order[1]) if len(order) > 1 else None
    return Selection(
        chosen=chosen,
        runner_up=runner_up,
        reasons=_reasons(chosen, runner_up, kept[order[0]], skills, config),
        considered=len(kept),
        gated=gated,
        pruned=len(pool) - len(kept),
    )
