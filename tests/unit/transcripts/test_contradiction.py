"""Quantity bookkeeping: a tutor restating a step's inputs with a new value moves the onset
back to that step."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.claims import extract_claims
from smartpractice.core.tutoring.onset import (
    Contradiction,
    contradicted_steps,
    revise_onset,
)
from smartpractice.core.tutoring.text import Sentence
from smartpractice.core.tutoring.types import Role, Transcript
from tests.unit.transcripts.chats import chat

CONFIG = TranscriptConfig()
LEXICAL = LexicalBackend()
PROBLEM = "A book costs $4 and a pen costs $2. Tom buys 3 books and 1 pen. How much does he pay?"
SOLUTION: tuple[Role, str] = ("student", "3 books cost 3 + 4 = 7 dollars. With the pen, 7 + 2 = 9.")
# The tutor keeps asking about the last step, then states the books' cost the student missed.
BOOKS = chat(
    SOLUTION,
    ("tutor", "Let's check the last part: what is 7 + 2?"),
    ("student", "It is 9."),
    ("tutor", "Why do you add 7 + 2 at the end?"),
    ("student", "Because the pen is 2."),
    ("tutor", "Three books at $4 each cost 12 dollars."),
    problem=PROBLEM,
)


def contradicted(transcript: Transcript, config: TranscriptConfig = CONFIG) -> dict[int, int]:
    claims = extract_claims(transcript)
    groups = [[c] for c in range(len(claims))]
    found = contradicted_steps(transcript, claims, groups, config=config)
    return {step: c.message_index for step, c in found.items()}


def with_last_tutor(sentence: str) -> Transcript:
    return chat(
        *[(m.role, m.content) for m in BOOKS.messages[:-1]], ("tutor", sentence), problem=PROBLEM
    )


def test_a_new_value_for_a_steps_inputs_contradicts_it() -> None:
    assert contradicted(BOOKS) == {0: 5}
    claims = extract_claims(BOOKS)
    found = contradicted_steps(BOOKS, claims, [[c] for c in range(len(claims))], config=CONFIG)
    sentence = found[0].sentence
    assert sentence.text == "Three books at $4 each cost 12 dollars."
    assert BOOKS.messages[5].content[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    "sentence",
    [
        "Three books at $4 each cost 12 dollars, not 7.",  # repeats the step's result
        "Three books at $4 each: how much is that?",  # no new value
        "So he pays 12 dollars for them.",  # no input of the step
        "Three books at $4 each, that is 100% of the books.",  # 100 is too common to count
    ],
)
def test_no_contradiction_without_shared_input_new_value_or_with_the_result(
    sentence: str,
) -> None:
    assert 0 not in contradicted(with_last_tutor(sentence))


def test_a_value_the_student_states_somewhere_is_not_new() -> None:
    transcript = chat(
        *[(m.role, m.content) for m in BOOKS.messages],
        ("student", "Oh, 3 x 4 = 12 dollars."),
        problem=PROBLEM,
    )
    assert contradicted(transcript) == {}


def test_only_the_first_focus_messages_count() -> None:
    assert contradicted(BOOKS, replace(CONFIG, focus_messages=2)) == {}
    assert contradicted(BOOKS, replace(CONFIG, focus_messages=3)) == {0: 5}


def test_revise_onset_moves_back_only() -> None:
    mark = Contradiction(1, Sentence(0, 1, "x"))
    assert revise_onset(2, {0: mark, 1: mark}) == 0
    assert revise_onset(1, {3: mark}) == 1  # a later contradicted step does not move it
    assert revise_onset(1, {}) == 1
    assert revise_onset(None, {0: mark}) is None  # a contradiction alone is no struggle


def test_the_analyzer_moves_the_onset_to_the_contradicted_step() -> None:
    moved = analyze_transcript(BOOKS, skills=(), similarity=LEXICAL, config=CONFIG)
    kept = analyze_transcript(
        BOOKS, skills=(), similarity=LEXICAL, config=replace(CONFIG, contradiction_onset=False)
    )
    assert kept.onset is not None and "7 + 2 = 9" in kept.onset.text
    assert moved.onset is not None and "3 + 4 = 7" in moved.onset.text
    evidence = [e for e in moved.onset.evidence if e.signal == "contradicted"]
    assert [(e.message_index, e.weight) for e in evidence] == [(5, CONFIG.weight_onset)]
    # the step the tutor focused on keeps its focused doubt: it was discussed as much
    focused = [e for e in moved.steps[1].evidence if e.signal == "focused"]
    assert focused and moved.steps[1].doubt == pytest.approx(kept.onset.doubt, abs=1e-3)
    # the new onset is the first step, so no step before it loses credit
    assert moved.onset.doubt > kept.steps[0].doubt
