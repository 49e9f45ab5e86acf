"""Round 5 (docs/transcripts.md): quantity bookkeeping and the student's revisions as onset
and credit rules, on the development part of the tutoring split only.

The analyzer runs once per development dialogue as in round 4 (the round-5 changes off:
`contradiction_onset=False`, `focus_skip_praise=False`); every rule below is then
applied to its steps, focus and doubts, and scored like the evaluation (fixed lexical
alignment to StepVerify's steps, majority label, exact / within one / precision at recall
0.5). Only the problem and the chat go into the features; labels are targets only.

Per analyzer step (its first statement), from the numbers alone:

* ``contradicted``: a tutor sentence (first `focus_messages` tutor messages) mentions one of
  its inputs, not its result, and a value that neither the problem nor any student step
  states (the analyzer's rule, core/transcript_onset.py);
* ``endorsed`` / ``restated``: a later tutor sentence repeats its derived result with praise
  ("yes", "right") / without correcting;
* ``revised``: a later student sentence uses all of its inputs but arrives at another result;
* ``unsupported``: it uses an input that is neither in the problem, nor stated earlier, nor
  0, 1, 2 or 100.

Rules: the first step with a flag (in the student's first worked message), the first
flagged step before the focus onset ("earlier only"), a bonus on the focus, the step after
the last endorsed one; a listwise ranker (conditional logit, grouped 5-fold
cross-validation over problems, 5 shuffles) on the focus features with and without these
flags; credit variants (doubt raised by a contradiction, lowered by a tutor restating the
result, a pointwise logistic credit model). Run:

    .venv/bin/python scripts/transcript_quantities_dev.py --backend local
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]
from transcript_logistic_cv import fit_conditional_logit

from smartpractice.core.config import TranscriptConfig
from smartpractice.core.transcript_steps import StepAnalysis, analyze_steps
from smartpractice.core.transcript_text import (
    CORRECTION,
    ENDORSEMENT,
    numbers_in,
    result_number,
    sentences,
)
from smartpractice.transcripts.backends import make_backend
from smartpractice.transcripts.evaluation import align_to_steps
from smartpractice.transcripts.metrics import DialogueResult, precision_at_recall, step_accuracy
from smartpractice.transcripts.tutoring_data import (
    TutoringDialogue,
    load_tutoring,
    split_by_problem,
)

TRIVIAL = frozenset({0.0, 1.0, 2.0, 100.0})
FLAGS = ("contradicted", "endorsed", "restated", "revised", "unsupported")
EXPRESSION = re.compile(
    r"\d\s*(?:[-+x\u00d7*/\u00f7]|times|plus|minus|divided by)\s*\$?\d", re.IGNORECASE
)


@dataclass
class Case:
    dialogue: TutoringDialogue
    found: StepAnalysis
    aligned: list[int]
    flags: list[dict[str, bool]]


def repeats(
    said: Sequence[tuple[int, set[float], str]], result: float | None, *, praise: bool
) -> bool:
    """A tutor sentence repeats the result without correcting (with praise, if asked)."""
    return any(
        result in numbers
        and not CORRECTION.search(text)
        and (not praise or bool(ENDORSEMENT.search(text)))
        for _, numbers, text in said
    )


def step_flags(d: TutoringDialogue, found: StepAnalysis, window: int) -> list[dict[str, bool]]:
    """The quantity flags of every analyzer step (see the module docstring)."""
    messages = d.transcript.messages
    given = set(numbers_in(d.transcript.problem, words=True))
    steps = found.steps
    first = steps[0].message_index
    tutor = [i for i, m in enumerate(messages) if m.role == "tutor" and i > first][:window]
    tutor_sentences = [
        (i, set(numbers_in(s.text, words=True)), s.text)
        for i in tutor
        for s in sentences(messages[i].content)
    ]
    student_sentences = [
        (i, set(numbers_in(s.text, words=True)), result_number(s.text))
        for i, m in enumerate(messages)
        if m.role == "student" and i > first
        for s in sentences(m.content)
    ]
    stated = {n for s in steps for n in numbers_in(s.text, words=True)}
    known = set(given)
    out: list[dict[str, bool]] = []
    for step in steps:
        numbers = set(numbers_in(step.text, words=True))
        result = result_number(step.text)
        inputs = numbers - ({result} if result is not None else set())
        derived = result is not None and result not in given
        later = [t for t in tutor_sentences if t[0] > step.message_index]

        out.append(
            {
                "contradicted": any(
                    said & inputs and result not in said and said - given - stated - TRIVIAL
                    for _, said, _ in later
                ),
                "endorsed": derived and repeats(later, result, praise=True),
                "restated": derived and repeats(later, result, praise=False),
                "revised": derived
                and bool(inputs)
                and any(
                    i > step.message_index and r is not None and r != result and inputs <= said
                    for i, said, r in student_sentences
                ),
                "unsupported": bool(inputs - known - TRIVIAL),
                "first_message": step.message_index == first,
            }
        )
        known |= numbers
    return out


def load(data: Path, backend: str, window: int) -> list[Case]:
    # Round 4's analyzer: both round-5 changes off, so every rule starts from the same steps.
    config = replace(TranscriptConfig(), contradiction_onset=False, focus_skip_praise=False)
    similarity = make_backend(backend)  # type: ignore[arg-type]
    dev, _ = split_by_problem(load_tutoring(data))
    cases: list[Case] = []
    for d in dev:
        if d.steps is None or d.step_label is None:
            continue
        found = analyze_steps(d.transcript, similarity=similarity, config=config)
        aligned = align_to_steps([s.text for s in found.steps], list(d.steps))
        flags = step_flags(d, found, window) if found.steps else []
        cases.append(Case(d, found, aligned, flags))
    return cases


Onset = Callable[[Case], "int | None"]
Doubts = Callable[[Case], Sequence[float]]


def score(cases: Sequence[Case], onset: Onset, doubts: Doubts | None = None) -> list[float]:
    results = []
    for c in cases:
        n = len(c.dialogue.steps or ())
        chosen = onset(c) if c.found.steps else None
        chosen = 0 if chosen is None and c.found.steps else chosen
        best = [0.0] * n
        values = doubts(c) if doubts else [s.doubt for s in c.found.steps]
        for value, target in zip(values, c.aligned, strict=True):
            best[target] = max(best[target], float(value))
        predicted = c.aligned[chosen] if chosen is not None else 0
        results.append(
            DialogueResult(c.dialogue.qid, c.dialogue.step_label, predicted, tuple(best), None, 0)
        )
    return [
        round(step_accuracy(results), 3),
        round(step_accuracy(results, tolerance=1), 3),
        round(precision_at_recall(results), 3),
    ]


def rule(c: Case) -> int | None:
    return c.found.onset


def first_flagged(flag: str, *, earlier_only: bool) -> Onset:
    def pick(c: Case) -> int | None:
        if c.found.onset is None:
            return None
        marked = [
            k
            for k, f in enumerate(c.flags)
            if f[flag] and (k < c.found.onset if earlier_only else f["first_message"])
        ]
        return marked[0] if marked else c.found.onset

    return pick


def focus_bonus(flag: str, share: float) -> Onset:
    def pick(c: Case) -> int | None:
        if c.found.onset is None:
            return None
        top = max(c.found.focus) or 1.0
        marked = next((k for k, f in enumerate(c.flags) if f[flag]), None)
        scores = [f + share * top * (k == marked) for k, f in enumerate(c.found.focus)]
        return max(range(len(scores)), key=lambda k: (scores[k], -k))

    return pick


def after_last_endorsed(c: Case) -> int | None:
    endorsed = [k for k, f in enumerate(c.flags) if f["endorsed"] and f["first_message"]]
    if c.found.onset is None or not endorsed:
        return c.found.onset
    nxt = [k for k, f in enumerate(c.flags) if f["first_message"] and k > max(endorsed)]
    return nxt[0] if nxt else c.found.onset


def credit(mode: str, weight: float) -> Doubts:
    def doubts(c: Case) -> list[float]:
        out = []
        for k, (step, f) in enumerate(zip(c.found.steps, c.flags, strict=True)):
            d = step.doubt
            if mode == "raise_contradicted":
                d = 1 - (1 - d) * (1 - weight * f["contradicted"])
            elif mode == "lower_restated":
                d *= 1 - weight * f["restated"]
            elif mode == "only_onset_or_contradicted":
                d = d if (k == c.found.onset or f["contradicted"]) else d * weight
            out.append(d)
        return out

    return doubts


def features(c: Case, *, with_flags: bool) -> np.ndarray:
    found = c.found
    n = len(found.steps)
    top = max(found.focus, default=0.0) or 1.0
    columns = [
        [f / top for f in found.focus],
        [float(k == found.onset) for k in range(n)],
        [s.doubt for s in found.steps],
        [k / max(n - 1, 1) for k in range(n)],
        [float(f["first_message"]) for f in c.flags],
    ]
    if with_flags:
        for flag in FLAGS:
            columns.append([float(f[flag]) for f in c.flags])
            first = next((k for k, f in enumerate(c.flags) if f[flag]), None)
            columns.append([float(k == first) for k in range(n)])
    return np.array(columns).T


def cross_validated(cases: Sequence[Case], *, with_flags: bool, l2: float) -> list[float]:
    usable = [c for c in cases if c.found.steps]
    xs = [features(c, with_flags=with_flags) for c in usable]
    ys = [(np.array(c.aligned) == c.dialogue.step_label).astype(float) for c in usable]
    groups = np.array([c.dialogue.qid for c in usable])
    runs = []
    for repeat in range(5):
        chosen: dict[int, int] = {}
        folds = GroupKFold(n_splits=5, shuffle=True, random_state=repeat)
        for train, test in folds.split(np.zeros(len(usable)), groups=groups):
            keep = [i for i in train if ys[i].any()]
            mean, scale, w = fit_conditional_logit(
                [xs[i] for i in keep], [ys[i] for i in keep], l2=l2
            )
            for i in test:
                chosen[id(usable[i])] = int(np.argmax(((xs[i] - mean) / scale) @ w))
        runs.append(score(cases, lambda c, chosen=chosen: chosen.get(id(c))))
    return [round(float(v), 3) for v in np.mean(np.array(runs), axis=0)]


def credit_model(cases: Sequence[Case], c_value: float) -> list[float]:
    usable = [c for c in cases if c.found.steps]

    def x_of(c: Case) -> np.ndarray:
        found = c.found
        top = max(found.focus, default=0.0) or 1.0
        rows = [
            [
                s.doubt,
                float(k == found.onset),
                found.focus[k] / top,
                float(found.onset is not None and k < found.onset),
                *(float(f[flag]) for flag in FLAGS[:4]),
                float(f["first_message"]),
            ]
            for k, (s, f) in enumerate(zip(found.steps, c.flags, strict=True))
        ]
        return np.array(rows)

    xs = [x_of(c) for c in usable]
    groups = np.array([c.dialogue.qid for c in usable])
    runs = []
    for repeat in range(5):
        predicted: dict[int, list[float]] = {}
        folds = GroupKFold(n_splits=5, shuffle=True, random_state=repeat)
        for train, test in folds.split(np.zeros(len(usable)), groups=groups):
            x_train, y_train = [], []
            for i in train:
                aligned = np.array(usable[i].aligned)
                label = usable[i].dialogue.step_label
                keep = aligned <= label
                x_train.append(xs[i][keep])
                y_train.append((aligned[keep] == label).astype(int))
            model = make_pipeline(
                StandardScaler(), LogisticRegression(C=c_value, max_iter=5000)
            ).fit(np.vstack(x_train), np.concatenate(y_train))
            for i in test:
                predicted[id(usable[i])] = list(model.predict_proba(xs[i])[:, 1])
        runs.append(
            score(
                cases,
                rule,
                lambda c, p=predicted: p.get(id(c), [s.doubt for s in c.found.steps]),
            )
        )
    return [round(float(v), 3) for v in np.mean(np.array(runs), axis=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/tutoring"))
    parser.add_argument("--backend", default="local", choices=("local", "lexical"))
    parser.add_argument("--window", type=int, default=TranscriptConfig().focus_messages)
    args = parser.parse_args()
    cases = load(args.data, args.backend, args.window)
    report: dict[str, object] = {"backend": args.backend, "dev_dialogues": len(cases)}
    report["rules_round_4"] = score(cases, rule)
    for flag in FLAGS:
        report[f"first_{flag}"] = score(cases, first_flagged(flag, earlier_only=False))
        report[f"first_{flag}_earlier_only"] = score(cases, first_flagged(flag, earlier_only=True))
    for flag in ("contradicted", "revised"):
        for share in (0.1, 0.25, 0.5, 1.0):
            report[f"focus_bonus_{flag}_{share}"] = score(cases, focus_bonus(flag, share))
    report["after_last_endorsed"] = score(cases, after_last_endorsed)
    for mode, weights in (
        ("raise_contradicted", (0.2, 0.5, 0.8)),
        ("lower_restated", (0.2, 0.5, 0.8)),
        ("only_onset_or_contradicted", (0.2, 0.5, 0.8)),
    ):
        for weight in weights:
            report[f"credit_{mode}_{weight}"] = score(cases, rule, credit(mode, weight))
    for l2 in (1.0, 10.0, 30.0):
        report[f"ranker_focus_l2_{l2}"] = cross_validated(cases, with_flags=False, l2=l2)
        report[f"ranker_focus_flags_l2_{l2}"] = cross_validated(cases, with_flags=True, l2=l2)
    for c_value in (0.01, 0.1, 1.0):
        report[f"credit_model_C_{c_value}"] = credit_model(cases, c_value)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
