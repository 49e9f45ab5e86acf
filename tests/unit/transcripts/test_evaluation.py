"""The evaluation's detector wrapper: the worked solution reaches the analyzer only when
asked for, and the report says which way it ran."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import smartpractice_lab.tutoring.evaluation as evaluation
from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.types import Transcript, TranscriptAnalysis
from smartpractice_lab.tutoring.data import load_tutoring

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "tutoring"


def test_the_solution_reaches_the_detector_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialogue = next(d for d in load_tutoring(FIXTURE) if d.steps is not None)
    assert dialogue.solution
    given: list[Transcript] = []

    def spy(transcript: Transcript, **kwargs: Any) -> TranscriptAnalysis:
        given.append(transcript)
        return analyze_transcript(transcript, **kwargs)

    monkeypatch.setattr(evaluation, "analyze_transcript", spy)
    config, backend = TranscriptConfig(), LexicalBackend()
    plain = evaluation.detect(dialogue, similarity=backend, config=config)
    helped = evaluation.detect(dialogue, similarity=backend, config=config, with_solution=True)
    assert [t.solution for t in given] == ["", dialogue.solution]
    assert given[0].messages == given[1].messages == dialogue.transcript.messages
    assert (plain.step_label, plain.severity) == (helped.step_label, helped.severity)


@pytest.mark.parametrize("with_solution", [False, True])
def test_report_records_whether_the_solution_was_given(with_solution: bool) -> None:
    report = evaluation.evaluate_transcripts(
        FIXTURE, backend="lexical", split="all", samples=5, with_solution=with_solution
    )
    assert report["with_solution"] is with_solution
    assert report["dialogues"] == 14
