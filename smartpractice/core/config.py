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
    "PathConfig",
    "ProfileConfig",
    "SelectionConfig",
    "TranscriptConfig",
    "UncertaintySchedule",
]


@dataclass(frozen=True, slots=True)
class UncertaintySchedule:
    """How the step size K (Elo points) follows the evidence count and the time gap.

    Uncertainty is ``u = min(1, 1 / (1 + decay_per_attempt * n) + growth_per_day * days)``
    (0-1; Pelanek 2016's ``a / (1 + b n)`` step plus a Glicko-like growth with time away),
    and ``K = k_min + (k_max - k_min) * u``.
    """

    k_max: float = 110.0
    """Step (Elo points per unit of surprise) with no evidence at all."""
    k_min: float = 60.0
    """Step that remains after a great deal of evidence. For students it stays high: their
    skills keep changing as they learn (docs/evaluation.md, "Model changes")."""
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
    global_share: float = 0.17
    """Share (0-1) of each update that goes to the student's global ability rather than to
    the skill offset (after the first attempt at the skill). Kept low so that failing one
    skill 15 times moves an unrelated skill by at most a fifth as much (a product
    requirement; with `first_attempt_share` it comes to about 0.19); the evaluation would
    prefer ~0.5."""
    first_attempt_share: float = 0.3
    """Share (0-1) of the update that goes to the global ability on a student's first
    attempt at a skill: a first attempt says more about the student in general than the
    later ones, which say something about that skill."""
    student: UncertaintySchedule = field(
        default_factory=lambda: UncertaintySchedule(k_max=85.0, k_min=80.0)
    )
    """Step schedule for student ratings (per skill offset and global ability)."""
    item: UncertaintySchedule = field(
        default_factory=lambda: UncertaintySchedule(
            k_max=150.0, k_min=0.5, decay_per_attempt=0.125, growth_per_day=0.0
        )
    )
    """Step schedule for item difficulties: fast at first, then nearly frozen (items do not
    learn or forget, so no growth with time)."""
    success_gain: float = 60.0
    """Elo points per unit of ln(1 + successes) on a skill added to the student's rating on
    it (a performance-factors term on the stored counts; docs/evaluation.md, "Second round":
    70 predicts a little better on assistments09, 60 on assistments17)."""
    failure_gain: float = 0.0
    """Elo points per unit of ln(1 + failures) on a skill added to the rating on it. A
    positive value (practice effect) helps on assistments09 but lets 15 failures on one skill
    shrink its drop below five times an unrelated skill's move (the product rule), and a
    negative one predicts worse, so it is off."""
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
    struggle_penalty: float = 1.0
    """Share of a skill's performance removed per unit of tutor-chat struggle (0-1): with
    1.0, a student the chat shows stuck on a step (struggle 0.8) keeps a fifth of that
    skill's credit, so the skill's rating falls even on a well-graded attempt."""


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """Smart Practice: Thompson sampling on an Elo-informed Beta prior, plus match terms.

    Defaults tuned with the simulator (evidence in docs/simulation.md): only the
    weights' ratios matter, the score is their weighted sum.
    """

    weight_elo_match: float = 0.2
    weight_thompson: float = 0.1
    weight_weak_skill: float = 0.2
    weight_recency: float = 0.1
    target_success: float = 0.65
    """Predicted success (0-1) the selector aims at: difficulty about 108 Elo points below
    the student. Best of 0.36-0.8 in simulation whether learners learn most at a 0.5, 0.7 or
    0.85 chance; the customer's challenge zone (0.36, 100 points above) was the worst."""
    match_width: float = 300.0
    """Width (Elo points) of the Gaussian closeness-to-target score: wide, so the match
    term ranks items without pinning every pick on the one closest item."""
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
    prerequisite_mastered: float = 0.5
    """A prerequisite with proficiency (0-1) at or above this needs no remediation (0.5:
    fewer questions to mastery than 0.7 in simulation, docs/simulation.md)."""
    remediation_candidates: int = 50
    """Items of a prerequisite added to the candidates when a scope skill is clearly weak
    (proficiency below `prerequisite_gate` with real evidence) or the prerequisite is
    clearly unmet."""
    recent_window: int = 20
    """Answered items used for "easier/harder than your recent items" in explanations."""
    recovery_streak: int = 2
    """After this many wrong answers in a row ..."""
    recovery_target: float = 0.85
    """... the selector aims at this predicted success (0-1) instead of `target_success`
    until the next right answer: a third failure in a row is a frustration."""
    repeat_window: int = 5
    """An item answered within the student's last this many answers is not served again
    while the chosen skill has any other item (the answer is still remembered)."""


@dataclass(frozen=True, slots=True)
class PathConfig:
    """The learning path: mastery decision, frontier, diagnostic and review
    (core/path.py). Defaults chosen with the simulator over every learner family
    (docs/simulation.md)."""

    mastery_level: float = 0.8
    """A skill is mastered when proficiency (predicted success 0-1 on its typical item)
    is at least this ..."""
    mastery_enter: float = 0.9
    """... with at least this chance (0-1) ..."""
    mastery_exit: float = 0.5
    """... and stays mastered until that chance falls below this (0-1; hysteresis)."""
    practice_skills: int = 1
    """Skills open for practice at once: the focus, then the next most needed; the items
    of any of them compete in the item score."""
    tracing_initial: float = 0.3
    """Knowledge tracing over the student's recent answers on a skill: p(known) (0-1)
    before the first of them ..."""
    tracing_learn: float = 0.2
    """... the chance (0-1) of learning the skill at each answer ..."""
    tracing_guess: float = 0.2
    """... of a right answer without the skill ..."""
    tracing_slip: float = 0.1
    """... and of a wrong one with it (round values of the range cognitive-tutor fits
    report, Corbett and Anderson 1995) ..."""
    tracing_mastery: float = 0.95
    """... and the p(known) (0-1) at which the answers show mastery (the cognitive tutors'
    threshold)."""
    unlock_probability: float = 0.5
    """An in-scope prerequisite lets the skills built on it onto the frontier once the
    chance (0-1) that it is at the mastery level, by its rating or its recent answers,
    reaches this ..."""
    rating_sd_max: float = 200.0
    """Spread (Elo points, standard deviation) of a rating with no evidence at all; it
    shrinks with the rating's uncertainty ..."""
    rating_sd_floor: float = 50.0
    """... down to this (Elo points): an Elo rating keeps moving with every answer."""
    min_evidence: int = 3
    """Answers of its own after which a skill is `assessed`; below, it is `estimated` from
    the student's evidence on related skills."""
    relation_weights: tuple[float, float, float, float] = (0.5, 1.0, 0.5, 0.25)
    """Weight of one answer on a related skill in the hierarchical estimate: prerequisite
    or dependent, same topic, same chapter, same subject (the skill id's segments)."""
    evidence_cap: int = 10
    """Answers per related skill counted at most in the hierarchical estimate."""
    estimate_prior: float = 3.0
    """Pseudo-answers pulling the hierarchical estimate to the student's global ability."""
    prerequisite_gate: float = 0.4
    """A prerequisite with real evidence (`min_evidence` answers) and proficiency (0-1)
    below this is clearly weak: the skills built on it are locked, and outside the scope
    it is taught first (remediation)."""
    diagnostic_low: float = 0.2
    """An unpractised skill whose mastery chance (0-1) is between this and `mastery_enter`
    is undecided: probed once by the diagnostic."""
    review_half_life_days: float = 30.0
    """Days after which half of a mastered skill's hold is gone without practice (longer
    with every success); once the mastery chance decays below `mastery_enter` the skill
    is due for review."""
    rating_gain_per_question: float = 25.0
    """Elo points a practice question adds on average, for the expected number of
    questions to mastery shown with the path."""


@dataclass(frozen=True, slots=True)
class ProfileConfig:
    """How the knowledge profile summarises a topic."""

    trend_window: int = 10
    """Recent attempts per topic used for `confidence_trend`."""
    trend_threshold: float = 0.08
    """Mean of (performance - predicted) beyond +/- this (0-1) is improving / declining."""


@dataclass(frozen=True, slots=True)
class TranscriptConfig:
    """Weights and thresholds of the AI-tutor transcript analyzer (core/transcripts.py).

    Similarities are in [-1, 1] (cosine of the similarity backend), signal weights and
    scores in [0, 1]. Defaults were tuned on the development problems of the MathDial /
    StepVerify split only; docs/transcripts.md reports them on the other problems.
    """

    number_weight: float = 0.5
    """Share (0-1) of number overlap (vs. the backend's text similarity) when deciding
    whether two student statements are the same solution step, or what a tutor refers to."""
    same_step_similarity: float = 0.55
    """A later student statement at least this similar (combined 0-1 score) to an earlier
    step is another attempt at that step; otherwise it opens a new step."""
    target_temperature: float = 0.1
    """Softmax temperature over steps when sharing a tutor message's feedback between the
    steps it may refer to (lower = sharper)."""
    weight_corrected: float = 0.55
    """Doubt (0-1) a step gains when the tutor's next message corrects it (negative
    feedback aimed at it)."""
    weight_probed: float = 0.3
    """Doubt a step gains when the tutor's next message neither corrects nor endorses it
    (a scaffolding question usually means something is off)."""
    feedback_decay: float = 0.7
    """Each later tutor reaction counts this much (0-1) of the one before: the first reaction
    to the student's solution says most about where it went wrong."""
    weight_disputed: float = 0.35
    """Doubt gained when the tutor quotes the step's result in a corrective sentence."""
    weight_abandoned: float = 0.3
    """Doubt gained when the step's derived result never comes back later in the dialogue
    (neither restated by the student nor endorsed by the tutor)."""
    weight_miscalculated: float = 0.8
    """Doubt a step gains when the student writes a computation ``a op b = r`` whose result
    is arithmetically wrong."""
    calculation_tolerance: float = 0.01
    """A written result counts as miscalculated when it is off by more than this share
    (0-1) of the true value (and by more than 0.01), so rounded results pass."""
    weight_off_solution: float = 0.4
    """Doubt a step gains when it derives a number (one the problem does not give) that the
    item's worked solution never reaches; only when the caller passes the worked solution
    (`Transcript.solution`)."""
    weight_changed: float = 0.35
    """Doubt gained per further different result at the same step (repeated attempts)."""
    weight_confirmed: float = 0.5
    """Doubt removed when the tutor endorses the step (praises it or restates its result)."""
    onset_threshold: float = 0.1
    """A chat shows a struggle (and so has an onset) when some step's doubt (0-1) reaches
    this; the onset is then the step the tutor's first reactions are most about."""
    focus_messages: int = 6
    """How many tutor messages after the student's first worked statement vote on where the
    struggle began (each compared with every student statement made before it)."""
    focus_decay: float = 0.7
    """Each later tutor message's vote counts this much (0-1) of the one before: a tutor
    who has read a wrong solution starts with the step that went wrong."""
    focus_skip_praise: bool = True
    """Leave the tutor's sentences that only praise ("Good job.", "That's right.") out of the
    focus vote: a step the tutor confirms is not where the struggle began."""
    weight_first_correction: float = 1.0
    """Extra vote (a multiple of one message's) of the tutor's first corrective sentence ("not
    quite", "careful", "check") and the sentence after it, within the same focus messages:
    where the tutor first says something is wrong, they usually name what."""
    contradiction_onset: bool = True
    """Move the onset back to the earliest earlier step whose inputs the tutor restates with
    a value the student never wrote, within the same `focus_messages`
    (core/transcript_onset.py, `contradicted_steps`)."""
    trivial_numbers: tuple[float, ...] = (0.0, 1.0, 2.0, 100.0)
    """Numbers too common in talk ("one more", "twice", "100%") to count as a new value the
    tutor states."""
    weight_onset: float = 0.3
    """Doubt (0-1) the onset step gains (signal ``focused``): the tutor kept coming back to
    it."""
    onset_credit: float = 0.8
    """Share (0-1) of doubt removed from the steps stated before the onset: the struggle
    began after them, so they keep their credit."""
    credit_threshold: float = 0.5
    """A step's doubt (0-1) at or above this lowers the credit of the skills it uses."""
    weight_confusion: float = 0.45
    """Struggle (0-1) that one statement of confusion adds to the skills it is about."""
    weight_hint_request: float = 0.35
    """Struggle (0-1) that one request for a hint adds to the skills it is about."""
    weight_reveal: float = 0.5
    """Struggle (0-1) the tutor revealing the answer adds to the step under discussion."""
    context_min_weight: float = 0.1
    """A tutor or student sentence joins the text that decides a step's skills only when its
    signal on that step weighs at least this much (0-1)."""
    skill_temperature: float = 0.05
    """Softmax temperature over the item's skills when attributing evidence to skills."""
    skill_floor: float = 0.15
    """A skill whose attribution share (0-1) is below this gets no share of the evidence."""
    severity_weights: tuple[float, float, float, float, float, float] = (
        0.1,
        0.08,
        0.05,
        0.5,
        0.05,
        0.2,
    )
    """Transcript-level struggle (severity) = noisy-or of: the largest step doubt, each tutor
    message (the longer the tutor had to work, the harder it was), each corrective tutor
    message, the tutor revealing the answer, each confusion or hint statement, and a chat that
    ends on a correction or a reveal; these are the weights (0-1) in that order."""
    misconception_threshold: float = 0.6
    """Backend similarity (-1 to 1) of a student sentence to a misconception's description or
    example wrong answers at which the misconception is recognised."""
    summary_sentences: int = 4
    """Most sentences in the extractive summary."""


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """The one object holding every tunable constant of the math core."""

    elo: EloConfig = field(default_factory=EloConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    path: PathConfig = field(default_factory=PathConfig)
    profile: ProfileConfig = field(default_factory=ProfileConfig)
    transcripts: TranscriptConfig = field(default_factory=TranscriptConfig)
