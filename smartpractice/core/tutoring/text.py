"""Text helpers of the transcript analyzer: sentences with offsets, numbers, cue phrases and
redaction of personal data. Pure functions on strings (stdlib only).

The cue phrases are English as written by school students and tutors in chats (MathDial
dialogues and Indian ed-tech chats); they are constants here rather than settings because
they describe the language, not a tuning choice. Weights live in `TranscriptConfig`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CONFUSION",
    "CORRECTION",
    "ENDORSEMENT",
    "HINT_REQUEST",
    "REVEAL",
    "Sentence",
    "miscalculations",
    "numbers_in",
    "redact_personal_data",
    "result_number",
    "sentences",
    "strip_move_tag",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[$A-Z0-9])|\s*\n+\s*")
_NUMBER = re.compile(r"(?<![\w.])[-\u2212]?[$₹£€]?\d+(?:,\d{3})*(?:\.\d+)?%?")
_NUMBER_WORDS = {
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "eleven": 11.0,
    "twelve": 12.0,
    "dozen": 12.0,
    "twice": 2.0,
    "double": 2.0,
    "half": 0.5,
    "triple": 3.0,
    "hundred": 100.0,
}
_WORD = re.compile(r"[a-z]+")
_RESULT_AFTER = re.compile(
    r"(?:=|\b(?:is|was|are|were|equals|gives|gave|get|got|makes|leaves|left)\b)\s*(?:[a-z ]{0,12})"
    r"([-\u2212]?[$₹£€]?\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)
_MOVE_TAG = re.compile(r"^\s*\((?:generic|focus|probing|telling)\)\s*", re.IGNORECASE)


def _cue(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(phrases) + r")(?![\w'])", re.IGNORECASE)


CONFUSION = _cue(
    r"i\s*(?:do\s*n[o']?t|dont|don\u2019t|can\s*n[o']?t|cant|can\u2019t)\s+(?:understand|get|see|follow|"
    r"know how|know what|know where|figure)",
    r"i'?\s*a?m\s+(?:confused|lost|stuck|not sure|unsure)",
    r"(?:confused|confusing|no idea|makes no sense|doesn'?t make sense)",
    r"how do (?:i|you|we) (?:do|solve|find|start|get)",
    r"what does (?:that|this|it) mean",
    r"i (?:have no|got no) clue",
)
"""A student saying they do not understand."""
HINT_REQUEST = _cue(
    r"(?:a |one more |another |any )?(?:hint|clue)s?",
    r"help me",
    r"can you (?:help|explain|show|tell me)",
    r"what (?:should|do) i do (?:next|now)",
    r"where do i (?:start|begin)",
    r"i need help",
)
"""A student asking for a hint or for help."""
CORRECTION = _cue(
    r"no",
    r"nope",
    r"not (?:quite|correct|right|exactly|really|true)",
    r"incorrect",
    r"wrong",
    r"mistake",
    r"(?:re)?check",
    r"careful",
    r"are you sure",
    r"is(?:n'?t| not) (?:right|correct)",
    r"try again",
    r"rethink",
    r"look (?:again|back)",
    r"go back",
    r"start again",
    r"slow down",
    r"misunderst\w*",
    r"misread",
    r"overcomplicated",
    r"too far",
    r"instead",
    r"remember",
    r"don'?t need",
    r"does(?:n'?t| not)",
    r"should(?:n'?t| not)",
    r"but",
    r"you (?:need|have) to",
)
"""A tutor correcting or casting doubt."""
ENDORSEMENT = _cue(
    r"yes",
    r"yep",
    r"correct(?:ly)?",
    r"right",
    r"good",
    r"great",
    r"well done",
    r"excellent",
    r"perfect",
    r"brilliant",
    r"exactly",
    r"agree",
    r"nice",
    r"that'?s it",
    r"spot on",
)
"""A tutor confirming."""
REVEAL = re.compile(
    r"(?:the (?:correct |right |final )?answer (?:is|should be|was|would be)"
    r"|(?:it|that|this) should be|the solution is|which (?:makes|gives|leaves)"
    r"|\d\s*(?:[-+x\u00d7*/\u00f7]|times|plus|minus|divided by)\s*\$?\d[^?]*?"
    r"(?:=|\bis\b|\bmakes\b|\bgives\b|\bequals\b)\s*[$₹£€]?\d)",
    re.IGNORECASE,
)
"""A tutor giving the answer away: "the answer is ...", or working a computation out to its
result ("3 x 50 is 150"). Only sentences with a number and no question mark count."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a message with its offsets (``text == content[start:end]``)."""

    start: int
    end: int
    text: str


def sentences(content: str) -> list[Sentence]:
    """Split a message into sentences, keeping character offsets; decimals stay whole."""
    found: list[Sentence] = []
    start = 0
    for boundary in [*_SENTENCE_END.finditer(content), None]:
        end = boundary.start() if boundary else len(content)
        piece = content[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + piece.index(stripped)
            found.append(Sentence(offset, offset + len(stripped), stripped))
        if boundary:
            start = boundary.end()
    return found


def _to_float(token: str) -> float | None:
    cleaned = token.replace(",", "").replace("\u2212", "-").rstrip("%")
    cleaned = cleaned.lstrip("$₹£€").replace("-$", "-").replace("-₹", "-")
    try:
        return float(cleaned)
    except ValueError:
        return None


def numbers_in(text: str, *, words: bool = False) -> tuple[float, ...]:
    """Numbers written in `text` (currency signs, thousands commas and % dropped).

    Args:
        text: Any text.
        words: Also read number words such as "three", "dozen" or "half".
    """
    found = [v for v in (_to_float(m.group()) for m in _NUMBER.finditer(text)) if v is not None]
    if words:
        found += [_NUMBER_WORDS[w] for w in _WORD.findall(text.lower()) if w in _NUMBER_WORDS]
    return tuple(found)


def result_number(text: str) -> float | None:
    """The result a statement arrives at: the number after the last ``=`` or "is/was/gives…",
    else None."""
    matches = list(_RESULT_AFTER.finditer(text))
    return _to_float(matches[-1].group(1)) if matches else None


_OPERAND = r"[$₹£€]?\d[\d,]*(?:\.\d+)?%?"
_OPERATOR = r"(?:[-+x\u00d7*/\u00f7\u2212]|times|plus|minus|divided by)"
_EQUATION = re.compile(
    rf"(?<![\w.])({_OPERAND}(?:\s*{_OPERATOR}\s*{_OPERAND})+)\s*=\s*([-\u2212]?{_OPERAND})",
    re.IGNORECASE,
)
_TOKENS = re.compile(rf"{_OPERAND}|{_OPERATOR}", re.IGNORECASE)
_OPERATORS = {"x": "*", "\u00d7": "*", "*": "*", "times": "*", "/": "/", "\u00f7": "/"}
_OPERATORS |= {"divided by": "/", "+": "+", "plus": "+", "-": "-", "\u2212": "-", "minus": "-"}


def _evaluate(expression: str) -> float | None:
    """Value of ``a op b op c ...`` with the usual precedence; None if unreadable."""
    tokens = _TOKENS.findall(expression)
    values = [_to_float(t) for t in tokens[::2]]
    values = [
        v / 100 if v is not None and t.endswith("%") else v
        for v, t in zip(values, tokens[::2], strict=True)
    ]
    operators = [_OPERATORS.get(t.lower()) for t in tokens[1::2]]
    if any(v is None for v in values) or None in operators or len(values) != len(operators) + 1:
        return None
    terms: list[float] = [values[0]]  # type: ignore[list-item]
    signs: list[str] = []
    for operator, value in zip(operators, values[1:], strict=True):
        assert value is not None
        if operator == "*":
            terms[-1] *= value
        elif operator == "/":
            if value == 0:
                return None
            terms[-1] /= value
        else:
            signs.append(str(operator))
            terms.append(value)
    total = terms[0]
    for sign, term in zip(signs, terms[1:], strict=True):
        total = total + term if sign == "+" else total - term
    return total


def miscalculations(text: str, *, tolerance: float = 0.01) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of written computations ``a op b ... = r`` whose result is
    wrong by more than `tolerance` (relative, and at least 0.01 absolute, so rounded
    results such as ``10 / 3 = 3.33`` pass)."""
    wrong: list[tuple[int, int]] = []
    for match in _EQUATION.finditer(text):
        value = _evaluate(match.group(1))
        stated = _to_float(match.group(2))
        if value is None or stated is None:
            continue
        if abs(value - stated) > max(0.01, tolerance * abs(value)):
            wrong.append((match.start(), match.end()))
    return wrong


def strip_move_tag(text: str) -> str:
    """Drop a MathDial teacher move tag such as ``(focus)`` from the start of a message."""
    return _MOVE_TAG.sub("", text, count=1)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_CANDIDATE = re.compile(r"(?<![\w+(])[+(]?\d[\d \t()-]{7,}\d(?!\w)")


def _looks_like_phone(candidate: str) -> bool:
    groups = re.findall(r"\d+", candidate)
    digits = sum(len(g) for g in groups)
    if re.search(r"\s-\s", candidate):  # "1000 - 250 - 50": subtraction, not a phone number
        return False
    return 10 <= digits <= 13 and len(groups) <= 4 and max(len(g) for g in groups) >= 3


def redact_personal_data(text: str) -> str:
    """Replace e-mail addresses with ``[email]`` and phone numbers with ``[phone]``.

    A phone number is 10-13 digits in at most four groups, optionally with a ``+country``
    prefix, spaces, hyphens or brackets (``+91 98765 43210``, ``(022) 2345-6789``,
    ``1800-180-1551``). Arithmetic such as ``12 - 3 = 9`` or ``2,000,000`` is left alone.
    """
    redacted = _EMAIL.sub("[email]", text)

    def replace(match: re.Match[str]) -> str:
        return "[phone]" if _looks_like_phone(match.group()) else match.group()

    return _PHONE_CANDIDATE.sub(replace, redacted)
