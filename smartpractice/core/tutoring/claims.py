"""Claims: the student's sentences that carry a computation, and how to compare them.

Helpers of the transcript analyzer (core/transcript_steps.py); pure (stdlib + NumPy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smartpractice.core.tutoring.text import Sentence, numbers_in, result_number, sentences
from smartpractice.core.tutoring.types import Evidence, FloatMatrix, SignalKind, Transcript

__all__ = [
    "Claim",
    "combined_similarity",
    "evidence_at",
    "extract_claims",
    "group_steps",
    "noisy_or",
    "softmax",
]


@dataclass(frozen=True, slots=True)
class Claim:
    """A student sentence that carries a computation.

    Attributes:
        message_index: Its message.
        sentence: The sentence with offsets in the message.
        numbers: Every number it states, in digits or in words ("three", "half").
        result: The result it arrives at, if it states one and the problem does not give it.
    """

    message_index: int
    sentence: Sentence
    numbers: frozenset[float]
    result: float | None


def extract_claims(transcript: Transcript) -> list[Claim]:
    """Every student sentence with a digit or an ``=``, in chat order."""
    given = set(numbers_in(transcript.problem, words=True))
    claims: list[Claim] = []
    for index, message in enumerate(transcript.messages):
        if message.role != "student":
            continue
        for sentence in sentences(message.content):
            if not any(ch.isdigit() for ch in sentence.text) and "=" not in sentence.text:
                continue
            result = result_number(sentence.text)
            claims.append(
                Claim(
                    message_index=index,
                    sentence=sentence,
                    numbers=frozenset(numbers_in(sentence.text, words=True)),
                    result=None if result is None or result in given else result,
                )
            )
    return claims


def combined_similarity(
    text_similarity: FloatMatrix,
    numbers_a: Sequence[frozenset[float]],
    numbers_b: Sequence[frozenset[float]],
    *,
    number_weight: float,
) -> FloatMatrix:
    """Blend text similarity (clipped to 0-1) with number overlap (Jaccard, 0-1).

    Pairs where neither side writes a number use the text similarity alone.
    """
    text = np.clip(np.asarray(text_similarity, dtype=np.float64), 0.0, 1.0)
    out = text.copy()
    for i, a in enumerate(numbers_a):
        for j, b in enumerate(numbers_b):
            union = a | b
            if union:
                jaccard = len(a & b) / len(union)
                out[i, j] = (1.0 - number_weight) * text[i, j] + number_weight * jaccard
    return out


def group_steps(claims: Sequence[Claim], sim: FloatMatrix, *, threshold: float) -> list[list[int]]:
    """Claims grouped into steps: a claim joins the most similar earlier step stated in an
    earlier message if the similarity reaches `threshold`, else it opens a new step."""
    groups: list[list[int]] = []
    for i, claim in enumerate(claims):
        best, best_score = -1, threshold
        for g, members in enumerate(groups):
            if any(claims[m].message_index == claim.message_index for m in members):
                continue
            score = max(sim[i, m] for m in members)
            if score >= best_score:
                best, best_score = g, score
        if best >= 0:
            groups[best].append(i)
        else:
            groups.append([i])
    return groups


def softmax(scores: Sequence[float], temperature: float) -> list[float]:
    top = max(scores)
    weights = [math.exp((s - top) / max(temperature, 1e-6)) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


def evidence_at(index: int, sentence: Sentence, signal: SignalKind, weight: float) -> Evidence:
    return Evidence(
        index, sentence.start, sentence.end, sentence.text, signal, round(float(weight), 4)
    )


def noisy_or(weights: Sequence[float]) -> float:
    return 1.0 - math.prod(1.0 - min(max(w, 0.0), 1.0) for w in weights)
