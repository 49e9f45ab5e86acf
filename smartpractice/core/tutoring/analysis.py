"""AI-tutor transcript analysis: where the student struggled, and with which skill.

`analyze_transcript` reads one tutor chat about one item and returns, per
skill of the item, a struggle score 0-1 with its evidence (message index and text span),
the solution step where the struggle began, recognised catalogue misconceptions and a short
extractive summary. The struggle scores feed `GradedAttempt.struggles`, which lowers the
performance a_s of those skills only (core/evidence.py, `EvidenceConfig.struggle_penalty`).

Signals: statements of confusion, requests for hints, wrong intermediate results the tutor
corrects, the tutor revealing the answer, repeated attempts at one step (core/
transcript_steps.py). Text similarity is injected (`SimilarityBackend`), so this module is
pure: stdlib + NumPy. Call `redact_personal_data` on anything stored or sent elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.steps import StepAnalysis, analyze_steps
from smartpractice.core.tutoring.text import redact_personal_data, sentences
from smartpractice.core.tutoring.types import (
    Evidence,
    FloatMatrix,
    Message,
    Misconception,
    RecognisedMisconception,
    Role,
    SimilarityBackend,
    SkillDescriptor,
    SkillStruggle,
    SolutionStep,
    Transcript,
    TranscriptAnalysis,
)

__all__ = [
    "Evidence",
    "FloatMatrix",
    "Message",
    "Misconception",
    "RecognisedMisconception",
    "Role",
    "SimilarityBackend",
    "SkillDescriptor",
    "SkillStruggle",
    "SolutionStep",
    "Transcript",
    "TranscriptAnalysis",
    "analyze_transcript",
    "attribute_to_skills",
    "overall_struggle",
    "recognise_misconceptions",
    "redact_personal_data",
    "summarise",
]


def _noisy_or(weights: Sequence[float]) -> float:
    return 1.0 - math.prod(1.0 - min(max(w, 0.0), 1.0) for w in weights)


def attribute_to_skills(
    texts: Sequence[str],
    skills: Sequence[SkillDescriptor],
    *,
    similarity: SimilarityBackend,
    config: TranscriptConfig,
) -> FloatMatrix:
    """Share (0-1, each row summing to 1 or 0) of each text's evidence per skill.

    A softmax over the skills' similarity to the text (temperature
    `config.skill_temperature`); shares below `config.skill_floor` are dropped and the rest
    renormalised. With one skill, every share is 1.
    """
    if not texts or not skills:
        return np.zeros((len(texts), len(skills)))
    if len(skills) == 1:
        return np.ones((len(texts), 1))
    sim = np.asarray(similarity.similarity(list(texts), [s.text for s in skills]), dtype=float)
    logits = (sim - sim.max(axis=1, keepdims=True)) / max(config.skill_temperature, 1e-6)
    shares = np.exp(logits)
    shares /= shares.sum(axis=1, keepdims=True)
    shares[shares < config.skill_floor] = 0.0
    total = shares.sum(axis=1, keepdims=True)
    normalised: FloatMatrix = np.divide(shares, total, out=np.zeros_like(shares), where=total > 0)
    return normalised


def _skill_struggles(
    found: StepAnalysis,
    skills: Sequence[SkillDescriptor],
    *,
    similarity: SimilarityBackend,
    config: TranscriptConfig,
) -> dict[str, SkillStruggle]:
    """Noisy-or of (step doubt x skill share) and (loose signal x skill share) per skill."""
    texts = [*found.contexts, *(e.text for e in found.loose)]
    shares = attribute_to_skills(texts, skills, similarity=similarity, config=config)
    units: list[tuple[float, tuple[Evidence, ...]]] = [(s.doubt, s.evidence) for s in found.steps]
    units += [(e.weight, (e,)) for e in found.loose]
    result: dict[str, SkillStruggle] = {}
    for k, skill in enumerate(skills):
        weights = [strength * float(shares[u, k]) for u, (strength, _) in enumerate(units)]
        evidence = [e for u, (_, ev) in enumerate(units) if shares[u, k] > 0 for e in ev]
        evidence.sort(key=lambda e: -e.weight)
        result[skill.skill_id] = SkillStruggle(
            skill_id=skill.skill_id,
            struggle=round(_noisy_or(weights), 4),
            evidence=tuple(dict.fromkeys(evidence)),
        )
    return result


def overall_struggle(found: StepAnalysis, *, config: TranscriptConfig) -> float:
    """Transcript-level struggle (severity), 0-1: a noisy-or of the largest step doubt, each
    tutor message, each corrective tutor message, a revealed answer, each confusion or hint
    statement and an unresolved ending, weighted by `config.severity_weights` in that order."""
    w_doubt, w_turn, w_correction, w_reveal, w_statement, w_unresolved = config.severity_weights
    statements = sum(e.signal in ("confusion", "hint_request") for e in found.signals)
    weights = [w_doubt * max((s.doubt for s in found.steps), default=0.0)]
    weights += [w_turn] * found.tutor_turns + [w_correction] * found.corrective_turns
    weights += [w_reveal * found.revealed, w_unresolved * found.unresolved]
    weights += [w_statement] * statements
    return round(_noisy_or(weights), 4)


def _misconception_texts(entry: Misconception) -> list[str]:
    return [entry.description, *entry.example_wrong_answers]


def _squash(text: str) -> str:
    return "".join(text.lower().split())


def recognise_misconceptions(
    transcript: Transcript,
    catalogue: Sequence[Misconception],
    *,
    similarity: SimilarityBackend,
    config: TranscriptConfig,
) -> tuple[RecognisedMisconception, ...]:
    """Catalogue misconceptions whose description or example wrong answers match a student
    sentence (similarity >= `config.misconception_threshold`, or the example written out
    verbatim), one entry per misconception, strongest first."""
    spans = [
        (i, s)
        for i, m in enumerate(transcript.messages)
        if m.role == "student"
        for s in sentences(m.content)
    ]
    if not spans or not catalogue:
        return ()
    targets = [(k, t) for k, entry in enumerate(catalogue) for t in _misconception_texts(entry)]
    sim = similarity.similarity([s.text for _, s in spans], [t for _, t in targets])
    best: dict[int, RecognisedMisconception] = {}
    for row, (index, sentence) in enumerate(spans):
        for col, (k, target) in enumerate(targets):
            verbatim = len(target) > 2 and _squash(target) in _squash(sentence.text)
            score = 1.0 if verbatim else float(sim[row, col])
            if score < config.misconception_threshold:
                continue
            if k in best and best[k].score >= score:
                continue
            entry = catalogue[k]
            evidence = Evidence(
                index, sentence.start, sentence.end, sentence.text, "misconception", round(score, 4)
            )
            best[k] = RecognisedMisconception(
                entry.misconception_id, entry.skill_id, round(score, 4), evidence
            )
    return tuple(sorted(best.values(), key=lambda r: -r.score))


def summarise(
    transcript: Transcript, found: StepAnalysis, onset: SolutionStep | None, *, limit: int
) -> str:
    """Up to `limit` sentences quoted from the chat, in chat order: where the struggle
    began, the tutor's first correction of it, the first confusion or hint request, the
    first reveal, and the student's last sentence."""
    picked: list[tuple[int, int, str]] = []
    if onset is not None:
        picked.append((onset.message_index, onset.start, onset.text))
        corrected = [e for e in onset.evidence if e.signal == "corrected"]
        if corrected:
            first = min(corrected, key=lambda e: (e.message_index, e.start))
            picked.append((first.message_index, first.start, first.text))
    for kinds in (("confusion", "hint_request"), ("revealed",)):
        hit = next((e for e in found.signals if e.signal in kinds), None)
        if hit is not None:
            picked.append((hit.message_index, hit.start, hit.text))
    last = max((i for i, m in enumerate(transcript.messages) if m.role == "student"), default=None)
    if last is not None and (parts := sentences(transcript.messages[last].content)):
        picked.append((last, parts[-1].start, parts[-1].text))
    unique = sorted(set(picked))[: max(limit, 0)]
    roles = {"student": "Student", "tutor": "Tutor"}
    return " ".join(f"{roles[transcript.messages[i].role]}: {text}" for i, _, text in unique)


def analyze_transcript(
    transcript: Transcript,
    *,
    skills: Sequence[SkillDescriptor],
    similarity: SimilarityBackend,
    config: TranscriptConfig,
    misconceptions: Sequence[Misconception] = (),
) -> TranscriptAnalysis:
    """Analyse one tutor chat about one item.

    Args:
        transcript: The messages (and the problem text, if known).
        skills: The item's skills; every one gets a struggle entry (0 when untouched).
        similarity: Text similarity backend (local embeddings, lexical, or an LLM).
        config: Weights and thresholds (`ModelConfig.transcripts`).
        misconceptions: Catalogue entries to look for (usually those of `skills`).

    Returns:
        Per-skill struggle 0-1 with evidence, the onset step, the steps, every signal,
        recognised misconceptions, an extractive summary and the backend's name.
    """
    found = analyze_steps(transcript, similarity=similarity, config=config)
    onset = found.steps[found.onset] if found.onset is not None else None
    skill_ids = {s.skill_id for s in skills}
    catalogue = [m for m in misconceptions if not skill_ids or m.skill_id in skill_ids]
    return TranscriptAnalysis(
        struggles=_skill_struggles(found, skills, similarity=similarity, config=config),
        overall_struggle=overall_struggle(found, config=config),
        onset=onset,
        steps=found.steps,
        signals=found.signals,
        misconceptions=recognise_misconceptions(
            transcript, catalogue, similarity=similarity, config=config
        ),
        summary=summarise(transcript, found, onset, limit=config.summary_sentences),
        backend=similarity.name,
    )
