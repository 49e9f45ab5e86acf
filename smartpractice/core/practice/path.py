"""The learning path: which skill to learn next, before which item teaches it.

Mastery learning over the prerequisite graph (Bloom 1968; Corbett and Anderson 1995 for
cognitive tutors; Falmagne and Doignon's knowledge spaces for the "outer fringe"):

* **Mastery decision.** A skill is mastered when the chance that the student's proficiency
  on its typical item is at least `mastery_level` reaches `mastery_enter`; the rating is
  taken as ``Normal(rating, sd^2)``, ``sd`` growing with the rating's uncertainty, so the
  chance is ``Phi((rating - mastery_rating) / sd)``. Or when knowledge tracing over the
  student's recent answers on it says the skill is known with `tracing_mastery` (with at
  least `min_evidence` answers), as cognitive tutors decide: a rating lags behind a student
  who is learning fast, the latest answers do not. A skill once mastered stays so until
  both chances fall below `mastery_exit` (hysteresis: one slip does not undo it).
* **Frontier.** Skills not mastered whose prerequisites are not clearly weak (real evidence,
  proficiency below `prerequisite_gate`); a skill behind a clearly weak prerequisite is
  locked until it recovers. Locking on anything less than clear evidence was measured to
  cost questions: a rating lags a learning student, so a prerequisite already learnt
  would hold its successors back. A prerequisite outside the scope becomes a remediation
  step when it is clearly weak, or when the skill built on it is clearly weak and the
  prerequisite is untested (checked once, and on while its answers keep it below the gate:
  it may be the cause): it is taught, never a reason to hide the items that teach it.
* **Diagnostic.** A skill without answers of its own whose estimate is undecided is probed
  once, the highest in the graph first: a mastered skill counts as evidence that its
  prerequisites are mastered (the surmise relation of knowledge spaces).
* **Review.** A mastered skill whose retention (halving every `review_half_life_days`,
  longer with more successes) has brought the chance below `mastery_enter` is due again.
* **Focus.** The actionable step whose skill is least likely mastered (ties: textbook
  order): effort goes where mastery is furthest, never to skills already known.

Pure: plain data in, plain data out; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist

from smartpractice.core.config import EloConfig, PathConfig
from smartpractice.core.practice.mastery import (
    knowledge_tracing,
    mastery_probability,
    mastery_rating,
    retention,
)
from smartpractice.core.rating.elo import expected_success, practice_gain
from smartpractice.core.types import StudentRatings

__all__ = [
    "STATUSES",
    "LearningPath",
    "PathSkill",
    "PathStep",
    "estimate_offsets",
    "estimated_ratings",
    "plan_path",
    "rating_sd",
    "tracking_rating",
]

_NORMAL = NormalDist()  # for the expected questions' margin

STATUSES = ("mastered", "review_due", "frontier", "estimated", "locked")
"""Path statuses, in display order."""


@dataclass(frozen=True, slots=True)
class PathSkill:
    """What the path knows about the student on one skill.

    Attributes:
        skill_id: The skill.
        rating: The student's rating on it (Elo points; the hierarchical estimate when the
            skill has too few answers of its own).
        uncertainty: 0-1 (1 = no evidence).
        typical_difficulty: Mean difficulty of the skill's items (Elo points).
        attempts: The student's own answers on the skill (>= 0).
        correct: Of those, the successes.
        days_since: Days since the student last practised it; None if never.
        prerequisites: Skills this one builds on.
        in_scope: Whether the skill is one the scope teaches (False: a prerequisite
            outside it).
        order: Textbook position (lower first) for ties.
        recent_performances: The student's performances (each 0-1, oldest first) in their
            recent answers that tested the skill.
        recent_surprise: Sum over those answers of performance minus the model's
            prediction before it (each -1 to 1).
        recent_information: Sum over them of ``p (1 - p)``, p the prediction (>= 0).
    """

    skill_id: str
    rating: float
    uncertainty: float
    typical_difficulty: float
    attempts: int = 0
    correct: int = 0
    days_since: float | None = None
    prerequisites: tuple[str, ...] = ()
    in_scope: bool = True
    order: int = 0
    recent_performances: tuple[float, ...] = ()
    recent_surprise: float = 0.0
    recent_information: float = 0.0


@dataclass(frozen=True, slots=True)
class PathStep:
    """One skill on the path, its status and the evidence behind it.

    Attributes:
        skill_id: The skill.
        status: `mastered`, `review_due`, `frontier`, `estimated` or `locked`.
        evidence: `assessed` (at least `min_evidence` answers of its own) or `estimated`.
        mastery_probability: Chance (0-1) that proficiency is at least the mastery level.
        proficiency: Predicted success (0-1) on the skill's typical item.
        reason: One sentence saying why the skill has this status.
        remediation_for: In-scope skills this out-of-scope prerequisite holds back.
        expected_questions: Estimated questions (>= 0) still needed to master it.
        need: How much is still to learn (0-1): 0 once mastered, else 1 minus the larger of
            the mastery chance and the chance the skill is known after the recent answers.
    """

    skill_id: str
    status: str
    evidence: str
    mastery_probability: float
    proficiency: float
    reason: str
    remediation_for: tuple[str, ...] = ()
    expected_questions: float = 0.0
    need: float = 1.0


@dataclass(frozen=True, slots=True)
class LearningPath:
    """The student's path through a scope.

    Attributes:
        steps: Every scope skill (and remediation prerequisite) in path order: what to
            practise first comes first.
        focus: The skill to practise now; None when the scope is empty.
        phase: Why the focus was chosen: `diagnostic`, `remediation`, `review`,
            `frontier` or `consolidation` (everything mastered: the least secure skill).
        expected_questions: Estimated questions (>= 0) to master the whole scope.
        mastered: Skills mastered now (what the next decision's hysteresis starts from).
        practise: The skills open for practice now, the focus first: remediation, review,
            diagnostic and frontier steps (every skill once all are mastered).
    """

    steps: tuple[PathStep, ...]
    focus: str | None
    phase: str
    expected_questions: float
    mastered: frozenset[str]
    practise: tuple[str, ...] = ()
    by_skill: Mapping[str, PathStep] = field(default_factory=dict, compare=False, repr=False)
    """The steps by skill id (built with the path)."""

    def step(self, skill_id: str) -> PathStep | None:
        """The step of one skill, if it is on the path."""
        return self.by_skill.get(skill_id)


def _relation(skill_id: str, other: str, prerequisites: Mapping[str, Sequence[str]]) -> int:
    """How closely two skills are related: 4 prerequisite or dependent, 3 same topic, 2 same
    chapter, 1 same subject (from the ids' ``subject:chapter:topic:skill`` segments), 0 none."""
    if other in prerequisites.get(skill_id, ()) or skill_id in prerequisites.get(other, ()):
        return 4
    mine, theirs = skill_id.split(":"), other.split(":")
    shared = 0
    for a, b in zip(mine[:-1], theirs[:-1], strict=False):
        if a != b:
            break
        shared += 1
    return min(shared, 3)


def estimate_offsets(
    skill_ids: Sequence[str],
    *,
    offsets: Mapping[str, tuple[float, int]],
    prerequisites: Mapping[str, Sequence[str]],
    config: PathConfig,
) -> dict[str, tuple[float, float]]:
    """Hierarchical estimate of the skill offsets (Elo points above the global ability) of
    skills with fewer than `min_evidence` answers of their own.

    The skill's own Elo offset starts from the ability (offset 0) and moves with its own
    answers; the hierarchy replaces that starting point by what related evidence says:
    ``own + (1 - n_own / min_evidence) * sum_r w_r m_r offset_r / (prior + sum_r w_r m_r)``
    over the student's practised related skills r (prerequisites and dependents, then the
    same topic, chapter and subject, weights `relation_weights`), ``m_r`` their answers
    capped at `evidence_cap`. With no related evidence the estimate is the Elo offset; at
    `min_evidence` own answers the hierarchy has handed over to it entirely.

    Args:
        skill_ids: Skills to estimate.
        offsets: Per practised skill, (offset including practice gain, own answers).
        prerequisites: Every skill's prerequisites.
        config: Path constants.

    Returns:
        Per skill with too few answers, (estimated offset, related evidence weight >= 0).
    """
    weights = dict(zip((4, 3, 2, 1), config.relation_weights, strict=True))
    estimates: dict[str, tuple[float, float]] = {}
    for skill_id in skill_ids:
        own_value, own_count = offsets.get(skill_id, (0.0, 0))
        if own_count >= config.min_evidence:
            continue
        total = 0.0
        related = 0.0
        for other, (value, count) in offsets.items():
            if other == skill_id or count <= 0:
                continue
            relation = _relation(skill_id, other, prerequisites)
            if relation == 0:
                continue
            weight = weights[relation] * min(count, config.evidence_cap)
            total += weight * value
            related += weight
        handover = 1.0 - own_count / config.min_evidence
        prior_mean = total / (related + config.estimate_prior)
        estimates[skill_id] = (own_value + handover * prior_mean, related)
    return estimates


def estimated_ratings(
    student: StudentRatings,
    skill_ids: Sequence[str],
    *,
    prerequisites: Mapping[str, Sequence[str]],
    elo: EloConfig,
    path: PathConfig,
) -> dict[str, tuple[float, float]]:
    """Per skill with fewer than `min_evidence` answers of its own, the student's
    hierarchical rating (Elo points, within the rating bounds) and its uncertainty (0-1):
    the global ability plus `estimate_offsets`; the uncertainty shrinks with the related
    evidence as ``sqrt(prior / (prior + weight))``."""
    estimates = estimate_offsets(
        skill_ids,
        offsets={
            s: (offset.value + practice_gain(offset, config=elo), offset.attempts)
            for s, offset in student.offsets.items()
        },
        prerequisites=prerequisites,
        config=path,
    )
    low, high = elo.rating_bounds
    prior = path.estimate_prior
    return {
        skill_id: (
            min(max(student.ability.value + offset, low), high),
            math.sqrt(prior / (prior + related)),
        )
        for skill_id, (offset, related) in estimates.items()
    }


def rating_sd(uncertainty: float, *, config: PathConfig) -> float:
    """Spread (Elo points, standard deviation) of the student's true rating around a rating
    of this uncertainty (0-1): ``max(rating_sd_floor, rating_sd_max * uncertainty)``. The
    mastery decision and the exam readiness forecast both take the rating as
    ``Normal(rating, sd^2)`` with it."""
    return max(config.rating_sd_floor, config.rating_sd_max * uncertainty)


def _depths(skills: Mapping[str, PathSkill]) -> dict[str, int]:
    """Per skill, how many in-scope skills lie below it (its in-scope ancestors)."""
    memo: dict[str, frozenset[str]] = {}

    def below(skill_id: str, trail: frozenset[str]) -> frozenset[str]:
        if skill_id in memo:
            return memo[skill_id]
        found: set[str] = set()
        for p in skills[skill_id].prerequisites:
            if p in skills and skills[p].in_scope and p not in trail:
                found |= {p} | below(p, trail | {skill_id})
        memo[skill_id] = frozenset(found)
        return memo[skill_id]

    return {s: len(below(s, frozenset())) for s in skills if skills[s].in_scope}


@dataclass(frozen=True, slots=True)
class _Judged:
    skill: PathSkill
    probability: float
    held: float
    proficiency: float
    mastered: bool
    known: float


def tracking_rating(skill: PathSkill, *, sd: float, scale: float = 400.0) -> float:
    """The rating (Elo points) moved towards what the student's recent answers on the skill
    say: a Laplace step of the log-likelihood of those answers, with the rating as a
    ``Normal(rating, sd^2)`` prior, ``rating + c * surprise / (information + (c / sd)^2)``,
    ``c = scale / ln 10``. An Elo rating trails a student who is learning (each step moves
    it only part of the way), so the student's latest answers keep beating its predictions;
    this reads that lag off them."""
    c = scale / math.log(10.0)
    return skill.rating + c * skill.recent_surprise / (skill.recent_information + (c / sd) ** 2)


def _judge(skill: PathSkill, was_mastered: bool, config: PathConfig, scale: float) -> _Judged:
    probability = mastery_probability(
        rating=tracking_rating(skill, sd=rating_sd(skill.uncertainty, config=config), scale=scale),
        sd=rating_sd(skill.uncertainty, config=config),
        typical_difficulty=skill.typical_difficulty,
        level=config.mastery_level,
        scale=scale,
    )
    held = probability
    if was_mastered or probability >= config.mastery_enter:
        held *= retention(
            days_since=skill.days_since,
            correct=skill.correct,
            half_life_days=config.review_half_life_days,
        )
    threshold = config.mastery_exit if was_mastered else config.mastery_enter
    proficiency = expected_success(
        rating=skill.rating, difficulty=skill.typical_difficulty, scale=scale
    )
    # Without recent answers on the skill, tracing says nothing (not its prior).
    known = (
        knowledge_tracing(
            skill.recent_performances,
            initial=config.tracing_initial,
            learn=config.tracing_learn,
            guess=config.tracing_guess,
            slip=config.tracing_slip,
        )
        if skill.recent_performances
        else 0.0
    )
    shown = skill.attempts >= config.min_evidence and known >= (
        config.mastery_exit if was_mastered else config.tracing_mastery
    )
    return _Judged(skill, probability, held, proficiency, held >= threshold or shown, known)


def _questions(judged: _Judged, config: PathConfig, scale: float) -> float:
    if judged.mastered:
        return 0.0
    skill = judged.skill
    goal = (
        mastery_rating(
            typical_difficulty=skill.typical_difficulty, level=config.mastery_level, scale=scale
        )
        + _NORMAL.inv_cdf(config.mastery_enter) * config.rating_sd_floor
    )
    shortfall = max(0.0, goal - skill.rating)
    return max(1.0, shortfall / config.rating_gain_per_question)


def plan_path(
    skills: Sequence[PathSkill],
    *,
    previously_mastered: frozenset[str] = frozenset(),
    config: PathConfig,
    scale: float = 400.0,
) -> LearningPath:
    """Decide every skill's status and the skill to practise now.

    Args:
        skills: The scope's skills and their prerequisites outside the scope.
        previously_mastered: Skills mastered at the previous decision (hysteresis).
        config: Path constants.
        scale: Elo scale (Elo points for 10:1 odds).
    """
    by_id = {s.skill_id: s for s in skills}
    judged = {
        s.skill_id: _judge(s, s.skill_id in previously_mastered, config, scale) for s in skills
    }
    mastered = _surmise(judged)
    # Clearly weak: real evidence (`min_evidence` answers) and proficiency below the gate.
    weak = frozenset(
        k
        for k, j in judged.items()
        if j.skill.attempts >= config.min_evidence and j.proficiency < config.prerequisite_gate
    )
    holding = _holding(judged, mastered, weak, config)
    remediation = _remediation(judged, weak, config)
    steps = [
        _step(j, mastered, holding, remediation, by_id, config, scale)
        for j in judged.values()
        if j.skill.in_scope or j.skill.skill_id in remediation
    ]
    depth = _depths(by_id)
    focus, phase = _focus(steps, judged, depth)
    steps.sort(key=lambda step: _display_order(step, focus, depth, by_id))
    return LearningPath(
        steps=tuple(steps),
        focus=focus,
        phase=phase,
        expected_questions=sum(s.expected_questions for s in steps),
        mastered=frozenset(mastered),
        practise=_open_skills(steps, focus, config),
        by_skill={s.skill_id: s for s in steps},
    )


def _surmise(judged: dict[str, _Judged]) -> set[str]:
    """The mastered skills, adding each mastered skill's unpractised prerequisites (the
    surmise relation of knowledge spaces); updates `judged` for those."""
    mastered = {k for k, j in judged.items() if j.mastered}
    for skill_id in list(mastered):
        for p in judged[skill_id].skill.prerequisites:
            if p in judged and judged[p].skill.attempts == 0 and p not in mastered:
                mastered.add(p)
                judged[p] = replace(judged[p], mastered=True)
    return mastered


def _holding(
    judged: Mapping[str, _Judged], mastered: set[str], weak: frozenset[str], config: PathConfig
) -> frozenset[str]:
    """The skills that hold back what is built on them: clearly weak ones; in the scope,
    ones not yet likely enough at the mastery level (unless unpractised and undecided: the
    diagnostic probes above them) and unmastered prerequisites of a clearly failing skill
    (the failures may be theirs); and, down the chain, every skill held back itself."""
    holding = set(weak) | {
        k
        for k, j in judged.items()
        if j.skill.in_scope
        and k not in mastered
        and max(j.held, j.known) < config.unlock_probability
        and not (j.skill.attempts == 0 and j.held > config.diagnostic_low)
    }
    for k in weak:
        if judged[k].skill.in_scope:
            holding |= {
                p
                for p in judged[k].skill.prerequisites
                if p in judged and judged[p].skill.in_scope and p not in mastered
            }
    changed = True
    while changed:
        changed = False
        for skill_id, j in judged.items():
            if skill_id in holding or skill_id in mastered or not j.skill.in_scope:
                continue
            if any(p in holding and p not in mastered for p in j.skill.prerequisites):
                holding.add(skill_id)
                changed = True
    return frozenset(holding)


def _remediation(
    judged: Mapping[str, _Judged], weak: frozenset[str], config: PathConfig
) -> dict[str, list[str]]:
    """Per prerequisite outside the scope to teach, the in-scope skills it holds back."""
    remediation: dict[str, list[str]] = {}
    for skill_id, j in judged.items():
        if not j.skill.in_scope or j.mastered:
            continue
        for p in j.skill.prerequisites:
            pre = judged.get(p)
            if pre is None or pre.skill.in_scope or pre.mastered:
                continue
            # A clearly weak prerequisite is taught. One not yet assessed is checked when the
            # skill built on it is clearly weak (it may be why): once, and on while its
            # answers keep it below the gate.
            doubtful = pre.skill.attempts == 0 or (
                pre.skill.attempts < config.min_evidence
                and pre.proficiency < config.prerequisite_gate
            )
            if p in weak or (skill_id in weak and doubtful):
                remediation.setdefault(p, []).append(skill_id)
    return remediation


_DISPLAY_GROUP = {"remediation": 0, "review_due": 1, "estimated": 2, "frontier": 3, "locked": 4}


def _display_order(
    step: PathStep, focus: str | None, depth: Mapping[str, int], by_id: Mapping[str, PathSkill]
) -> tuple[int, int, float, int]:
    """Path order: the focus, then remediation, review, diagnostic (highest first),
    frontier, locked and mastered steps, the least likely mastered first."""
    if step.skill_id == focus:
        return (-1, 0, 0.0, 0)
    if step.status == "mastered":
        group = 5
    else:
        group = _DISPLAY_GROUP["remediation" if step.remediation_for else step.status]
    highest = -depth.get(step.skill_id, 0) if group == _DISPLAY_GROUP["estimated"] else 0
    return (group, highest, step.mastery_probability, by_id[step.skill_id].order)


def _open_skills(
    steps: Sequence[PathStep], focus: str | None, config: PathConfig
) -> tuple[str, ...]:
    """The `practice_skills` skills open for practice: the focus, then the most needed
    remediation (or else review, diagnostic and frontier) steps; every skill when none."""
    remedial = [s.skill_id for s in steps if s.remediation_for]
    open_steps = remedial or [
        s.skill_id
        for s in sorted(steps, key=lambda s: -s.need)
        if s.status in ("review_due", "estimated", "frontier")
    ]
    if focus in open_steps:
        open_steps = [focus] + [s for s in open_steps if s != focus]
    return tuple(open_steps[: config.practice_skills] or [s.skill_id for s in steps])


def _step(
    j: _Judged,
    mastered: set[str],
    holding: frozenset[str],
    remediation: Mapping[str, list[str]],
    by_id: Mapping[str, PathSkill],
    config: PathConfig,
    scale: float,
) -> PathStep:
    skill = j.skill
    evidence = "assessed" if skill.attempts >= config.min_evidence else "estimated"
    unmet = [p for p in skill.prerequisites if p in holding and p not in mastered]
    if skill.skill_id in mastered:
        status, reason = "mastered", _mastered_reason(j, config)
    elif j.probability >= config.mastery_enter:
        days = skill.days_since or 0.0
        status, reason = "review_due", f"review: last practised {days:.0f} days ago"
    elif skill.skill_id in remediation:
        status = "frontier"
        reason = f"remediation: a weak prerequisite of {', '.join(remediation[skill.skill_id])}"
    elif unmet:
        status, reason = "locked", f"locked: first master {', '.join(unmet)}"
    elif skill.attempts == 0 and config.diagnostic_low < j.probability < config.mastery_enter:
        status = "estimated"
        reason = "diagnostic: no answers of its own yet, and the estimate is undecided"
    else:
        done = [p for p in skill.prerequisites if p in mastered]
        if done:
            reason = f"frontier: its prerequisites {', '.join(done)} are mastered"
        elif skill.prerequisites:
            reason = f"frontier: nothing holds it back ({', '.join(skill.prerequisites)} not weak)"
        else:
            reason = "frontier: it builds on no other skill"
        status = "frontier"
    return PathStep(
        skill_id=skill.skill_id,
        status=status,
        evidence=evidence,
        mastery_probability=j.held,
        proficiency=j.proficiency,
        reason=reason,
        remediation_for=tuple(remediation.get(skill.skill_id, ())),
        expected_questions=_questions(j, config, scale) if status != "review_due" else 1.0,
        need=0.0 if status == "mastered" else 1.0 - max(j.held, j.known),
    )


def _mastered_reason(j: _Judged, config: PathConfig) -> str:
    if j.skill.attempts == 0:
        return "mastered: a skill that builds on it is mastered"
    return (
        f"mastered: {j.held:.0%} sure that proficiency is at least "
        f"{config.mastery_level:.0%} ({j.skill.correct} of {j.skill.attempts} right)"
    )


def _focus(
    steps: Sequence[PathStep], judged: Mapping[str, _Judged], depth: Mapping[str, int]
) -> tuple[str | None, str]:
    """The skill to practise now and the phase that chose it."""
    if not steps:
        return None, "consolidation"
    order = {s.skill_id: judged[s.skill_id].skill.order for s in steps}
    remedial = [s for s in steps if s.remediation_for]
    if remedial:
        best = min(remedial, key=lambda s: (-s.need, order[s.skill_id]))
        return best.skill_id, "remediation"
    diagnostic = [s for s in steps if s.status == "estimated"]
    if diagnostic:
        # The highest skill first: its success says most about the skills below it.
        best = min(diagnostic, key=lambda s: (-depth.get(s.skill_id, 0), order[s.skill_id]))
        return best.skill_id, "diagnostic"
    open_steps = [s for s in steps if s.status in ("frontier", "review_due")]
    if open_steps:
        best = min(open_steps, key=lambda s: (-s.need, order[s.skill_id]))
        return best.skill_id, "review" if best.status == "review_due" else "frontier"
    locked = [s for s in steps if s.status == "locked"]
    if locked:  # a prerequisite cycle inside the scope: start anywhere
        best = min(locked, key=lambda s: order[s.skill_id])
        return best.skill_id, "frontier"
    best = min(steps, key=lambda s: (s.mastery_probability, order[s.skill_id]))
    return best.skill_id, "consolidation"
