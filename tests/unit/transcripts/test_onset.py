"""Where the struggle began: the tutor's focus, the onset rule, credit before the onset, and
the optional worked solution."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.claims import extract_claims
from smartpractice.core.tutoring.onset import (
    Focus,
    choose_onset,
    correction_window,
    statement_votes,
    tutor_focus,
    without_praise,
)
from smartpractice.core.tutoring.types import Role, Transcript
from tests.unit.transcripts.chats import SMOOTH, SPOONS, chat

CONFIG = TranscriptConfig()
LEXICAL = LexicalBackend()

# The student states a whole (wrong) solution at once; the tutor then asks about one step.
WINDOWS = chat(
    ("tutor", "Can you walk me through your solution?"),
    (
        "student",
        "Each house has 3 bedrooms with 2 windows, so 3 x 2 = 6 bedroom windows. "
        "The additional windows are 4 x 2 = 8 in each house. "
        "So each house has 6 + 8 = 14 windows, and the two houses have 2 x 14 = 28.",
    ),
    ("tutor", "How many additional windows does one house have? Read that part again."),
    ("student", "Oh, each house has 4 additional windows, not 8."),
    ("tutor", "Right. So how many windows are in one house?"),
    ("student", "6 + 4 = 10 windows, so 2 x 10 = 20 windows in all."),
    ("tutor", "Well done."),
    problem=(
        "John has 2 houses with 3 bedrooms each. Each bedroom has 2 windows. There are an "
        "additional 4 windows in each house not connected to bedrooms. How many windows?"
    ),
)


def focus_of(transcript: Transcript, config: TranscriptConfig = CONFIG) -> list[Focus]:
    claims = extract_claims(transcript)
    groups = [[c] for c in range(len(claims))]
    return tutor_focus(transcript, claims, groups, similarity=LEXICAL, config=config)


def test_the_tutor_question_naming_a_step_focuses_on_it() -> None:
    focus = focus_of(WINDOWS)
    claims = extract_claims(WINDOWS)
    top = max(range(len(focus)), key=lambda s: focus[s].score)
    assert "additional windows are 4 x 2 = 8" in claims[top].sentence.text
    assert focus[top].message_index == 2  # the first tutor message after the solution


def test_focus_counts_only_tutor_messages_after_the_first_worked_statement() -> None:
    transcript = chat(
        ("tutor", "The additional windows: 4 x 2 = 8?"),  # before any student statement
        ("student", "Each house has 3 x 2 = 6 bedroom windows. Extra: 4 x 2 = 8."),
    )
    assert all(f.score == 0.0 and f.message_index is None for f in focus_of(transcript))


def test_later_tutor_messages_count_less_and_only_the_first_few() -> None:
    solution: tuple[Role, str] = ("student", "First 3 x 2 = 6. Then 4 x 2 = 8.")
    early = chat(solution, ("tutor", "Why 3 x 2?"), ("tutor", "Why 4 x 2?"))
    late = chat(solution, ("tutor", "Why 4 x 2?"), ("tutor", "Why 3 x 2?"))
    assert focus_of(early)[0].score > focus_of(early)[1].score
    assert focus_of(late)[1].score > focus_of(late)[0].score
    only_first = replace(CONFIG, focus_messages=1)
    assert focus_of(early, only_first)[1].score < focus_of(early)[1].score


@pytest.mark.parametrize(
    ("message", "window"),
    [
        # the corrective sentence and the one after it, where the tutor says what is wrong
        (
            "Good start. Not quite. The extra windows are per house. How many?",
            ["Not quite.", "The extra windows are per house."],
        ),
        # two corrective sentences in a row: each once, in order
        ("Careful. Check the 4 x 2. Why?", ["Careful.", "Check the 4 x 2.", "Why?"]),
        # a correction in the last sentence has nothing after it
        ("You got 6. Are you sure?", ["Are you sure?"]),
        # nothing corrected
        ("Well done. What comes next?", []),
        ("", []),
    ],
)
def test_correction_window(message: str, window: list[str]) -> None:
    assert correction_window(message) == window


def test_statement_votes_add_text_similarity_and_numbers_mentioned() -> None:
    claims = extract_claims(chat(("student", "First 3 x 2 = 6. Then 4 x 2 = 8.")))
    votes = statement_votes(["Why 4 x 2?"], claims, similarity=LEXICAL)
    assert votes[1] > votes[0]
    assert votes[1] >= 2 / 3  # two of the statement's three numbers are mentioned
    assert all(0.0 <= v <= 2.0 for v in votes)
    assert statement_votes([], claims, similarity=LEXICAL) == [0.0, 0.0]
    assert statement_votes(["Why?"], [], similarity=LEXICAL) == []


def test_the_first_correction_votes_again_for_what_it_names() -> None:
    # The tutor's first message asks about both steps; only its corrective sentence names one.
    transcript = chat(
        ("student", "First 3 x 2 = 6 windows. Then 4 x 2 = 8 extra windows."),
        ("tutor", "You have 3 x 2 and 4 x 2 there. Careful. The extra windows: 4 in each house."),
        ("tutor", "Not quite. 3 x 2 again?"),  # a second correction gets no extra vote
    )
    plain = focus_of(transcript, replace(CONFIG, weight_first_correction=0.0))
    extra = focus_of(transcript)
    assert extra[1].score > plain[1].score
    gain_second = extra[1].score - plain[1].score
    gain_first = extra[0].score - plain[0].score
    assert gain_second > gain_first
    # the second corrective message gets no extra vote: the gains are those of the first
    first_only = chat(*[(m.role, m.content) for m in transcript.messages[:2]])
    plain_first = focus_of(first_only, replace(CONFIG, weight_first_correction=0.0))
    extra_first = focus_of(first_only)
    for step in (0, 1):
        gain = extra[step].score - plain[step].score
        assert gain == pytest.approx(extra_first[step].score - plain_first[step].score, abs=1e-5)


def test_onset_needs_a_sign_of_struggle() -> None:
    focus = [Focus(0.2, 1), Focus(0.9, 1)]
    assert choose_onset([0.0, 0.05], focus, config=CONFIG) is None
    assert choose_onset([0.0, 0.2], focus, config=CONFIG) == 1
    assert choose_onset([], [], config=CONFIG) is None


def test_onset_is_the_most_focused_step_ties_to_the_earlier() -> None:
    focus = [Focus(0.1, 1), Focus(0.7, 1), Focus(0.3, 1)]
    assert choose_onset([0.5, 0.0, 0.0], focus, config=CONFIG) == 1
    assert choose_onset([0.5, 0.5], [Focus(0.4, 1), Focus(0.4, 3)], config=CONFIG) == 0


def test_without_any_tutor_reaction_the_first_doubtful_step_is_the_onset() -> None:
    focus = [Focus(0.0, None)] * 3
    assert choose_onset([0.05, 0.3, 0.9], focus, config=CONFIG) == 1


def test_analyzer_onset_gains_focus_and_earlier_steps_keep_their_credit() -> None:
    result = analyze_transcript(WINDOWS, skills=(), similarity=LEXICAL, config=CONFIG)
    assert result.onset is not None
    assert "4 x 2 = 8" in result.onset.text
    focused = [e for e in result.onset.evidence if e.signal == "focused"]
    assert [e.message_index for e in focused] == [2]
    assert focused[0].weight == CONFIG.weight_onset
    content = WINDOWS.messages[2].content
    assert content[focused[0].start : focused[0].end] == focused[0].text
    before = [s for s in result.steps if s.index < result.onset.index]
    assert before and all(s.doubt < CONFIG.credit_threshold for s in before)
    assert result.onset.doubt > max(s.doubt for s in before)


def test_no_credit_kept_before_the_onset_when_switched_off() -> None:
    keep_all = replace(CONFIG, onset_credit=0.0, weight_onset=0.0)
    with_rule = analyze_transcript(WINDOWS, skills=(), similarity=LEXICAL, config=CONFIG)
    without = analyze_transcript(WINDOWS, skills=(), similarity=LEXICAL, config=keep_all)
    assert without.onset is not None and with_rule.onset is not None
    assert without.onset.index == with_rule.onset.index  # the rule moves credit, not the onset
    first = with_rule.steps[0]
    assert first.index < with_rule.onset.index and without.steps[0].doubt > 0
    assert first.doubt == pytest.approx(
        without.steps[0].doubt * (1 - CONFIG.onset_credit), abs=1e-3
    )


def test_a_smooth_chat_has_no_onset_and_no_focused_doubt() -> None:
    result = analyze_transcript(SMOOTH, skills=(), similarity=LEXICAL, config=CONFIG)
    assert result.onset is None
    assert not [e for e in result.signals if e.signal == "focused"]


def test_statements_read_number_words() -> None:
    claims = extract_claims(chat(("student", "He dropped three balls, so 7 - 3 = 4.")))
    assert claims[0].numbers == frozenset({3.0, 4.0, 7.0})


def test_the_worked_solution_is_optional_and_flags_steps_off_it() -> None:
    solution = "The total was 12 + 3 = 15 spoons.\nSo Julia's package had 15 - 5 = 10 spoons."
    with_solution = replace(SPOONS, solution=solution)
    plain = analyze_transcript(SPOONS, skills=(), similarity=LEXICAL, config=CONFIG)
    given = analyze_transcript(with_solution, skills=(), similarity=LEXICAL, config=CONFIG)
    assert not [e for e in plain.signals if e.signal == "off_solution"]
    off = {e.text for e in given.signals if e.signal == "off_solution"}
    assert any("12 - 3 = 9" in text for text in off)  # 9 is not on the way to the answer
    assert not any("12 + 3 = 15" in text for text in off)  # the corrected step is
    by_text = {s.text: s.doubt for s in plain.steps}
    for step in given.steps:
        assert step.doubt >= by_text[step.text] - 1e-9  # a solution only adds doubt


@pytest.mark.parametrize(
    ("message", "voting"),
    [
        ("That's right, 3 x 2 = 6. Why 4 x 2?", "Why 4 x 2?"),
        ("Good, but check the 4 x 2.", "Good, but check the 4 x 2."),  # praise and correction
        ("Well done.", ""),
        ("How many windows?", "How many windows?"),
    ],
)
def test_without_praise_drops_sentences_that_only_praise(message: str, voting: str) -> None:
    assert without_praise(message) == voting


def test_praise_does_not_vote_for_the_step_it_confirms() -> None:
    transcript = chat(
        ("student", "First 3 x 2 = 6 windows. Then 4 x 2 = 8 extra windows."),
        ("tutor", "That's right, 3 x 2 = 6 bedroom windows. How many extra windows per house?"),
    )
    skipping = focus_of(transcript)
    counting = focus_of(transcript, replace(CONFIG, focus_skip_praise=False))
    assert skipping[0].score < counting[0].score
    assert skipping[1].score > skipping[0].score
    # a message that only praises votes for nothing
    praise_only = chat(
        ("student", "First 3 x 2 = 6 windows. Then 4 x 2 = 8 extra windows."),
        ("tutor", "Well done, that's right."),
    )
    assert all(f.score == 0.0 and f.message_index is None for f in focus_of(praise_only))
