"""Solution steps in a tutor chat and how doubtful each one is.

The student's statements that carry a computation (a number or an ``=``) are *claims*.
A later claim that restates an earlier step (similar text, shared numbers, in a later
message) is another attempt at that step; otherwise it opens a new step. Each step then
collects doubt (0-1, noisy-or of weighted signals) from what follows it:

* ``corrected``: the tutor's next message corrects (or, more weakly, questions) it;
* ``disputed``: the tutor quotes its result in a corrective sentence;
* ``abandoned``: its derived result never comes back later in the chat;
* ``changed``: the student gives a different result at the same step (repeated attempts);
* ``revealed``: the tutor gives the answer away while discussing it;
* ``confusion`` / ``hint_request``: the student says so while discussing it;
* ``off_solution``: it derives a number the item's worked solution never reaches (only when
  the caller passes the worked solution).

The tutor endorsing a step's first attempt removes doubt. When some step's doubt shows a
struggle, the onset is the step the tutor's first reactions are most about
(core/transcript_onset.py): it gains ``focused`` doubt, and the steps stated before it keep
only part of theirs (the struggle began after them). Pure: the similarity backend is passed
in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.claims import (
    Claim,
    combined_similarity,
    evidence_at,
    extract_claims,
    group_steps,
    noisy_or,
    softmax,
)
from smartpractice.core.tutoring.onset import (
    Contradiction,
    choose_onset,
    contradicted_steps,
    revise_onset,
    tutor_focus,
)
from smartpractice.core.tutoring.text import (
    CONFUSION,
    CORRECTION,
    ENDORSEMENT,
    HINT_REQUEST,
    REVEAL,
    Sentence,
    miscalculations,
    numbers_in,
    sentences,
)
from smartpractice.core.tutoring.types import (
    Evidence,
    SignalKind,
    SimilarityBackend,
    SolutionStep,
    Transcript,
)

__all__ = ["StepAnalysis", "analyze_steps"]


@dataclass(frozen=True, slots=True)
class StepAnalysis:
    """The steps and the chat-level facts the analyzer needs.

    Attributes:
        steps: Steps in order of first appearance, with doubt 0-1 and evidence.
        contexts: Per step, its statements plus the tutor sentences aimed at it (for skill
            attribution).
        loose: Confusion / hint evidence not tied to any step.
        signals: Every signal in chat order.
        tutor_turns: Tutor messages.
        corrective_turns: Tutor messages that correct something.
        revealed: Whether the tutor gave an answer away.
        unresolved: Whether the chat ends on a correction or a reveal.
        onset: Index into `steps` of the step where the struggle began, or None.
        focus: Per step, how much the tutor's first reactions were about it (see
            core/transcript_onset.py; 0 when never).
    """

    steps: tuple[SolutionStep, ...]
    contexts: tuple[str, ...]
    loose: tuple[Evidence, ...]
    signals: tuple[Evidence, ...]
    tutor_turns: int
    corrective_turns: int
    revealed: bool
    unresolved: bool
    onset: int | None = None
    focus: tuple[float, ...] = ()


@dataclass(slots=True)
class _Step:
    """Mutable accumulator while reading the chat (internal)."""

    claims: list[int]
    evidence: list[Evidence]
    context: list[str]
    confirmed: float = 0.0


class _Reader:
    """Walks the chat once, attaching tutor feedback and student signals to steps."""

    def __init__(
        self,
        transcript: Transcript,
        similarity: SimilarityBackend,
        config: TranscriptConfig,
    ) -> None:
        self.transcript = transcript
        self.similarity = similarity
        self.config = config
        self.claims = extract_claims(transcript)
        self.given = set(numbers_in(transcript.problem, words=True))
        self.reference = set(numbers_in(transcript.solution)) if transcript.solution else None
        texts = [c.sentence.text for c in self.claims]
        numbers = [c.numbers for c in self.claims]
        raw = similarity.similarity(texts, texts) if texts else np.zeros((0, 0))
        sim = combined_similarity(raw, numbers, numbers, number_weight=config.number_weight)
        groups = group_steps(self.claims, sim, threshold=config.same_step_similarity)
        self.groups = groups
        self.steps = [_Step(g, [], [self.claims[g[0]].sentence.text]) for g in groups]
        self.step_of = {c: s for s, g in enumerate(groups) for c in g}
        self.focus: list[float] = [0.0] * len(self.steps)
        self.loose: list[Evidence] = []
        self.signals: list[Evidence] = []
        self.corrective_turns = 0
        self.revealed = False
        self.last_tutor_kind = ""
        self.feedback_turns = 0
        self.discussed: dict[int, float] = {}

    # -- targets ------------------------------------------------------------------------

    def _shares(
        self, text: str, candidates: Sequence[int], statements: Sequence[Claim] | None = None
    ) -> tuple[list[float], float]:
        """Share (0-1, summing to 1) of `text` aimed at each candidate step, and how clearly
        it refers to any of them (the largest combined similarity, 0-1). Steps are compared
        through `statements` (default: each step's first statement)."""
        firsts = list(statements or [self.claims[self.steps[s].claims[0]] for s in candidates])
        raw = self.similarity.similarity([text], [c.sentence.text for c in firsts])
        sim = combined_similarity(
            raw,
            [frozenset(numbers_in(text))],
            [c.numbers for c in firsts],
            number_weight=self.config.number_weight,
        )
        if len(candidates) == 1:
            return [1.0], float(sim[0, 0])
        return softmax(list(sim[0]), self.config.target_temperature), float(sim[0].max())

    def _steps_in(self, message_index: int) -> list[int]:
        found = [
            self.step_of[c] for c, cl in enumerate(self.claims) if cl.message_index == message_index
        ]
        return list(dict.fromkeys(found))

    def _steps_before(self, message_index: int) -> list[int]:
        found = [
            self.step_of[c] for c, cl in enumerate(self.claims) if cl.message_index < message_index
        ]
        return list(dict.fromkeys(found))

    def _add(self, step: int, evidence: Evidence, context: str | None = None) -> None:
        self.steps[step].evidence.append(evidence)
        if context and evidence.weight >= self.config.context_min_weight:
            self.steps[step].context.append(context)

    # -- tutor --------------------------------------------------------------------------

    def read_tutor(self, index: int, last_student: int | None) -> None:
        parts = sentences(self.transcript.messages[index].content)
        corrective = [s for s in parts if CORRECTION.search(s.text)]
        endorsing = not corrective and any(ENDORSEMENT.search(s.text) for s in parts)
        reveals = [
            s for s in parts if REVEAL.search(s.text) and numbers_in(s.text) and "?" not in s.text
        ]
        self.corrective_turns += bool(corrective)
        self.last_tutor_kind = "corrective" if corrective else "endorsing" if endorsing else ""
        if reveals:
            self.revealed = True
            self.last_tutor_kind = "revealed"
        targets = self._steps_in(last_student) if last_student is not None else []
        if targets and last_student is not None:
            self._feedback(index, parts, targets, last_student)
        self._disputes(index, corrective)
        for sentence in reveals:
            self._reveal(index, sentence)

    def _statement(self, step: int, message_index: int) -> Claim:
        """The step's statement in that message (its latest attempt there)."""
        members = [self.claims[c] for c in self.steps[step].claims]
        return [c for c in members if c.message_index == message_index][-1]

    def _feedback(
        self, index: int, parts: Sequence[Sentence], targets: Sequence[int], last_student: int
    ) -> None:
        """Each tutor sentence corrects (or questions, or endorses) the statements of the
        student's last message it is aimed at; a step keeps the strongest per message."""
        config = self.config
        decay = config.feedback_decay**self.feedback_turns
        self.feedback_turns += 1
        statements = [self._statement(step, last_student) for step in targets]
        strongest: dict[int, tuple[float, Sentence]] = {}
        for sentence in parts:
            shares, focus = self._shares(sentence.text, targets, statements)
            corrective = bool(CORRECTION.search(sentence.text))
            endorsing = not corrective and bool(ENDORSEMENT.search(sentence.text))
            for step, share in zip(targets, shares, strict=True):
                if endorsing:
                    first = self.claims[self.steps[step].claims[0]]
                    if first.message_index == last_student:
                        confirmed = max(self.steps[step].confirmed, share * focus)
                        self.steps[step].confirmed = confirmed
                    continue
                base = config.weight_corrected if corrective else config.weight_probed * focus
                weight = base * share * decay
                if weight > strongest.get(step, (0.0, sentence))[0]:
                    strongest[step] = (weight, sentence)
        for step, (weight, sentence) in strongest.items():
            self._add(step, evidence_at(index, sentence, "corrected", weight), sentence.text)
        total = sum(weight for weight, _ in strongest.values())
        self.discussed = {s: w / total for s, (w, _) in strongest.items()} if total > 0 else {}

    def _disputes(self, index: int, corrective: Sequence[Sentence]) -> None:
        for sentence in corrective:
            quoted = set(numbers_in(sentence.text)) - self.given
            for step in self._steps_before(index):
                results = {self.claims[c].result for c in self.steps[step].claims}
                if quoted & results:
                    weight = self.config.weight_disputed
                    self._add(step, evidence_at(index, sentence, "disputed", weight))

    def _reveal(self, index: int, sentence: Sentence) -> None:
        candidates = self._steps_before(index)
        evidence = evidence_at(index, sentence, "revealed", self.config.weight_reveal)
        self.signals.append(evidence)
        if not candidates:
            self.loose.append(evidence)
            return
        shares, _ = self._shares(sentence.text, candidates)
        for step, share in zip(candidates, shares, strict=True):
            weight = self.config.weight_reveal * share
            self._add(step, evidence_at(index, sentence, "revealed", weight))

    # -- student ------------------------------------------------------------------------

    def read_student(self, index: int, previous_tutor: int | None) -> None:
        context = (
            self.transcript.messages[previous_tutor].content if previous_tutor is not None else ""
        )
        cues: tuple[tuple[SignalKind, re.Pattern[str], float], ...] = (
            ("confusion", CONFUSION, self.config.weight_confusion),
            ("hint_request", HINT_REQUEST, self.config.weight_hint_request),
        )
        for sentence in sentences(self.transcript.messages[index].content):
            for signal, pattern, weight in cues:
                if pattern.search(sentence.text):
                    self._student_signal(index, sentence, signal, weight, context)

    def _student_signal(
        self, index: int, sentence: Sentence, signal: SignalKind, weight: float, context: str
    ) -> None:
        evidence = evidence_at(index, sentence, signal, weight)
        self.signals.append(evidence)
        candidates = self._steps_before(index + 1)
        if not candidates:
            self.loose.append(evidence)
            return
        if self.discussed:  # about what the tutor just raised
            candidates, shares = list(self.discussed), list(self.discussed.values())
        else:
            shares, _ = self._shares(f"{context} {sentence.text}", candidates)
        for step, share in zip(candidates, shares, strict=True):
            self._add(step, evidence_at(index, sentence, signal, weight * share), sentence.text)

    # -- after the whole chat -------------------------------------------------------------

    def result_signals(self) -> None:
        """``miscalculated`` (a wrong computation), ``changed`` (repeated attempts with new
        results), ``off_solution`` (a derived number the item's worked solution never
        reaches, when it is given) and ``abandoned`` (a derived result that never comes back)
        for every step."""
        mentioned = self._later_mentions()
        for number, step in enumerate(self.steps):
            for c in step.claims:
                claim = self.claims[c]
                tolerance = self.config.calculation_tolerance
                for start, end in miscalculations(claim.sentence.text, tolerance=tolerance):
                    span = Sentence(
                        claim.sentence.start + start,
                        claim.sentence.start + end,
                        claim.sentence.text[start:end],
                    )
                    weight = self.config.weight_miscalculated
                    self._add(
                        number, evidence_at(claim.message_index, span, "miscalculated", weight)
                    )
            results: list[float] = []
            for c in step.claims:
                result = self.claims[c].result
                if result is None or result in results:
                    continue
                if results:
                    weight = self.config.weight_changed
                    claim = self.claims[c]
                    evidence = evidence_at(claim.message_index, claim.sentence, "changed", weight)
                    self._add(number, evidence)
                results.append(result)
            first = self.claims[step.claims[0]]
            if self.reference is not None and first.numbers - self.given - self.reference:
                weight = self.config.weight_off_solution
                step.evidence.append(
                    evidence_at(first.message_index, first.sentence, "off_solution", weight)
                )
            if first.result is None or not mentioned:
                continue
            later = [n for i, n in mentioned if i > first.message_index]
            if later and not any(first.result in numbers for numbers in later):
                weight = self.config.weight_abandoned
                step.evidence.append(
                    evidence_at(first.message_index, first.sentence, "abandoned", weight)
                )

    def _later_mentions(self) -> list[tuple[int, set[float]]]:
        """Per message after a claim: the numbers students state and tutors endorse."""
        mentions: list[tuple[int, set[float]]] = []
        for index, message in enumerate(self.transcript.messages):
            numbers: set[float] = set()
            for sentence in sentences(message.content):
                if message.role == "tutor" and CORRECTION.search(sentence.text):
                    continue
                numbers |= set(numbers_in(sentence.text))
            if numbers:
                mentions.append((index, numbers))
        return mentions

    def _doubts(self) -> list[float]:
        config = self.config
        return [
            noisy_or([e.weight for e in step.evidence])
            * (1.0 - config.weight_confirmed * step.confirmed)
            for step in self.steps
        ]

    def onset(self) -> int | None:
        """Choose the onset; it gains ``focused`` doubt from the tutor message that was most
        about it, and earlier steps keep ``1 - onset_credit`` of their doubt (`finish`)."""
        focus = tutor_focus(
            self.transcript,
            self.claims,
            self.groups,
            similarity=self.similarity,
            config=self.config,
        )
        self.focus = [f.score for f in focus]
        onset = choose_onset(self._doubts(), focus, config=self.config)
        contradicted: dict[int, Contradiction] = {}
        if onset is not None and self.config.contradiction_onset:
            contradicted = contradicted_steps(
                self.transcript, self.claims, self.groups, config=self.config
            )
            moved = revise_onset(onset, contradicted)
        else:
            moved = onset
        index = focus[onset].message_index if onset is not None else None
        if onset is not None and index is not None and self.config.weight_onset > 0:
            content = self.transcript.messages[index].content
            span = Sentence(0, len(content), content)
            # No skill context: the whole message may discuss other steps too.
            self._add(onset, evidence_at(index, span, "focused", self.config.weight_onset))
        if moved != onset and moved is not None and self.config.weight_onset > 0:
            found = contradicted[moved]
            weight = self.config.weight_onset
            evidence = evidence_at(found.message_index, found.sentence, "contradicted", weight)
            self._add(moved, evidence, found.sentence.text)
        return moved

    def finish(self) -> StepAnalysis:
        self.result_signals()
        onset = self.onset()
        doubts = self._doubts()
        steps: list[SolutionStep] = []
        for number, step in enumerate(self.steps):
            first = self.claims[step.claims[0]]
            doubt = doubts[number]
            if onset is not None and number < onset:
                doubt *= 1.0 - self.config.onset_credit
            evidence = tuple(sorted(step.evidence, key=lambda e: -e.weight))
            steps.append(
                SolutionStep(
                    index=number,
                    message_index=first.message_index,
                    start=first.sentence.start,
                    end=first.sentence.end,
                    text=first.sentence.text,
                    doubt=round(doubt, 4),
                    attempts=len(step.claims),
                    evidence=evidence,
                )
            )
            self.signals.extend(step.evidence)
        signals = tuple(sorted(set(self.signals), key=lambda e: (e.message_index, e.start)))
        return StepAnalysis(
            steps=tuple(steps),
            contexts=tuple(" ".join(step.context) for step in self.steps),
            loose=tuple(self.loose),
            signals=signals,
            tutor_turns=sum(m.role == "tutor" for m in self.transcript.messages),
            corrective_turns=self.corrective_turns,
            revealed=self.revealed,
            unresolved=self.last_tutor_kind in ("corrective", "revealed"),
            onset=onset,
            focus=tuple(self.focus),
        )


def analyze_steps(
    transcript: Transcript, *, similarity: SimilarityBackend, config: TranscriptConfig
) -> StepAnalysis:
    """Find the student's solution steps in a chat and how doubtful each one is.

    Args:
        transcript: The chat (and the problem text, to tell given from derived numbers).
        similarity: Text similarity backend (values in [-1, 1]).
        config: Weights and thresholds.

    Returns:
        Steps in order of first appearance with doubt 0-1, and chat-level facts.
    """
    reader = _Reader(transcript, similarity, config)
    last_student: int | None = None
    last_tutor: int | None = None
    for index, message in enumerate(transcript.messages):
        if message.role == "tutor":
            reader.read_tutor(index, last_student)
            last_tutor = index
        else:
            reader.read_student(index, last_tutor)
            last_student = index
    return reader.finish()
