"""The tutor-chat `Analyzer` the workers use, built from the settings: the configured
similarity backend under the core analysis."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pydantic import SecretStr

from smartpractice.adapters.similarity.backends import BackendName, make_backend
from smartpractice.adapters.similarity.llm import LLMSettings
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.types import (
    Misconception,
    SimilarityBackend,
    SkillDescriptor,
    Transcript,
    TranscriptAnalysis,
)
from smartpractice.services.ports import Analyzer
from smartpractice.settings import Settings

__all__ = ["make_analyzer"]


@lru_cache(maxsize=8)
def _backend(
    name: BackendName, url: str, model: str, key: str | None, timeout: float
) -> SimilarityBackend:
    # One backend per process and configuration: the local model loads once (~0.3 s).
    llm = LLMSettings(
        url=url, model=model, api_key=SecretStr(key) if key else None, timeout_seconds=timeout
    )
    return make_backend(name, llm=llm)


def make_analyzer(settings: Settings) -> Analyzer:
    """The analyzer for `settings`: its similarity backend and transcript constants."""
    backend = _backend(
        settings.tutor_backend,
        settings.llm_url or "",
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout_seconds,
    )
    config: TranscriptConfig = settings.model.transcripts

    def analyze(
        transcript: Transcript,
        skills: Sequence[SkillDescriptor],
        catalogue: Sequence[Misconception],
    ) -> TranscriptAnalysis:
        return analyze_transcript(
            transcript, skills=skills, similarity=backend, config=config, misconceptions=catalogue
        )

    return analyze
