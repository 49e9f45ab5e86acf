"""Smart Practice: pick the next item for a student (MISSION part 6).

Each candidate gets four component scores in [0, 1] and a weighted sum:

* ``elo_match``: closeness of the item's difficulty gap to the target challenge, a Gaussian
  in Elo points around the gap that gives the target success rate;
* ``thompson``: closeness to the target of one draw from Beta(p s + wins, (1-p) s + losses),
  where p is the Elo prediction and the prior strength s grows as the rating settles
  (Thompson 1933; an uncertain rating gives wide draws, so uncertain students explore);
* ``weak_skill``: how weak the student is on the item's skills (1 - proficiency);
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
from smartpractice.core.types import Candidate

__all__ = [
    "ScoredCandidate",
    "Selection",
    "SkillView",
    "aim_rating",
    "prerequisite_readiness",
    "select_next_item",
    "skill_progress",
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
        successes: The student's successes on the skill so far (>= 0).
        in_scope: Whether the skill is one the practice scope teaches.
    """

    rating: float
    uncertainty: float
    proficiency: float
    typical_difficulty: float
    prerequisites: tuple[str, ...] = ()
    recent_difficulty: float | None = None
    successes: int = 0
    in_scope: bool = False


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


def _not_yet_taught(view: SkillView, pre: SkillView, config: SelectionConfig) -> bool:
    """A prerequisite the scope teaches alongside the skill, not yet practised with
    `prerequisite_gate_successes` successes."""
    return view.in_scope and pre.in_scope and pre.successes < config.prerequisite_gate_successes


def _finished(
    candidate: Candidate, skills: Mapping[str, SkillView], config: SelectionConfig, scale: float
) -> bool:
    """Every scope skill the item tests has progress of at least `mastered_gate`."""
    scoped = [skills[s] for s in candidate.difficulties if skills[s].in_scope]
    return bool(scoped) and all(
        skill_progress(v, config=config, scale=scale) >= config.mastered_gate for v in scoped
    )


def _unmet_prerequisites(
    candidate: Candidate, skills: Mapping[str, SkillView], config: SelectionConfig
) -> list[str]:
    unmet: list[str] = []
    for skill in candidate.difficulties:
        view = skills.get(skill)
        for prerequisite in view.prerequisites if view else ():
            pre = skills.get(prerequisite)
            if pre is not None and (
                (
                    pre.proficiency < config.prerequisite_gate
                    and pre.uncertainty < config.prerequisite_gate_max_uncertainty
                )
                or (view is not None and _not_yet_taught(view, pre, config))
            ):
                unmet.append(prerequisite)
    return unmet


def aim_rating(view: SkillView, *, config: SelectionConfig) -> float:
    """The rating (Elo points) the selector aims from: the student's rating lowered by
    `uncertainty_margin` times its uncertainty (0-1), so the first items on a skill the
    student has barely practised are easier than the rating alone suggests."""
    return view.rating - config.uncertainty_margin * view.uncertainty


def _gaps(
    candidates: Sequence[Candidate], skills: Mapping[str, SkillView], config: SelectionConfig
) -> np.ndarray:
    return np.array(
        [
            sum(d - aim_rating(skills[s], config=config) for s, d in c.difficulties.items())
            / len(c.difficulties)
            for c in candidates
        ],
        dtype=float,
    )


def skill_progress(view: SkillView, *, config: SelectionConfig, scale: float = 400.0) -> float:
    """How far (0-1) the student has come on a skill, as the weak-skill score reads it.

    The proficiency, raised by `progress_credit` Elo points per unit of ln(1 + successes):
    ``1 / (1 + 10 ** (-(rating + credit * ln(1 + W) - typical) / scale))``, the
    performance-factors form (Pavlik et al. 2009) the rating model already uses with its own
    gain. An Elo rating lags a student who is learning, most on the skill being practised;
    crediting successes ranks a well-practised skill as further along (docs/simulation.md).
    """
    if config.progress_credit == 0.0 or view.successes <= 0:
        return view.proficiency
    p = min(max(view.proficiency, 1e-12), 1.0 - 1e-12)
    shift = config.progress_credit * math.log1p(view.successes) / scale * math.log(10.0)
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + shift)))


def prerequisite_readiness(
    view: SkillView, skills: Mapping[str, SkillView], *, config: SelectionConfig
) -> float:
    """How ready (0-1) the student is to learn a scope skill, as far as the scope teaches its
    prerequisites: ``min(1, W_p / n)`` over its prerequisites p in the scope, W_p the
    successes on p and n `prerequisite_successes` (1 when n is 0, for skills outside the
    scope, and for skills without a prerequisite in the scope).

    Learning builds on prerequisites (MISSION part 6): within a topic the skill that looks
    weakest is often the one built on a skill not practised yet, so it is taught after it.
    """
    needed = config.prerequisite_successes
    if needed <= 0.0 or not view.in_scope:
        return 1.0
    ready = 1.0
    for prerequisite in view.prerequisites:
        pre = skills.get(prerequisite)
        if pre is not None and pre.in_scope:
            ready = min(ready, pre.successes / needed)
    return ready


def _weakness(
    candidate: Candidate, skills: Mapping[str, SkillView], *, config: SelectionConfig, scale: float
) -> float:
    """Mean over the item's skills of how much is left to learn (0-1), times the skill's
    `prerequisite_readiness`: ``clip((m - progress) / r, 0, 1)`` with m
    `weak_skill_mastered` and r `weak_skill_ramp` (m = r = 1: ``1 - progress``; a small r: 1
    for every skill short of m, 0 from m up)."""
    mastered, ramp = config.weak_skill_mastered, config.weak_skill_ramp
    total = 0.0
    for skill in candidate.difficulties:
        view = skills[skill]
        left = (mastered - skill_progress(view, config=config, scale=scale)) / ramp
        left = 0.0 if left < 0.0 else 1.0 if left > 1.0 else left
        total += left * prerequisite_readiness(view, skills, config=config)
    return total / len(candidate.difficulties)


def _mean_over_skills(candidate: Candidate, skills: Mapping[str, SkillView], field: str) -> float:
    values = [getattr(skills[s], field) for s in candidate.difficulties]
    return float(sum(values) / len(values))


def _score(
    candidates: Sequence[Candidate],
    gaps: np.ndarray,
    skills: Mapping[str, SkillView],
    *,
    config: SelectionConfig,
    rng: np.random.Generator,
    scale: float,
) -> list[ScoredCandidate]:
    goal = target_gap(target_success=config.target_success, scale=scale)
    match = np.exp(-0.5 * ((gaps - goal) / config.match_width) ** 2)
    predicted = 1.0 / (1.0 + 10.0 ** np.clip(gaps / scale, -300, 300))
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
    weak = np.array([_weakness(c, skills, config=config, scale=scale) for c in candidates])
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
    return [
        ScoredCandidate(
            item_id=c.item_id,
            score=float(total[i]),
            components={
                "elo_match": float(match[i]),
                "thompson": float(thompson[i]),
                "weak_skill": float(weak[i]),
                "recency": float(recency[i]),
            },
            predicted_success=float(predicted[i]),
            thompson_sample=float(draws[i]),
            difficulty_gap=float(gaps[i]),
            remediation_for=c.remediation_for,
        )
        for i, c in enumerate(candidates)
    ]


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
    if config.mastered_gate < 1.0:
        unfinished = [c for c in open_candidates if not _finished(c, skills, config, scale)]
        open_candidates = unfinished or open_candidates
    gated = len(candidates) - len(open_candidates)
    pool = open_candidates or list(candidates)
    gaps = _gaps(pool, skills, config)
    distance = np.abs(gaps - target_gap(target_success=config.target_success, scale=scale))
    keep = np.flatnonzero(distance <= config.difficulty_window)
    if keep.size == 0:
        keep = np.arange(len(pool))
    # Stable sort keeps the caller's order among equally distant items: deterministic.
    keep = keep[np.argsort(distance[keep], kind="stable")][: config.max_candidates]
    kept = [pool[i] for i in keep]
    scored = _score(kept, gaps[keep], skills, config=config, rng=rng, scale=scale)
    order = sorted(range(len(scored)), key=lambda i: -scored[i].score)
    chosen = scored[order[0]]
    runner_up = scored[order[1]] if len(order) > 1 else None
    return Selection(
        chosen=chosen,
        runner_up=runner_up,
        reasons=_reasons(chosen, runner_up, kept[order[0]], skills, config),
        considered=len(kept),
        gated=gated,
        pruned=len(pool) - len(kept),
    )
