"""Where the struggle began: the step the tutor's reactions keep coming back to.

Helpers of the transcript analyzer (core/transcript_steps.py); pure (stdlib + NumPy, the
similarity backend is passed in).

A tutor who has read a wrong solution spends their next messages on the step that went
wrong: they ask about its quantities ("how many cups per chicken per day?"), quote its
numbers, or name it. Each of the first `TranscriptConfig.focus_messages` tutor messages after
the student's first worked statement is compared with every statement made before it (text
similarity plus the share of the statement's numbers the tutor mentions); a step scores its
best-matching statement, and later messages count `focus_decay` times the one before. The
onset is the step with the largest focus, provided the chat shows some struggle at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.transcript_claims import Claim
from smartpractice.core.transcript_text import numbers_in
from smartpractice.core.transcript_types import SimilarityBackend, Transcript

__all__ = ["Focus", "choose_onset", "tutor_focus"]


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

    Args:
        transcript: The chat.
        claims: The student's statements with numbers, in chat order.
        groups: Each step's claims (indices into `claims`).
        similarity: Text similarity backend (values in [-1, 1]).
        config: `focus_messages` and `focus_decay`.
    """
    scores = [0.0] * len(groups)
    best: list[tuple[float, int | None]] = [(0.0, None)] * len(groups)
    if not claims:
        return [Focus(0.0, None) for _ in groups]
    start = claims[0].message_index
    later = [i for i, m in enumerate(transcript.messages) if m.role == "tutor" and i > start]
    tutor = later[: max(config.focus_messages, 0)]
    for order, index in enumerate(tutor):
        members = [
            (step, claims[c])
            for step, group in enumerate(groups)
            for c in group
            if claims[c].message_index < index
        ]
        if not members:
            continue
        text = transcript.messages[index].content
        raw = similarity.similarity([text], [claim.sentence.text for _, claim in members])[0]
        said = frozenset(numbers_in(text, words=True))
        per_step: dict[int, float] = {}
        for (step, claim), value in zip(members, raw, strict=True):
            score = min(max(float(value), 0.0), 1.0) + _number_coverage(said, claim)
            per_step[step] = max(per_step.get(step, 0.0), score)
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
