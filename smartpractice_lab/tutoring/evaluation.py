"""``smartpractice evaluate-transcripts``: the analyzer on real tutoring dialogues.

Protocol (the data README):

* The detector (`analyze_transcript`) sees the problem text and the conversation only,
  MathDial move tags stripped; never a label field.
* Problems (``qid``) are split into a development part (40%, used to tune
  `TranscriptConfig`) and a report part; numbers are reported on the report part.
* Step localisation: the step the detector says the struggle began at (its onset; when it
  finds none, its first step) is mapped to the annotated solution steps by a fixed lexical
  alignment (word TF-IDF cosine and number overlap, the same for every backend, so backends
  differ only in the detector); scored exact and within one step against the majority
  annotation (ties: the earlier step), beside the trivial baselines and the teachers' own
  agreement (0.60 / 0.87).
* Per-step credit: every annotated step up to the first wrong one gets the largest doubt of
  the detector's steps aligned to it; the first wrong step is a positive, earlier steps are
  real negatives. Precision, recall and F1 at `TranscriptConfig.credit_threshold`, and the
  best precision at recall >= 0.5.
* Severity: the transcript-level struggle against ``self-correctness`` (resolved < answer
  revealed < unresolved): AUROC of "not resolved alone" and Spearman's rho.
* 95% intervals: percentile bootstrap over problems.
* ``with_solution``: also give the detector the problem's reference worked solution (GSM8K's,
  MathDial's ``ground_truth``) as the item's optional `Transcript.solution`. Off by default:
  the headline figures are from the problem and the conversation alone.

MathDial's students are role-played by a language model (its teachers are real people).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from smartpractice.adapters.similarity.backends import BackendName, FallbackBackend, make_backend
from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.adapters.similarity.llm import LLMBackend, LLMSettings
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from smartpractice.core.tutoring.claims import combined_similarity
from smartpractice.core.tutoring.text import numbers_in
from smartpractice.core.tutoring.types import SimilarityBackend
from smartpractice_lab.tutoring.data import (
    TutoringDialogue,
    load_tutoring,
    split_by_problem,
)
from smartpractice_lab.tutoring.metrics import (
    DialogueResult,
    bootstrap,
    precision_at_recall,
    precision_recall_f1,
    severity_auroc,
    severity_spearman,
    step_accuracy,
)

__all__ = [
    "ALIGNMENT_NUMBER_WEIGHT",
    "TARGETS",
    "TEACHER_AGREEMENT",
    "align_to_steps",
    "detect",
    "evaluate_transcripts",
]

TEACHER_AGREEMENT = {"step_exact": 0.60, "step_within_one": 0.87}
"""How often two StepVerify teachers agree on the first wrong step (the ceiling)."""
TARGETS = {
    "step_exact": 0.45,
    "step_within_one": 0.85,
    "precision_at_recall_0_5": 0.70,
    "severity_auroc": 0.70,
}
"""The tutor-chat analyzer's targets: where the struggle began, per-step credit, severity."""
ALIGNMENT_NUMBER_WEIGHT = 0.5
"""Share of number overlap in the scorer's fixed claim-to-step alignment."""
_ALIGNER = LexicalBackend()


def align_to_steps(texts: Sequence[str], steps: Sequence[str]) -> list[int]:
    """For each detector statement, the annotated step it restates (ties: the earlier)."""
    if not texts or not steps:
        return [0] * len(texts)
    sim = combined_similarity(
        _ALIGNER.similarity(texts, steps),
        [frozenset(numbers_in(t)) for t in texts],
        [frozenset(numbers_in(s)) for s in steps],
        number_weight=ALIGNMENT_NUMBER_WEIGHT,
    )
    return [int(np.argmax(row)) for row in sim]


def detect(
    dialogue: TutoringDialogue,
    *,
    similarity: SimilarityBackend,
    config: TranscriptConfig,
    with_solution: bool = False,
) -> DialogueResult:
    """Run the analyzer on the dialogue's transcript (with the problem's worked solution when
    `with_solution`) and map its output to the labels."""
    transcript = dialogue.transcript
    if with_solution:
        transcript = replace(transcript, solution=dialogue.solution)
    analysis = analyze_transcript(transcript, skills=(), similarity=similarity, config=config)
    predicted: int | None = None
    scores: tuple[float, ...] = ()
    if dialogue.steps is not None:
        steps = list(dialogue.steps)
        aligned = align_to_steps([s.text for s in analysis.steps], steps)
        best = [0.0] * len(steps)
        for step, target in zip(analysis.steps, aligned, strict=True):
            best[target] = max(best[target], step.doubt)
        scores = tuple(best)
        onset = analysis.onset or (analysis.steps[0] if analysis.steps else None)
        predicted = aligned[analysis.steps.index(onset)] if onset is not None else 0
    return DialogueResult(
        qid=dialogue.qid,
        step_label=dialogue.step_label,
        predicted_step=predicted,
        step_scores=scores,
        severity=dialogue.severity,
        struggle=analysis.overall_struggle,
    )


def _constant(results: Iterable[DialogueResult], step: int) -> list[DialogueResult]:
    return [
        DialogueResult(r.qid, r.step_label, step, r.step_scores, r.severity, r.struggle)
        for r in results
    ]


def _baselines(
    results: Sequence[DialogueResult], dev: Sequence[TutoringDialogue]
) -> dict[str, dict[str, float]]:
    counts = Counter(d.step_label for d in dev if d.step_label is not None)
    frequent = min(counts, key=lambda s: (-counts[s], s)) if counts else 0
    rows: dict[str, dict[str, float]] = {}
    for name, step in (("first_step", 0), ("second_step", 1), ("most_frequent_step", frequent)):
        fixed = _constant(results, step)
        rows[name] = {
            "step": step,
            "step_exact": round(step_accuracy(fixed), 4),
            "step_within_one": round(step_accuracy(fixed, tolerance=1), 4),
        }
    return rows


def _backend_notes(backend: SimilarityBackend) -> dict[str, Any]:
    if isinstance(backend, LLMBackend):
        return {
            "llm_calls": backend.calls,
            "llm_fallbacks": backend.fallbacks,
            "llm_last_error": backend.last_error,
            "fallback": backend.fallback.name,
        }
    if isinstance(backend, FallbackBackend) and backend.note:
        return {"note": backend.note}
    return {}


def evaluate_transcripts(
    folder: Path,
    *,
    backend: BackendName = "local",
    split: str = "report",
    seed: int = 0,
    dev_fraction: float = 0.4,
    samples: int = 1000,
    with_solution: bool = False,
    config: TranscriptConfig | None = None,
    llm: LLMSettings | None = None,
    progress: Callable[[Iterable[TutoringDialogue]], Iterable[TutoringDialogue]] | None = None,
) -> dict[str, Any]:
    """Evaluate the analyzer on the tutoring dialogues in `folder`.

    Args:
        folder: ``shared/data/tutoring`` or a folder of the same layout.
        backend: Similarity backend of the detector.
        split: ``report`` (default), ``dev`` (for tuning) or ``all``.
        seed: Seed of the problem split and of the bootstrap.
        dev_fraction: Share (0-1) of problems in the development part.
        samples: Bootstrap resamples.
        with_solution: Give the detector each problem's reference worked solution too (the
            item's optional `Transcript.solution`).
        config: Analyzer constants (default: `TranscriptConfig()`).
        llm: Endpoint for the ``llm`` backend (default: from the environment).
        progress: Wraps the dialogue iterable (a progress bar), if given.

    Returns:
        The report: every metric with its 95% interval, baselines, counts and the backend.
    """
    started = time.perf_counter()
    config = config or TranscriptConfig()
    dev, report = split_by_problem(load_tutoring(folder), seed=seed, dev_fraction=dev_fraction)
    chosen = {"report": report, "dev": dev, "all": [*dev, *report]}.get(split)
    if chosen is None:
        raise ValueError(f"--split must be report, dev or all, not {split!r}")
    similarity = make_backend(backend, llm=llm)
    dialogues: Iterable[TutoringDialogue] = progress(chosen) if progress else chosen
    results = [
        detect(d, similarity=similarity, config=config, with_solution=with_solution)
        for d in dialogues
    ]
    rng = np.random.default_rng(seed)

    def interval(metric: Callable[[Sequence[DialogueResult]], float]) -> dict[str, Any]:
        return bootstrap(results, metric, rng=rng, samples=samples).as_dict()

    def credit(index: int) -> Callable[[Sequence[DialogueResult]], float]:
        return lambda rs: precision_recall_f1(rs, threshold=config.credit_threshold)[index]

    annotated = [r for r in results if r.step_label is not None]
    return {
        "backend": similarity.name,
        "backend_requested": backend,
        **({"backend_details": notes} if (notes := _backend_notes(similarity)) else {}),
        "split": split,
        "with_solution": with_solution,
        "seed": seed,
        "problems": len({r.qid for r in results}),
        "dialogues": len(results),
        "dialogues_with_steps": len(annotated),
        "dialogues_with_severity": sum(r.severity is not None for r in results),
        "step_exact": interval(step_accuracy),
        "step_within_one": interval(lambda rs: step_accuracy(rs, tolerance=1)),
        "baselines": _baselines(annotated, dev),
        "teacher_agreement": TEACHER_AGREEMENT,
        "credit_threshold": config.credit_threshold,
        "credit_precision": interval(credit(0)),
        "credit_recall": interval(credit(1)),
        "credit_f1": interval(credit(2)),
        "precision_at_recall_0_5": interval(precision_at_recall),
        "severity_auroc": interval(severity_auroc),
        "severity_spearman": interval(severity_spearman),
        "targets": TARGETS,
        "bootstrap_samples": samples,
        "seconds": round(time.perf_counter() - started, 1),
    }
