"""Optional LLM similarity backend: an OpenAI-compatible chat-completions endpoint.

The model is asked to rate, for every (query, target) pair of texts from a tutoring chat,
how strongly they are about the same mathematical step, quantity or skill (0-1), and to
answer with JSON. E-mail addresses and phone numbers are redacted before anything is sent
(`redact_personal_data`). Any error, timeout or malformed answer falls back to the local
backend for that call, so an outage never stops the analysis.

Configured from the environment (prefix ``SMARTPRACTICE_LLM_``): ``URL`` (base URL, e.g.
``https://llm.example/v1``; ``/chat/completions`` is appended), ``MODEL``, ``API_KEY``,
``TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

import httpx
import numpy as np
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpractice.core.tutoring.text import redact_personal_data
from smartpractice.core.tutoring.types import FloatMatrix, SimilarityBackend

__all__ = ["LLMBackend", "LLMSettings", "build_messages", "parse_scores"]

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You compare short texts from a school maths tutoring chat. For every query and every "
    "target, rate from 0 to 1 how strongly the query is about the same mathematical step, "
    "quantity or skill as the target (1 = the same, 0 = unrelated). Answer with JSON only: "
    '{"scores": [[...], ...]} with one row per query and one number per target, in order.'
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class LLMSettings(BaseSettings):
    """Where and how to call the LLM (read from ``SMARTPRACTICE_LLM_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="SMARTPRACTICE_LLM_", extra="ignore")

    url: str = ""
    """Base URL of the OpenAI-compatible API, e.g. ``http://127.0.0.1:8080/v1``."""
    model: str = ""
    """Model name sent in the request."""
    api_key: SecretStr | None = None
    """Bearer token, if the endpoint needs one."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Per-request timeout (seconds); on timeout the local backend answers."""
    max_pairs: int = Field(default=2000, ge=1)
    """Calls with more (query, target) pairs than this go straight to the local backend."""

    @property
    def configured(self) -> bool:
        """Whether a URL and a model are set."""
        return bool(self.url and self.model)


def build_messages(queries: Sequence[str], targets: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages sent to the model; every text is redacted first."""
    payload = {
        "queries": [redact_personal_data(q) for q in queries],
        "targets": [redact_personal_data(t) for t in targets],
    }
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def parse_scores(content: str, *, rows: int, columns: int) -> FloatMatrix:
    """The ``scores`` matrix in the model's answer, clipped to 0-1.

    Raises:
        ValueError: When there is no JSON object, or the matrix has the wrong shape.
    """
    match = _JSON_OBJECT.search(content)
    if match is None:
        raise ValueError("no JSON object in the answer")
    scores = np.asarray(json.loads(match.group())["scores"], dtype=np.float64)
    if scores.shape != (rows, columns) or not np.all(np.isfinite(scores)):
        raise ValueError(f"scores of shape {scores.shape}, expected {(rows, columns)}")
    return np.clip(scores, 0.0, 1.0)


class LLMBackend:
    """Similarity from an LLM, with a local fallback on any failure.

    Args:
        settings: URL, model, key and timeout.
        fallback: Answers when the LLM fails (the local embedding or lexical backend).
        client: An httpx client to reuse (tests pass one); one is created otherwise.
    """

    def __init__(
        self,
        settings: LLMSettings,
        *,
        fallback: SimilarityBackend,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._cache: dict[tuple[tuple[str, ...], tuple[str, ...]], FloatMatrix] = {}
        self.calls = 0
        self.fallbacks = 0
        self.last_error = ""

    @property
    def name(self) -> str:
        return "llm"

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _request(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.api_key.get_secret_value()}"
        body = {
            "model": self.settings.model,
            "messages": build_messages(queries, targets),
            "temperature": 0,
        }
        response = self._client.post(
            self.settings.url.rstrip("/") + "/chat/completions",
            json=body,
            headers=headers,
            timeout=self.settings.timeout_seconds,
        )
        response.raise_for_status()
        content = str(response.json()["choices"][0]["message"]["content"])
        return parse_scores(content, rows=len(queries), columns=len(targets))

    def similarity(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        """Scores 0-1 from the LLM, shape (len(queries), len(targets)); the fallback's
        similarity when the LLM is not configured, fails, times out or answers badly."""
        if not queries or not targets:
            return np.zeros((len(queries), len(targets)))
        key = (tuple(queries), tuple(targets))
        if key in self._cache:
            return self._cache[key]
        too_big = len(queries) * len(targets) > self.settings.max_pairs
        if not self.settings.configured or too_big:
            self.fallbacks += 1
            self.last_error = "not configured" if not too_big else "too many pairs"
            return self.fallback.similarity(queries, targets)
        self.calls += 1
        try:
            scores = self._request(queries, targets)
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            self.fallbacks += 1
            self.last_error = f"{type(error).__name__}: {error}"[:200]
            level = logging.WARNING if self.fallbacks == 1 else logging.DEBUG
            log.log(level, "LLM similarity failed, using %s: %s", self.fallback.name, error)
            return self.fallback.similarity(queries, targets)
        self._cache[key] = scores
        return scores
