"""Lexical similarity backend: TF-IDF cosine over word stems, NumPy only.

The fallback when the local embedding model (the ``nlp`` extra and the MiniLM weights)
is not installed. Deterministic and fast; it knows no synonyms, so it matches
"inner function" to "inside function" only through the shared word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from smartpractice.core.tutoring.types import FloatMatrix

__all__ = ["LexicalBackend", "tokens"]

_TOKEN = re.compile(r"[a-z]{2,}")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yes",
        "no",
        "ok",
        "okay",
        "oh",
    }
)
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased word stems of `text` (two letters or more), stop words removed. Numbers
    are left out: the analyzer compares them separately."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP]


class LexicalBackend:
    """TF-IDF cosine similarity (0-1); IDF is fitted on the texts of each call."""

    @property
    def name(self) -> str:
        return "lexical"

    def similarity(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        """Cosine of sublinear-TF x IDF vectors, shape (len(queries), len(targets))."""
        if not queries or not targets:
            return np.zeros((len(queries), len(targets)))
        bags = [Counter(tokens(t)) for t in [*queries, *targets]]
        vocabulary = {w: i for i, w in enumerate(sorted({w for bag in bags for w in bag}))}
        documents = len(bags)
        frequency = Counter(w for bag in bags for w in bag)
        matrix = np.zeros((documents, len(vocabulary)))
        for row, bag in enumerate(bags):
            for word, count in bag.items():
                idf = math.log((1 + documents) / (1 + frequency[word])) + 1.0
                matrix[row, vocabulary[word]] = (1.0 + math.log(count)) * idf
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        product: FloatMatrix = unit[: len(queries)] @ unit[len(queries) :].T
        return product
