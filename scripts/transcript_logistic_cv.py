"""Would a small logistic model over the transcript analyzer's signals beat its rules?

Measured on the development part of the tutoring split only (never the report part), by
grouped cross-validation: 5 folds of problems, repeated with 5 shuffles. Two models, both
plain scikit-learn logistic regressions on per-step features the analyzer already computes
(the largest evidence weight of each signal kind, the step's doubt, its tutor focus relative
to the dialogue's largest, its position, and whether it is / comes before the onset):

* credit: P("this is the first wrong step") on the steps up to the labelled one, used as the
  per-step credit score (precision at recall 0.5), against the analyzer's own doubt;
* onset: the same target, the step with the largest probability taken as the onset (exact and
  within-one accuracy), against the analyzer's onset rule.

Result (docs/transcripts.md, "What was tried"): neither beats the rules out of fold, so the
analyzer keeps its documented constants and no weights are stored. Run:

    .venv/bin/python scripts/transcript_logistic_cv.py [--backend local|lexical]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.transcript_steps import analyze_steps
from smartpractice.transcripts.backends import make_backend
from smartpractice.transcripts.evaluation import align_to_steps
from smartpractice.transcripts.metrics import DialogueResult, precision_at_recall, step_accuracy
from smartpractice.transcripts.tutoring_data import load_tutoring, split_by_problem

KINDS = (
    "corrected",
    "disputed",
    "abandoned",
    "miscalculated",
    "changed",
    "revealed",
    "confusion",
    "hint_request",
    "focused",
)


@dataclass
class Dialogue:
    qid: int
    label: int
    n_labelled: int
    aligned: list[int]
    features: np.ndarray
    doubts: list[float]
    onset: int | None


def load(data: Path, backend: str) -> list[Dialogue]:
    config = TranscriptConfig()
    similarity = make_backend(backend)  # type: ignore[arg-type]
    dev, _ = split_by_problem(load_tutoring(data))
    out: list[Dialogue] = []
    for d in dev:
        if d.steps is None or d.step_label is None:
            continue
        found = analyze_steps(d.transcript, similarity=similarity, config=config)
        if not found.steps:
            continue
        top = max(found.focus, default=0.0) or 1.0
        rows = []
        n = len(found.steps)
        for i, step in enumerate(found.steps):
            row = [
                max((e.weight for e in step.evidence if e.signal == k), default=0.0) for k in KINDS
            ]
            row += [step.doubt, found.focus[i] / top, i / max(n - 1, 1)]
            row += [float(found.onset is not None and i < found.onset), float(found.onset == i)]
            rows.append(row)
        out.append(
            Dialogue(
                qid=d.qid,
                label=d.step_label,
                n_labelled=len(d.steps),
                aligned=align_to_steps([s.text for s in found.steps], list(d.steps)),
                features=np.array(rows),
                doubts=[s.doubt for s in found.steps],
                onset=found.onset,
            )
        )
    return out


def result(d: Dialogue, scores: Sequence[float], onset: int) -> DialogueResult:
    best = [0.0] * d.n_labelled
    for target, score in zip(d.aligned, scores, strict=True):
        best[target] = max(best[target], float(score))
    return DialogueResult(d.qid, d.label, d.aligned[onset], tuple(best), None, 0.0)


def fit(dialogues: Sequence[Dialogue]) -> LogisticRegression:
    xs, ys = [], []
    for d in dialogues:
        aligned = np.array(d.aligned)
        keep = aligned <= d.label  # the credit metric judges steps up to the first wrong one
        xs.append(d.features[keep])
        ys.append((aligned[keep] == d.label).astype(int))
    return LogisticRegression(C=1.0, max_iter=5000).fit(np.vstack(xs), np.concatenate(ys))


def summary(results: Sequence[DialogueResult]) -> tuple[float, float, float]:
    return (
        step_accuracy(results),
        step_accuracy(results, tolerance=1),
        precision_at_recall(results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/tutoring"))
    parser.add_argument("--backend", default="local", choices=("local", "lexical"))
    args = parser.parse_args()
    dialogues = load(args.data, args.backend)

    def rule(d: Dialogue) -> DialogueResult:
        return result(d, d.doubts, d.onset if d.onset is not None else 0)

    exact, within, par = summary([rule(d) for d in dialogues])
    print(f"rules (in-sample, dev): exact {exact:.3f} within one {within:.3f} P@R0.5 {par:.3f}")
    groups = np.array([d.qid for d in dialogues])
    scores: list[tuple[float, float, float]] = []
    for repeat in range(5):
        folds = GroupKFold(n_splits=5, shuffle=True, random_state=repeat)
        predicted: dict[int, DialogueResult] = {}
        for train, test in folds.split(np.zeros(len(dialogues)), groups=groups):
            model = fit([dialogues[i] for i in train])
            for i in test:
                d = dialogues[i]
                probability = model.predict_proba(d.features)[:, 1]
                predicted[i] = result(d, list(probability), int(np.argmax(probability)))
        scores.append(summary([predicted[i] for i in range(len(dialogues))]))
    mean = np.mean(np.array(scores), axis=0)
    print(
        f"logistic (5x5 grouped CV, dev): exact {mean[0]:.3f} within one {mean[1]:.3f} "
        f"P@R0.5 {mean[2]:.3f}"
    )


if __name__ == "__main__":
    main()
