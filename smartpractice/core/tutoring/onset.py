"""Where the struggle began: the step the tutor's reactions keep coming back to.

Helpers of the transcript analyzer (core/transcript_steps.py); pure (stdlib + NumPy, the
similarity backend is passed in).

A tutor who has read a wrong solution spends their next messages on the step that went
wrong: they ask about its quantities ("how many cups per chicken per day?"), quote its
numbers, or name it. Each of the first `TranscriptConfig.focus_messages` tutor messages after
the student's first worked statement is compared with every statement made before it (text
similarity plus the share of the statement's numbers the tutor mentions; sentences that only
praise, "Good job.", do not vote); a step scores its best-matching statement, and later
messages count `focus_decay` times the one before. The
first of those messages that corrects something ("not quite", "careful") votes once more
with its corrective sentences alone (`weight_first_correction`): where the tutor first says
something is wrong, they usually name what. The onset is the step with the largest focus,
provided the chat shows some struggle at all.

Quantity bookkeeping then checks that choice against the numbers: a tutor who, within the
same messages, restates one of a step's inputs together with a value the student never
wrote ("If she spent $4.50 on taffy ...") is giving the right quantity where the student's
went wrong. When such a *contradicted* step comes before the focus onset, the onset moves
back to it (`contradicted_steps`, `revise_onset`): a tutor often keeps talking about the
last visible symptom (the final total) while the first number they correct is earlier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.claims import Claim
from smartpractice.core.tutoring.text import (
    CORRECTION,
    ENDORSEMENT,
    Sentence,
    numbers_in,
    result_number,
    sentences,
)
from smartpractice.core.tutoring.types import SimilarityBackend, Transcript

__all__ = [
    "Contradiction",
    "Focus",
    "choose_onset",
    "contradicted_steps",
    "correction_window",
    "revise_onset",
    "statement_votes",
    "tutor_focus",
    "without_praise",
]


@dataclass(frozen=True, slots=True)
class Focus:
    """How much the tutor's first reactions are about one step.

    Attributes:
        score: Decayed sum over the tutor's messages of (text similarity clipped to 0-1 +
            share of the step's numbers the tutor mentions); 0 when never aimed at.
        message_index: The tutor message that contributed most (None when score is 0).
    """

    score: float
    message_index: int | None


def _number_coverage(said: frozenset[float], claim: Claim) -> float:
    """Share (0-1) of the statement's numbers that the tutor's message mentions."""
    return len(said & claim.numbers) / len(claim.numbers) if claim.numbers else 0.0


def correction_window(text: str) -> list[str]:
    """The sentences of a tutor message that correct something ("not quite", "careful",
    "check": `CORRECTION`), each with the sentence after it, where the tutor usually says
    what is wrong; in order, without repeats; empty when nothing is corrected."""
    parts = [s.text for s in sentences(text)]
    picked = {
        j
        for i, part in enumerate(parts)
        if CORRECTION.search(part)
        for j in (i, i + 1)
        if j < len(parts)
    }
    return [parts[j] for j in sorted(picked)]


def without_praise(text: str) -> str:
    """The tutor message without its sentences that only praise ("Good job.", "That's right,
    3 x 20 = 60."): a step the tutor confirms is not where the struggle began, so those
    sentences do not vote for it. A sentence that also corrects ("Good, but check ...")
    stays. Empty when every sentence praises."""
    return " ".join(
        s.text
        for s in sentences(text)
        if CORRECTION.search(s.text) or not ENDORSEMENT.search(s.text)
    )


def statement_votes(
    queries: Sequence[str], statements: Sequence[Claim], *, similarity: SimilarityBackend
) -> list[float]:
    """How much the tutor's `queries` (one message, or some of its sentences) are about each
    statement: the best text similarity of a query (clipped to 0-1) plus the share of the
    statement's numbers that the queries mention (digits or words); 0-2 each."""
    if not queries or not statements:
        return [0.0] * len(statements)
    raw = similarity.similarity(list(queries), [c.sentence.text for c in statements])
    best = np.clip(np.asarray(raw, dtype=np.float64).max(axis=0), 0.0, 1.0)
    said = frozenset(n for q in queries for n in numbers_in(q, words=True))
    return [float(b) + _number_coverage(said, c) for b, c in zip(best, statements, strict=True)]


def tutor_focus(
    transcript: Transcript,
    claims: Sequence[Claim],
    groups: Sequence[Sequence[int]],
    *,
    similarity: SimilarityBackend,
    config: TranscriptConfig,
) -> list[Focus]:
    """Per step (a group of claim indices), how much the tutor's first reactions after the
    student's first worked statement are about it.

    Each of the first `config.focus_messages` tutor messages votes on every statement made
    before it (`statement_votes` of the whole message, without its sentences that only
    praise when `config.focus_skip_praise`); the first of them that corrects
    something adds `config.weight_first_correction` times the vote of its corrective
    sentences (`correction_window`). A step scores its best statement per message, and each
    later message counts `config.focus_decay` times the one before.

    Args:
        transcript: The chat.
        claims: The student's statements with numbers, in chat order.
        groups: Each step's claims (indices into `claims`).
        similarity: Text similarity backend (values in [-1, 1]).
        config: `focus_messages`, `focus_decay`, `focus_skip_praise` and
            `weight_first_correction`.
    """
    scores = [0.0] * len(groups)
    best: list[tuple[float, int | None]] = [(0.0, None)] * len(groups)
    if not claims:
        return [Focus(0.0, None) for _ in groups]
    step_of = {c: step for step, group in enumerate(groups) for c in group}
    start = claims[0].message_index
    later = [i for i, m in enumerate(transcript.messages) if m.role == "tutor" and i > start]
    corrected = False
    for order, index in enumerate(later[: max(config.focus_messages, 0)]):
        members = [c for c in range(len(claims)) if claims[c].message_index < index]
        statements = [claims[c] for c in members]
        text = transcript.messages[index].content
        voting = without_praise(text) if config.focus_skip_praise else text
        votes = statement_votes([voting] if voting else [], statements, similarity=similarity)
        window = [] if corrected else correction_window(text)
        corrected = corrected or bool(window)
        if window and config.weight_first_correction > 0:
            extra = statement_votes(window, statements, similarity=similarity)
            votes = [
                v + config.weight_first_correction * e for v, e in zip(votes, extra, strict=True)
            ]
        per_step: dict[int, float] = {}
        for c, vote in zip(members, votes, strict=True):
            per_step[step_of[c]] = max(per_step.get(step_of[c], 0.0), vote)
        weight = config.focus_decay**order
        for step, score in per_step.items():
            scores[step] += weight * score
            if weight * score > best[step][0]:
                best[step] = (weight * score, index)
    return [Focus(round(s, 6), b[1] if s > 0 else None) for s, b in zip(scores, best, strict=True)]


def choose_onset(
    doubts: Sequence[float], focus: Sequence[Focus], *, config: TranscriptConfig
) -> int | None:
    """The step where the struggle began (an index into the steps), or None.

    None when no step's doubt reaches `config.onset_threshold` (nothing in the chat says the
    student struggled). Otherwise the step with the largest tutor focus (ties: the earlier);
    when the tutor never reacted to any step, the first step whose doubt reaches the
    threshold.
    """
    if not doubts or max(doubts) < config.onset_threshold:
        return None
    if any(f.score > 0 for f in focus):
        return max(range(len(focus)), key=lambda s: (focus[s].score, -s))
    return next(s for s, d in enumerate(doubts) if d >= config.onset_threshold)


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A tutor sentence that restates a step's inputs with a value the student never wrote.

    Attributes:
        message_index: The tutor's message.
        sentence: The sentence (offsets in that message).
    """

    message_index: int
    sentence: Sentence


def contradicted_steps(
    transcript: Transcript,
    claims: Sequence[Claim],
    groups: Sequence[Sequence[int]],
    *,
    config: TranscriptConfig,
) -> dict[int, Contradiction]:
    """Steps (indices into `groups`) whose quantities the tutor restates differently.

    A step's first statement is contradicted by the first sentence of a later tutor message
    (within the first `config.focus_messages` tutor messages after the student's first
    worked statement) that mentions one of the statement's inputs, does not repeat its
    result, and states a new number: one the problem does not give, no step of the student
    states, and not among `config.trivial_numbers`. Numbers are read in digits and words.
    """
    if not claims or not groups:
        return {}
    given = frozenset(numbers_in(transcript.problem, words=True))
    firsts = [claims[group[0]] for group in groups]
    stated = frozenset(n for claim in firsts for n in claim.numbers)
    known = given | stated | frozenset(config.trivial_numbers)
    start = claims[0].message_index
    later = [i for i, m in enumerate(transcript.messages) if m.role == "tutor" and i > start]
    # Every sentence of the window with its numbers, read once for all the steps.
    said = [
        (index, sentence, frozenset(numbers_in(sentence.text, words=True)))
        for index in later[: max(config.focus_messages, 0)]
        for sentence in sentences(transcript.messages[index].content)
    ]
    found: dict[int, Contradiction] = {}
    for step, claim in enumerate(firsts):
        # A statement works from all it states except the result it arrives at.
        result = result_number(claim.sentence.text)
        inputs = claim.numbers - {result} if result is not None else claim.numbers
        hit = next(
            (
                Contradiction(index, sentence)
                for index, sentence, numbers in said
                if index > claim.message_index and _contradicts(numbers, inputs, result, known)
            ),
            None,
        )
        if hit is not None:
            found[step] = hit
    return found


def _contradicts(
    said: frozenset[float], inputs: frozenset[float], result: float | None, known: frozenset[float]
) -> bool:
    """A tutor sentence's numbers share an input of the statement, leave its result out and
    add a value nobody in the chat (nor the problem) has written."""
    return bool(said & inputs) and (result is None or result not in said) and bool(said - known)


def revise_onset(onset: int | None, contradicted: dict[int, Contradiction]) -> int | None:
    """The onset moved back to the earliest contradicted step before it (unchanged when there
    is none, or when there is no onset: contradiction alone does not show a struggle)."""
    if onset is None:
        return None
    return min((step for step in contradicted if step < onset), default=onset)
