"""Every tunable constant of the rating, evidence and selection math, with its default.

The service's `Settings` embeds one `ModelConfig`; nothing in the core reads a constant from
anywhere else. Units: Elo points for ratings and difficulties, probabilities in [0, 1],
days for time gaps. Defaults are documented in docs/model.md with the evidence behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "EloConfig",
    "EvidenceConfig",
    "ModelConfig",
    "ProfileConfig",
    "SelectionConfig",
    "UncertaintySchedule",
]


@dataclass(frozen=True, slots=True)
class UncertaintySchedule:
    """How the step size K (Elo points) follows the evidence count and the time gap.

    Uncertainty is ``u = min(1, 1 / (1 + decay_per_attempt * n) + growth_per_day * days)``
    (0-1; Pelanek 2016's ``a / (1 + b n)`` step plus a Glicko-like growth with time away),
    and ``K = k_min + (k_max - k_min) * u``.
    """

    k_max: float = 160.0
    """Step (Elo points per unit of surprise) with no evidence at all."""
    k_min: float = 12.0
    """Step that remains after a great deal of evidence."""
    decay_per_attempt: float = 0.08
    """How fast uncertainty falls with each attempt (per attempt)."""
    growth_per_day: float = 0.004
    """Uncertainty regained per day since the last practice (students forget; items drift)."""


@dataclass(frozen=True, slots=True)
class EloConfig:
    """Multi-skill Elo: a student's rating on skill s is ``ability + offset_s``."""

    initial_student_rating: float = 1200.0
    """Starting global ability of a new student (Elo points)."""
    label_difficulties: tuple[tuple[str, float], ...] = (
        ("Easy", 1000.0),
        ("Medium", 1200.0),
        ("Hard", 1400.0),
    )
    """Initial item difficulty per label (Elo points)."""
    unlabelled_difficulty: float = 1200.0
    """Initial difficulty of an item with neither a label nor an explicit value."""
    scale: float = 400.0
    """Elo scale: a gap of `scale` points means 10:1 odds."""
    global_share: float = 0.15
    """Share (0-1) of each update that goes to the student's global ability rather than to
    the skill offset. Kept small so one failing skill barely moves unrelated skills."""
    student: UncertaintySchedule = field(default_factory=UncertaintySchedule)
    """Step schedule for student ratings (per skill offset and global ability)."""
    item: UncertaintySchedule = field(
        default_factory=lambda: UncertaintySchedule(
            k_max=120.0, k_min=8.0, decay_per_attempt=0.05, growth_per_day=0.0
        )
    )
    """Step schedule for item difficulties (items do not forget, so no growth with time)."""
    rating_bounds: tuple[float, float] = (0.0, 3000.0)
    """Ratings and difficulties are clipped to this range (Elo points) so they stay finite."""

    def label_difficulty(self, label: str | None) -> float:
        """Initial difficulty (Elo points) for a label such as ``"Medium"``."""
        for name, value in self.label_difficulties:
            if label is not None and name.lower() == label.lower():
                return value
        return self.unlabelled_difficulty


@dataclass(frozen=True, slots=True)
class EvidenceConfig:
    """Effects that turn a graded attempt into a performance (0-1) per skill.

    The public ASSISTments data carries only correctness, so these effects are conservative
    defaults, documented in docs/model.md, to be re-fitted on the customer's own event log.
    """

    attempt_discount: float = 0.85
    """Performance multiplier per extra attempt beyond the first (0-1)."""
    hint_discount: float = 0.85
    """Performance multiplier per hint used (0-1)."""
    solution_viewed_cap: float = 0.2
    """Highest performance (0-1) credited once the worked solution was viewed."""
    slow_ratio: float = 2.0
    """Time spent beyond this multiple of the expected time counts as slow."""
    slow_discount_per_doubling: float = 0.1
    """Performance lost (0-1) per doubling of time beyond `slow_ratio` x expected time."""
    slow_floor: float = 0.7
    """Slowness alone never multiplies performance by less than this (0-1)."""
    confidence_gain: float = 0.25
    """Evidence weight is ``1 + gain * (confidence - 3) / 2``: a confident answer (5) weighs
    1.25, an unsure one (1) 0.75, so confidently wrong answers move ratings more."""
    struggle_penalty: float = 0.6
    """Share of a skill's performance removed at struggle 1.0 (from tutor transcripts)."""


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """Smart Practice: Thompson sampling on an Elo-informed Beta prior, plus match terms."""

    weight_elo_match: float = 0.4
    weight_thompson: float = 0.3
    weight_weak_skill: float = 0.2
    weight_recency: float = 0.1
    target_success: float = 0.36
    """Predicted success (0-1) the selector aims at. 0.36 is the customer's challenge zone:
    difficulty about 100 Elo points above the student."""
    match_width: float = 120.0
    """Width (Elo points) of the Gaussian closeness-to-target score."""
    difficulty_window: float = 350.0
    """Candidates farther than this (Elo points) from the target difficulty are pruned."""
    max_candidates: int = 200
    """At most this many candidates are scored (the closest to the target first)."""
    prior_strength_min: float = 2.0
    """Beta prior pseudo-count when the rating is completely uncertain."""
    prior_strength_max: float = 30.0
    """Beta prior pseudo-count when the rating is fully settled."""
    recency_half_life_hours: float = 24.0
    """An item seen this many hours ago carries half the recency penalty."""
    prerequisite_gate: float = 0.4
    """A prerequisite skill is clearly unmet when its proficiency (0-1) is below this ..."""
    prerequisite_gate_max_uncertainty: float = 0.8
    """... and its uncertainty (0-1) is below this (we have real evidence it is weak)."""
    prerequisite_mastered: float = 0.7
    """A prerequisite with proficiency (0-1) at or above this needs no remediation."""
    remediation_candidates: int = 50
    """Items of a prerequisite added to the candidates when a scope skill is clearly weak
    (proficiency below `prerequisite_gate` with real evidence) or the prerequisite is
    clearly unmet."""
    recent_window: int = 20
    """Answered items used for "easier/harder than your recent items" in explanations."""


@dataclass(frozen=True, slots=True)
class ProfileConfig:
    """How the knowledge profile summarises a topic."""

    trend_window: int = 10
    """Recent attempts per topic used for `confidence_trend`."""
    trend_threshold: float = 0.08
    """Mean of (performance - predicted) beyond +/- this (0-1) is improving / declining."""


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """The one object holding every tunable constant of the math core."""

    elo: EloConfig = field(default_factory=EloConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    profile: ProfileConfig = field(default_factory=ProfileConfig)
