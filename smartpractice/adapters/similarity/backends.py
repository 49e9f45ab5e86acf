"""Choosing a similarity backend: local embeddings by default, lexical when the model is
not installed, an LLM endpoint when asked for (falling back to local)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from smartpractice.adapters.similarity.embedding import (
    EmbeddingUnavailable,
    MiniLMBackend,
    embedding_available,
)
from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.adapters.similarity.llm import LLMBackend, LLMSettings
from smartpractice.core.tutoring.types import FloatMatrix, SimilarityBackend

__all__ = ["BACKEND_NAMES", "BackendName", "FallbackBackend", "make_backend"]

log = logging.getLogger(__name__)

BackendName = Literal["local", "lexical", "llm"]
BACKEND_NAMES: tuple[BackendName, ...] = ("local", "lexical", "llm")


class FallbackBackend:
    """The local model, switching for good to the lexical backend if the model cannot be
    loaded (missing package, checksum mismatch). `note` says why, once it has switched."""

    def __init__(self, primary: MiniLMBackend, fallback: SimilarityBackend) -> None:
        self._primary: MiniLMBackend | None = primary
        self._fallback = fallback
        self.note = ""

    @property
    def name(self) -> str:
        return "local" if self._primary is not None else self._fallback.name

    def similarity(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        if self._primary is not None:
            try:
                return self._primary.similarity(queries, targets)
            except EmbeddingUnavailable as error:
                self.note = f"local model unavailable ({error}); using {self._fallback.name}"
                log.warning(self.note)
                self._primary = None
        return self._fallback.similarity(queries, targets)


def make_backend(
    name: BackendName = "local",
    *,
    llm: LLMSettings | None = None,
    threads: int = 1,
) -> SimilarityBackend:
    """A similarity backend by name.

    Args:
        name: ``local`` (MiniLM, or lexical when its packages are missing), ``lexical``, or
            ``llm`` (the endpoint in `llm`, falling back to ``local`` on any failure).
        llm: Endpoint settings for ``llm``; read from the environment when None.
        threads: BLAS threads of the local model's encoder.
    """
    if name == "lexical":
        return LexicalBackend()
    if name == "local":
        if not embedding_available():
            log.warning("local embedding packages not installed; using the lexical backend")
            return LexicalBackend()
        return FallbackBackend(MiniLMBackend(threads=threads), LexicalBackend())
    if name == "llm":
        return LLMBackend(llm or LLMSettings(), fallback=make_backend("local", threads=threads))
    raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKEND_NAMES)}")
