"""Text helpers of the analyzer: sentences, numbers, computations, cues and redaction."""

from __future__ import annotations

import pytest

from smartpractice.core.tutoring.text import (
    CONFUSION,
    CORRECTION,
    HINT_REQUEST,
    REVEAL,
    miscalculations,
    numbers_in,
    redact_personal_data,
    result_number,
    sentences,
    strip_move_tag,
)


def test_sentences_keep_offsets_and_decimals() -> None:
    content = "He paid $1.5 each. Then 3 x 1.5 = 4.5!\nDone"
    found = sentences(content)
    assert [s.text for s in found] == ["He paid $1.5 each.", "Then 3 x 1.5 = 4.5!", "Done"]
    assert all(content[s.start : s.end] == s.text for s in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,200.50 and 40%", (1200.5, 40.0)),
        ("3x^2 + 2x", (3.0, 2.0, 2.0)),  # coefficients count
        ("12,3 apples", (12.0, 3.0)),  # not a thousands separator
        ("x2 is a name", ()),  # a digit glued to a word is not a number
    ],
)
def test_numbers_in(text: str, expected: tuple[float, ...]) -> None:
    assert numbers_in(text) == expected


def test_number_words_only_when_asked() -> None:
    assert numbers_in("three dozen eggs") == ()
    assert numbers_in("three dozen eggs", words=True) == (3.0, 12.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so she had 12 - 3 = 9 spoons left", 9.0),
        ("the total is $350", 350.0),
        ("I got 4 balls", 4.0),
        ("He bought some spoons", None),
    ],
)
def test_result_number(text: str, expected: float | None) -> None:
    assert result_number(text) == expected


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("3 x 68 = 2448", True),  # MathDial: 3 dozen at $68
        ("3 x 68 = 204", False),
        ("$200 + $150 + $150 = $350", True),
        ("2 x 12 + 5 = 30", True),  # precedence: 29
        ("80 + 220 - 23 = 277", False),
        ("10/3 = 3.33", False),  # rounding is fine
        ("10% x 200 = 20", False),  # percentages
        ("3 times 4 = 13", True),
        ("x + 5 = 9", False),  # algebra is not checked
    ],
)
def test_miscalculations(text: str, wrong: bool) -> None:
    assert bool(miscalculations(text)) is wrong


@pytest.mark.parametrize(
    ("pattern", "text", "hit"),
    [
        (CONFUSION, "I don't understand the chain rule", True),
        (CONFUSION, "I'm confused about the inside part", True),
        (CONFUSION, "I understand now", False),
        (HINT_REQUEST, "Can I get a hint?", True),
        (HINT_REQUEST, "Can you help me with this step?", True),
        (HINT_REQUEST, "I multiplied 3 by 4", False),
        (CORRECTION, "Not quite, check your subtraction", True),
        (CORRECTION, "Great work!", False),
        (REVEAL, "The answer is 10", True),
        (REVEAL, "3 x 50 is 150", True),
        (REVEAL, "What is 3 x 50?", False),
    ],
)
def test_cue_phrases(pattern: object, text: str, hit: bool) -> None:
    assert bool(pattern.search(text)) is hit  # type: ignore[attr-defined]


def test_strip_move_tag() -> None:
    assert strip_move_tag("(focus)How many spoons?") == "How many spoons?"
    assert strip_move_tag("(x + 1) is a factor") == "(x + 1) is a factor"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at riya.k+maths@example.co.in ok", "mail me at [email] ok"),
        ("call +91 98765 43210 now", "call [phone] now"),
        ("call 098765-43210", "call [phone]"),
        ("my number is 9876543210.", "my number is [phone]."),
        ("office (022) 2345 6789", "office [phone]"),
        ("helpline 1800-180-1551", "helpline [phone]"),
        # arithmetic and big numbers stay
        (
            "12 - 3 = 9 and 1000 - 250 - 50 - 100 = 600",
            "12 - 3 = 9 and 1000 - 250 - 50 - 100 = 600",
        ),
        ("2,000,000 people", "2,000,000 people"),
        ("1 2 3 4 5 6 7 8 9 10", "1 2 3 4 5 6 7 8 9 10"),
        ("pi is 3.14159265358979", "pi is 3.14159265358979"),
    ],
)
def test_redact_personal_data(text: str, expected: str) -> None:
    assert redact_personal_data(text) == expected
