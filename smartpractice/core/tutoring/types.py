"""Plain frozen data of the AI-tutor transcript analyzer.

Inputs: a `Transcript` (the tutor chat of one attempt), the item's skills as
`SkillDescriptor`s and a catalogue of `Misconception`s. Output: a `TranscriptAnalysis`.
The text-similarity model is injected as a `SimilarityBackend`, so this module and the
analyzer stay pure (stdlib + NumPy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Evidence",
    "FloatMatrix",
    "Message",
    "Misconception",
    "RecognisedMisconception",
    "Role",
    "SignalKind",
    "SimilarityBackend",
    "SkillDescriptor",
    "SkillStruggle",
    "SolutionStep",
    "Transcript",
    "TranscriptAnalysis",
]

Role = Literal["student", "tutor"]
SignalKind = Literal[
    "confusion",
    "hint_request",
    "corrected",
    "disputed",
    "abandoned",
    "changed",
    "miscalculated",
    "revealed",
    "misconception",
    "focused",
    "contradicted",
    "off_solution",
]
FloatMatrix = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message.

    Attributes:
        role: ``"student"`` or ``"tutor"``.
        content: The text as sent (already redacted if it is to be stored).
        sent_at: When it was sent, if known.
    """

    role: Role
    content: str
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    """A tutor chat about one problem.

    Attributes:
        messages: The chat in order.
        problem: The question the student was solving (its text), if known. Only used to tell
            numbers given in the problem from numbers the student derived.
        solution: Optional: the item's worked solution (its text), when the item has one.
            A student step that derives a number the worked solution never reaches gains
            ``off_solution`` doubt. Leave empty when the item has none; the analyzer then
            relies on the chat alone (the default the evaluation reports first).
    """

    messages: tuple[Message, ...]
    problem: str = ""
    solution: str = ""


@dataclass(frozen=True, slots=True)
class SkillDescriptor:
    """A skill the item tests, described for text matching.

    Attributes:
        skill_id: Hierarchical id, e.g. ``math:calculus:derivatives:chain_rule``.
        name: Human name, e.g. ``"Chain rule"``.
        description: One or two sentences on what using the skill looks like.
    """

    skill_id: str
    name: str
    description: str = ""

    @property
    def text(self) -> str:
        """Name and description, the text matched against the chat."""
        return f"{self.name}: {self.description}" if self.description else self.name


@dataclass(frozen=True, slots=True)
class Misconception:
    """A known misconception of one skill (a catalogue entry).

    Attributes:
        misconception_id: Stable id, e.g. ``chain_rule.forgets_inner_derivative``.
        skill_id: The skill it belongs to.
        description: What the student wrongly believes or does.
        example_wrong_answers: Typical wrong statements or results it produces.
    """

    misconception_id: str
    skill_id: str
    description: str
    example_wrong_answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where in the chat a signal was found.

    Attributes:
        message_index: Index of the message in `Transcript.messages` (0-based).
        start: Offset of the span's first character in the message content.
        end: Offset one past its last character.
        text: The span itself (``content[start:end]``).
        signal: What was seen there.
        weight: How much struggle (0-1) this signal contributes before attribution.
    """

    message_index: int
    start: int
    end: int
    text: str
    signal: SignalKind
    weight: float


@dataclass(frozen=True, slots=True)
class SolutionStep:
    """A step of the student's solution as it appears in the chat: a statement the student
    made, with every later attempt at the same step.

    Attributes:
        index: Order of first appearance (0-based).
        message_index: Message of its first statement.
        start: Span start of its first statement in that message.
        end: Span end.
        text: Its first statement.
        doubt: How likely (0-1) this step is where the student went wrong.
        attempts: Statements made at this step (>= 1).
        evidence: The signals behind `doubt`.
    """

    index: int
    message_index: int
    start: int
    end: int
    text: str
    doubt: float
    attempts: int = 1
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class SkillStruggle:
    """How much the student struggled with one skill of the item.

    Attributes:
        skill_id: The skill.
        struggle: 0 (no sign of trouble) to 1 (stuck); feeds `GradedAttempt.struggles`.
        evidence: Signals attributed to this skill, strongest first.
    """

    skill_id: str
    struggle: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class RecognisedMisconception:
    """A catalogue misconception seen in the student's words.

    Attributes:
        misconception_id: The catalogue entry.
        skill_id: Its skill.
        score: Match strength, 0-1.
        evidence: The student statement that matched.
    """

    misconception_id: str
    skill_id: str
    score: float
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class TranscriptAnalysis:
    """What a tutor chat says about the student.

    Attributes:
        struggles: Per skill of the item, its struggle and evidence.
        overall_struggle: Transcript-level struggle, 0-1 (severity: higher when the tutor had
            to correct repeatedly, revealed the answer, or the chat ended unresolved).
        onset: The step where the struggle began, or None when nothing went wrong.
        steps: The student's solution steps as found in the chat, in order.
        signals: Every signal found, in chat order.
        misconceptions: Recognised catalogue misconceptions, strongest first.
        summary: A short extractive summary (sentences quoted from the chat).
        backend: Name of the similarity backend that was used.
        notes: Anything the caller should know, e.g. that a backend fell back to another.
    """

    struggles: Mapping[str, SkillStruggle]
    overall_struggle: float
    onset: SolutionStep | None
    steps: tuple[SolutionStep, ...] = ()
    signals: tuple[Evidence, ...] = ()
    misconceptions: tuple[RecognisedMisconception, ...] = ()
    summary: str = ""
    backend: str = ""
    notes: tuple[str, ...] = ()

    def struggle_by_skill(self) -> dict[str, float]:
        """``{skill_id: struggle}``, ready for `GradedAttempt.struggles`."""
        return {skill: entry.struggle for skill, entry in self.struggles.items()}


@runtime_checkable
class SimilarityBackend(Protocol):
    """Text similarity, injected into the analyzer (local embeddings, lexical, or an LLM).

    `similarity` returns a matrix of shape ``(len(queries), len(targets))`` with values in
    [-1, 1] (cosine-like; 1 = same meaning). It must not mutate its inputs and may cache.
    """

    @property
    def name(self) -> str:
        """Short name reported with the results, e.g. ``"local"``."""
        ...

    def similarity(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        """Similarity of every query to every target, shape (len(queries), len(targets))."""
        ...
