"""Would a small learned step scorer beat the transcript analyzer's rules?

Measured on the development part of the tutoring split only (never the report part), by
grouped cross-validation: 5 folds of problems, repeated with 5 shuffles (seeds 0-4). Per
detector step, two feature sets:

* ``signals``: the largest evidence weight of each signal kind, the step's doubt, its tutor
  focus relative to the dialogue's largest, its position, whether it is / comes before the
  onset;
* ``rich``: ``signals`` plus whether the step is the first of each signal kind and how many
  earlier steps had it, whether it was stated in the student's first worked message, and,
  over the first four tutor messages after it (decay 0.7): the best similarity of a tutor
  sentence to it, that similarity in corrective messages only, the share of its numbers the
  tutor mentions (all messages and the first alone), and the similarity of the student's
  next two messages after the first reaction (a revision); each as the value, the value
  minus the dialogue's largest, and whether it is the largest.

Three models, all scikit-learn / SciPy and deterministic: ``pointwise`` logistic regression
(P(the step is the first wrong step); C = 0.1), ``boosting`` (HistGradientBoosting, depth 2,
150 rounds, seed 0), and ``listwise`` (a conditional logit: softmax over the steps of one
dialogue, L2 10, fitted with L-BFGS). Onset = the step with the largest score (exact and
within-one accuracy); credit = the pointwise probability trained on the steps up to the
labelled one (precision at recall 0.5). The features use only what the detector sees (the
problem and the chat); the labels are targets only.

``--extra`` adds training dialogues from outside the MathDial test: the StepVerify items whose
problem is not a MathDial test problem at all (381 problems; each a three-message opening:
the tutor's greeting, the student's restated solution, the tutor's first reaction; label =
the majority annotation). They are only ever trained on, never scored.

Result (docs/transcripts.md, "Tried and not kept"): none beats the rules out of fold, so
the analyzer keeps its documented constants and no weights are stored. Run:

    .venv/bin/python scripts/transcript_logistic_cv.py --backend local --features rich [--extra]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize  # type: ignore[import-untyped]
from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

from smartpractice.adapters.similarity.backends import make_backend
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.steps import StepAnalysis, analyze_steps
from smartpractice.core.tutoring.text import CORRECTION, numbers_in, sentences
from smartpractice.core.tutoring.types import Message, SimilarityBackend, Transcript
from smartpractice_lab.tutoring.data import (
    TutoringDialogue,
    load_tutoring,
    majority_step,
    split_by_problem,
)
from smartpractice_lab.tutoring.evaluation import align_to_steps
from smartpractice_lab.tutoring.metrics import DialogueResult, precision_at_recall, step_accuracy

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
TUTOR_MESSAGES = 4
DECAY = 0.7


@dataclass
class Dialogue:
    qid: int
    label: int
    n_labelled: int
    aligned: list[int]
    features: np.ndarray
    doubts: list[float]
    onset: int | None


def signal_features(found: StepAnalysis) -> np.ndarray:
    top = max(found.focus, default=0.0) or 1.0
    n = len(found.steps)
    rows = []
    for i, step in enumerate(found.steps):
        row = [max((e.weight for e in step.evidence if e.signal == k), default=0.0) for k in KINDS]
        row += [step.doubt, found.focus[i] / top, i / max(n - 1, 1)]
        row += [float(found.onset is not None and i < found.onset), float(found.onset == i)]
        rows.append(row)
    return np.array(rows)


def _relative(values: np.ndarray) -> list[np.ndarray]:
    top = values.max()
    return [values, values - top, (values == top).astype(float)]


def rich_features(
    dialogue: TutoringDialogue, found: StepAnalysis, similarity: SimilarityBackend
) -> np.ndarray:
    messages = dialogue.transcript.messages
    steps = found.steps
    n = len(steps)
    first = steps[0].message_index
    texts = [s.text for s in steps]
    numbers = [set(numbers_in(t, words=True)) for t in texts]
    present = np.array([[any(e.signal == k for e in s.evidence) for k in KINDS] for s in steps])
    earlier = np.vstack([np.zeros(len(KINDS)), np.cumsum(present, axis=0)[:-1]])
    first_of_kind = present & (earlier == 0)
    tutor = [i for i, m in enumerate(messages) if m.role == "tutor" and i > first]
    tutor = tutor[:TUTOR_MESSAGES]
    said_sim, corrective_sim, coverage, first_coverage = (np.zeros(n) for _ in range(4))
    for order, index in enumerate(tutor):
        parts = [s.text for s in sentences(messages[index].content)] or [messages[index].content]
        stated = [j for j, s in enumerate(steps) if s.message_index < index]
        if not stated:
            continue
        best = np.asarray(similarity.similarity(parts, [texts[j] for j in stated])).max(axis=0)
        said = set(numbers_in(messages[index].content, words=True))
        corrective = any(CORRECTION.search(p) for p in parts)
        weight = DECAY**order
        for k, j in enumerate(stated):
            share = len(said & numbers[j]) / len(numbers[j]) if numbers[j] else 0.0
            said_sim[j] += weight * max(float(best[k]), 0.0)
            coverage[j] += weight * share
            corrective_sim[j] += weight * max(float(best[k]), 0.0) * corrective
            if order == 0:
                first_coverage[j] = share
    revision = np.zeros(n)
    if tutor:
        replies = [i for i, m in enumerate(messages) if m.role == "student" and i > tutor[0]][:2]
        in_first = [j for j, s in enumerate(steps) if s.message_index == first]
        for order, index in enumerate(replies):
            parts = [s.text for s in sentences(messages[index].content)]
            if parts and in_first:
                sim = np.asarray(similarity.similarity(parts, [texts[j] for j in in_first]))
                for k, j in enumerate(in_first):
                    revision[j] += DECAY**order * max(float(sim.max(axis=0)[k]), 0.0)
    columns = [
        *(c for v in (said_sim, corrective_sim, coverage, first_coverage) for c in _relative(v)),
        *_relative(revision),
        np.array([s.message_index == first for s in steps], dtype=float),
    ]
    return np.hstack([signal_features(found), first_of_kind, earlier, np.column_stack(columns)])


def _squashed(text: str) -> str:
    return " ".join(text.split()).lower()


def outside_test(data: Path, test: Sequence[TutoringDialogue]) -> list[TutoringDialogue]:
    """StepVerify openings whose problem is not a MathDial test problem (training only)."""
    known = {_squashed(d.transcript.problem) for d in test}
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in json.loads((data / "stepverify" / "dataset.json").read_text(encoding="utf-8")):
        if _squashed(item["problem"]) in known:
            continue
        key = (_squashed(item["problem"]), _squashed(" ".join(item["student_incorrect_solution"])))
        grouped.setdefault(key, []).append(item)
    out: list[TutoringDialogue] = []
    for number, items in enumerate(grouped.values()):
        first = items[0]
        messages = tuple(
            Message("tutor" if turn["user"] == "Teacher" else "student", turn["text"].strip())
            for turn in first["dialog_history"]
            if turn["text"].strip()
        )
        out.append(
            TutoringDialogue(
                qid=-1 - number,
                transcript=Transcript(messages=messages, problem=first["problem"]),
                steps=tuple(first["student_incorrect_solution"]),
                step_label=majority_step(int(i["incorrect_index"]) for i in items),
                severity=None,
            )
        )
    return out


def load(data: Path, backend: str, features: str, *, extra: bool) -> list[Dialogue]:
    config = TranscriptConfig()
    similarity = make_backend(backend)  # type: ignore[arg-type]
    everything = load_tutoring(data)
    dev, _ = split_by_problem(everything)
    out: list[Dialogue] = []
    for d in [*dev, *(outside_test(data, everything) if extra else [])]:
        if d.steps is None or d.step_label is None:
            continue
        found = analyze_steps(d.transcript, similarity=similarity, config=config)
        if not found.steps:
            continue
        matrix = (
            rich_features(d, found, similarity) if features == "rich" else signal_features(found)
        )
        out.append(
            Dialogue(
                qid=d.qid,
                label=d.step_label,
                n_labelled=len(d.steps),
                aligned=align_to_steps([s.text for s in found.steps], list(d.steps)),
                features=matrix,
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


Scorer = Callable[[np.ndarray], np.ndarray]


def _targets(d: Dialogue, *, up_to_label: bool) -> tuple[np.ndarray, np.ndarray]:
    aligned = np.array(d.aligned)
    keep = aligned <= d.label if up_to_label else np.ones(len(aligned), dtype=bool)
    return d.features[keep], (aligned[keep] == d.label).astype(float)


def fit_pointwise(dialogues: Sequence[Dialogue], *, up_to_label: bool, boosting: bool) -> Scorer:
    pairs = [_targets(d, up_to_label=up_to_label) for d in dialogues]
    x = np.vstack([p[0] for p in pairs])
    y = np.concatenate([p[1] for p in pairs]).astype(int)
    if boosting:
        model: Any = HistGradientBoostingClassifier(
            max_depth=2, learning_rate=0.05, max_iter=150, random_state=0
        )
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    model.fit(x, y)
    return lambda features: np.asarray(model.predict_proba(features)[:, 1])


def fit_conditional_logit(
    xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], *, l2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional logit over each dialogue's steps: P(step i) = softmax(w . z_i), with
    `z` the features standardised over all steps. `xs[d]` is dialogue d's step features,
    `ys[d]` its (non-zero) target weights per step. Returns the mean, scale and weights."""
    stacked = np.vstack(xs)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for x, y in zip(xs, ys, strict=True):
            z = (x - mean) / scale
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            t = y / y.sum()
            total -= float(t @ np.log(p + 1e-12))
            grad = grad - z.T @ (t - p)
        return total, grad

    w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return mean, scale, w


def fit_listwise(dialogues: Sequence[Dialogue], *, l2: float = 10.0) -> Scorer:
    """The conditional logit fitted on `dialogues`, as a scorer of step features."""
    pairs = [p for p in (_targets(d, up_to_label=False) for d in dialogues) if p[1].any()]
    mean, scale, w = fit_conditional_logit([p[0] for p in pairs], [p[1] for p in pairs], l2=l2)
    return lambda features: np.asarray(((features - mean) / scale) @ w)


MISCALCULATED, FOCUS = KINDS.index("miscalculated"), len(KINDS) + 1
SAID, CORRECTIVE, COVERAGE = 32, 35, 38  # columns of `rich_features` (value of each triple)


def variant_onsets(d: Dialogue) -> dict[str, int]:
    """Onset rules tried beside the analyzer's (rich features only; no fitting)."""
    x = d.features
    rule = d.onset if d.onset is not None else 0
    wrong = np.flatnonzero(x[:, MISCALCULATED] > 0)
    return {
        "focus_position_decay_0_9": int(np.argmax(x[:, FOCUS] * 0.9 ** np.arange(len(x)))),
        "tutor_sentence_match": int(np.argmax(x[:, SAID] + x[:, COVERAGE])),
        "corrective_sentence_match": int(np.argmax(x[:, CORRECTIVE] + x[:, COVERAGE])),
        "first_miscalculated_else_rule": int(wrong[0]) if len(wrong) else rule,
    }


def summary(results: Sequence[DialogueResult]) -> tuple[float, float, float]:
    return (
        step_accuracy(results),
        step_accuracy(results, tolerance=1),
        precision_at_recall(results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/tutoring"))
    parser.add_argument("--backend", default="local", choices=("local", "lexical"))
    parser.add_argument("--features", default="rich", choices=("signals", "rich"))
    parser.add_argument("--extra", action="store_true", help="also train on non-test openings")
    args = parser.parse_args()
    loaded = load(args.data, args.backend, args.features, extra=args.extra)
    dialogues = [d for d in loaded if d.qid >= 0]
    extra = [d for d in loaded if d.qid < 0]

    def rule(d: Dialogue) -> DialogueResult:
        return result(d, d.doubts, d.onset if d.onset is not None else 0)

    report: dict[str, Any] = {
        "backend": args.backend,
        "features": args.features,
        "dev_dialogues": len(dialogues),
        "extra_training_dialogues": len(extra),
    }
    report["rules"] = [round(v, 3) for v in summary([rule(d) for d in dialogues])]
    # Could any choice among the analyzer's steps be right? (one aligned to the label)
    report["steps_include_label"] = round(
        float(np.mean([d.label in d.aligned for d in dialogues])), 3
    )
    if extra:
        report["extra_rules"] = [round(v, 3) for v in summary([rule(d) for d in extra])[:2]]
        second = [DialogueResult(d.qid, d.label, 1, (), None, 0.0) for d in extra]
        report["extra_second_step"] = [
            round(step_accuracy(second), 3),
            round(step_accuracy(second, tolerance=1), 3),
        ]
    if args.features == "rich":
        for name in variant_onsets(dialogues[0]):
            picked = [result(d, d.doubts, variant_onsets(d)[name]) for d in dialogues]
            report[f"rule_{name}"] = [round(v, 3) for v in summary(picked)[:2]]
    groups = np.array([d.qid for d in dialogues])
    for name in ("pointwise", "boosting", "listwise"):
        scores: list[tuple[float, float, float]] = []
        for repeat in range(5):
            folds = GroupKFold(n_splits=5, shuffle=True, random_state=repeat)
            predicted: dict[int, DialogueResult] = {}
            for train, test in folds.split(np.zeros(len(dialogues)), groups=groups):
                chosen = [*extra, *(dialogues[i] for i in train)]
                boosting = name == "boosting"
                credit = fit_pointwise(chosen, up_to_label=True, boosting=boosting)
                onset = (
                    fit_listwise(chosen)
                    if name == "listwise"
                    else fit_pointwise(chosen, up_to_label=False, boosting=boosting)
                )
                for i in test:
                    d = dialogues[i]
                    step = int(np.argmax(onset(d.features)))
                    predicted[i] = result(d, list(credit(d.features)), step)
            scores.append(summary([predicted[i] for i in range(len(dialogues))]))
        report[name] = [round(float(v), 3) for v in np.mean(np.array(scores), axis=0)]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
