"""How the workers treat tutor chats, from the settings and the analyzer the composition
root built (`smartpractice.adapters.similarity.analyzer.make_analyzer`)."""

from __future__ import annotations

from smartpractice.services.events import TranscriptHandling
from smartpractice.services.ports import Analyzer
from smartpractice.settings import Settings

__all__ = ["transcript_handling"]


def transcript_handling(settings: Settings, analyzer: Analyzer) -> TranscriptHandling:
    """How workers configured by `settings` treat tutor chats, analysing with `analyzer`."""
    return TranscriptHandling(
        analyzer=analyzer,
        keep_raw_text=settings.keep_transcripts,
        wait_seconds=settings.transcript_wait_seconds,
    )
