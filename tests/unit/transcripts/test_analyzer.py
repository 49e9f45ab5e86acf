"""The pure analyzer on hand-written chats: golden cases, evidence spans, properties, and
the customer's example through to per-skill performance."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.core.config import EvidenceConfig, TranscriptConfig
from smartpractice.core.rating.evidence import attempt_to_skill_evidence
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.types import Message, Transcript, TranscriptAnalysis
from smartpractice.core.types import GradedAttempt
from tests.unit.transcripts.chats import (
    CHAIN,
    FORGETS_INNER,
    POWER,
    SMOOTH,
    SPOONS,
    STUCK_ON_CHAIN_RULE,
    chat,
)

CONFIG = TranscriptConfig()
LEXICAL = LexicalBackend()


def analyze(transcript: Transcript, **kwargs: object) -> TranscriptAnalysis:
    options: dict[str, object] = {"skills": [CHAIN, POWER], "misconceptions": [FORGETS_INNER]}
    options.update(kwargs)
    return analyze_transcript(transcript, similarity=LEXICAL, config=CONFIG, **options)  # type: ignore[arg-type]


def test_customer_example_stuck_on_chain_rule() -> None:
    result = analyze(STUCK_ON_CHAIN_RULE)
    struggle = result.struggle_by_skill()
    assert struggle[CHAIN.skill_id] >= 0.6  # stuck on the chain-rule step
    assert struggle[POWER.skill_id] <= 0.25  # the power-rule part was right
    assert result.onset is not None
    assert (result.onset.message_index, result.onset.text) == (1, "For sin(x^2) I wrote cos(x^2).")
    signals = {e.signal for e in result.struggles[CHAIN.skill_id].evidence}
    assert {"corrected", "confusion", "hint_request"} <= signals
    assert result.backend == "lexical"


def test_customer_example_lowers_only_the_chain_rule_credit() -> None:
    struggles = analyze(STUCK_ON_CHAIN_RULE).struggle_by_skill()
    attempt = GradedAttempt(score=0.9, struggles=struggles)
    evidence = attempt_to_skill_evidence(
        attempt,
        skills=[CHAIN.skill_id, POWER.skill_id],
        expected_time_seconds=None,
        config=EvidenceConfig(),
    )
    assert evidence[CHAIN.skill_id].performance < 0.6  # below 0.5 + a margin: credit lowered
    assert evidence[POWER.skill_id].performance > 0.7  # still credited
    assert evidence[CHAIN.skill_id].performance < evidence[POWER.skill_id].performance


def test_evidence_spans_point_into_the_messages() -> None:
    result = analyze(STUCK_ON_CHAIN_RULE)
    spans = [*result.signals, *(m.evidence for m in result.misconceptions)]
    assert spans
    for evidence in spans:
        content = STUCK_ON_CHAIN_RULE.messages[evidence.message_index].content
        assert content[evidence.start : evidence.end] == evidence.text
        assert 0.0 <= evidence.weight <= 1.0


def test_known_misconception_is_recognised() -> None:
    result = analyze(STUCK_ON_CHAIN_RULE)
    assert [m.misconception_id for m in result.misconceptions] == [FORGETS_INNER.misconception_id]
    assert result.misconceptions[0].skill_id == CHAIN.skill_id


def test_misconceptions_of_other_skills_are_not_looked_for() -> None:
    result = analyze(STUCK_ON_CHAIN_RULE, skills=[POWER])
    assert result.misconceptions == ()


def test_summary_quotes_where_it_began_and_the_correction() -> None:
    summary = analyze(STUCK_ON_CHAIN_RULE).summary
    assert summary.startswith("Student: For sin(x^2) I wrote cos(x^2).")
    assert "Tutor: But sin(x^2) is a composite function" in summary
    assert len(summary) < 600


def test_a_smooth_chat_credits_every_skill() -> None:
    result = analyze(SMOOTH)
    assert result.onset is None
    assert all(v <= 0.1 for v in result.struggle_by_skill().values())
    assert result.overall_struggle < 0.3


def test_wrong_intermediate_result_corrected_by_the_tutor() -> None:
    result = analyze(SPOONS, skills=[])
    assert result.struggles == {}
    assert result.onset is not None
    assert "12 - 3 = 9" in result.onset.text
    first = result.steps[0]
    assert "Her husband bought 5 spoons" in first.text and first.doubt < CONFIG.onset_threshold


def test_repeated_attempts_and_a_revealed_answer_raise_severity() -> None:
    hard = chat(
        ("student", "3 x 50 = 100, so the total is 300."),
        ("tutor", "No, check 3 x 50 again."),
        ("student", "3 x 50 = 200, so the total is 400."),
        ("tutor", "Not quite. The answer is 3 x 50 = 150, so the total is 350."),
        problem="Three bids of $50 each are added to an opening bid of $200.",
    )
    result = analyze(hard, skills=[])
    kinds = {e.signal for e in result.signals}
    assert {"miscalculated", "changed", "revealed", "corrected"} <= kinds
    assert result.overall_struggle > analyze(SPOONS, skills=[]).overall_struggle
    assert result.onset is not None and result.onset.attempts >= 2


def test_confusion_before_any_working_goes_to_the_skill_it_names() -> None:
    result = analyze(chat(("student", "I don't understand the chain rule at all.")))
    struggle = result.struggle_by_skill()
    assert struggle[CHAIN.skill_id] > struggle[POWER.skill_id]
    assert result.steps == ()


def test_a_single_skill_takes_all_the_struggle() -> None:
    result = analyze(STUCK_ON_CHAIN_RULE, skills=[CHAIN])
    assert result.struggle_by_skill()[CHAIN.skill_id] >= 0.6


def test_empty_chat() -> None:
    result = analyze(Transcript(messages=()))
    assert result.struggle_by_skill() == {CHAIN.skill_id: 0.0, POWER.skill_id: 0.0}
    assert (result.onset, result.steps, result.summary) == (None, (), "")


def test_same_input_same_output() -> None:
    assert analyze(STUCK_ON_CHAIN_RULE) == analyze(STUCK_ON_CHAIN_RULE)


def test_a_stricter_onset_threshold_finds_no_onset() -> None:
    strict = replace(CONFIG, onset_threshold=0.99)
    result = analyze_transcript(
        STUCK_ON_CHAIN_RULE, skills=[CHAIN, POWER], similarity=LEXICAL, config=strict
    )
    assert result.onset is None


_text = st.text(alphabet="abcxy 0123456789=+-.?!'", max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["student", "tutor"]), _text), max_size=8))
def test_scores_stay_between_zero_and_one(turns: list[tuple[str, str]]) -> None:
    transcript = Transcript(tuple(Message(role, text) for role, text in turns))  # type: ignore[arg-type]
    result = analyze(transcript)
    assert 0.0 <= result.overall_struggle <= 1.0
    assert all(0.0 <= v <= 1.0 for v in result.struggle_by_skill().values())
    assert all(0.0 <= s.doubt <= 1.0 for s in result.steps)
