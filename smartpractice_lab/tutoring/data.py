"""Reader for the real tutoring dialogues in ``shared/data/tutoring`` (MathDial test split,
with StepVerify's first-wrong-step labels joined on the problem and the incorrect solution).

The detector's input is built from the problem text and the conversation only
(`TutoringDialogue.transcript`); the labels sit beside it and are never passed to it.
MathDial's students are role-played by a language model and its teachers are real.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartpractice.core.tutoring.text import strip_move_tag
from smartpractice.core.tutoring.types import Message, Transcript

__all__ = [
    "JOINED_FILE",
    "MATHDIAL_FILE",
    "SELF_CORRECTNESS",
    "TutoringDataError",
    "TutoringDialogue",
    "load_tutoring",
    "majority_step",
    "parse_conversation",
    "split_by_problem",
]

JOINED_FILE = Path("derived") / "mathdial_test_with_stepverify.jsonl"
MATHDIAL_FILE = Path("mathdial") / "test.jsonl"
SELF_CORRECTNESS = {
    "Yes": 0,
    "Yes, but I had to reveal the answer": 1,
    "No": 2,
}
"""Severity order of MathDial's ``self-correctness``: resolved < revealed < unresolved."""
_SPEAKER = re.compile(r"^\s*([^:\n]{1,40}):\s?(.*)$", re.DOTALL)


class TutoringDataError(ValueError):
    """The folder does not hold the expected tutoring files."""


@dataclass(frozen=True, slots=True)
class TutoringDialogue:
    """One MathDial dialogue and its labels.

    Attributes:
        qid: The problem id (one problem recurs in up to 8 dialogues).
        transcript: What the detector may see: the problem and the conversation.
        steps: The student's solution steps as StepVerify annotated them (for scoring).
        step_label: Majority first wrong step (0-based; ties: the earlier), if joined.
        severity: 0 resolved, 1 answer revealed, 2 unresolved (``self-correctness``).
        solution: The problem's reference worked solution (GSM8K, MathDial's
            ``ground_truth``): what an item's optional `Transcript.solution` would hold.
            Passed to the detector only when the evaluation is asked to (``--with-solution``).
    """

    qid: int
    transcript: Transcript
    steps: tuple[str, ...] | None
    step_label: int | None
    severity: int | None
    solution: str = ""


def parse_conversation(conversation: str) -> tuple[Message, ...]:
    """MathDial's ``Teacher: (move)text|EOM|Name: text`` as messages, move tags stripped."""
    messages: list[Message] = []
    for turn in conversation.split("|EOM|"):
        match = _SPEAKER.match(turn)
        speaker, text = (match.group(1).strip(), match.group(2)) if match else ("", turn)
        if not text.strip():
            continue
        if speaker == "Teacher":
            messages.append(Message(role="tutor", content=strip_move_tag(text).strip()))
        else:
            messages.append(Message(role="student", content=text.strip()))
    return tuple(messages)


def majority_step(labels: Iterable[int]) -> int:
    """The most frequent annotated step; ties go to the earlier step."""
    counts = Counter(labels)
    if not counts:
        raise ValueError("no step annotations")
    top = max(counts.values())
    return min(step for step, n in counts.items() if n == top)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise TutoringDataError(f"{path}:{number}: not JSON ({error.msg})") from None
    return rows


def _key(row: dict[str, Any]) -> tuple[int, str]:
    return int(row["qid"]), str(row["conversation"])


def _dialogue(row: dict[str, Any], joined: dict[str, Any] | None) -> TutoringDialogue:
    steps: tuple[str, ...] | None = None
    label: int | None = None
    if joined is not None and joined.get("stepverify"):
        annotations = joined["stepverify"]
        steps = tuple(str(s) for s in annotations[0]["steps"])
        label = majority_step(int(a["incorrect_index"]) for a in annotations)
    correctness = row.get("self-correctness")
    return TutoringDialogue(
        qid=int(row["qid"]),
        transcript=Transcript(
            messages=parse_conversation(str(row["conversation"])), problem=str(row["question"])
        ),
        steps=steps,
        step_label=label,
        severity=SELF_CORRECTNESS.get(correctness) if isinstance(correctness, str) else None,
        solution=str(row.get("ground_truth") or ""),
    )


def load_tutoring(folder: Path) -> list[TutoringDialogue]:
    """Every MathDial test dialogue in `folder`, with step labels where StepVerify has them.

    Reads ``mathdial/test.jsonl`` (all dialogues; optional) and
    ``derived/mathdial_test_with_stepverify.jsonl`` (the joined ones; required).

    Raises:
        TutoringDataError: When the joined file is missing or a line is not JSON.
    """
    joined_path = folder / JOINED_FILE
    if not joined_path.is_file():
        raise TutoringDataError(f"{joined_path} not found (see the data README)")
    joined = {_key(r): r for r in _read_jsonl(joined_path)}
    mathdial_path = folder / MATHDIAL_FILE
    rows = _read_jsonl(mathdial_path) if mathdial_path.is_file() else list(joined.values())
    keys = {_key(r) for r in rows}
    rows += [r for k, r in joined.items() if k not in keys]
    return [_dialogue(r, joined.get(_key(r))) for r in rows]


def _is_dev(qid: int, *, seed: int, dev_fraction: float) -> bool:
    digest = hashlib.sha256(f"{seed}:{qid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < dev_fraction


def split_by_problem(
    dialogues: Sequence[TutoringDialogue], *, seed: int = 0, dev_fraction: float = 0.4
) -> tuple[list[TutoringDialogue], list[TutoringDialogue]]:
    """(development, report) dialogues, split by problem: a problem's dialogues all land
    on the same side. Stable across machines (a hash of seed and qid, not an RNG)."""
    dev = [d for d in dialogues if _is_dev(d.qid, seed=seed, dev_fraction=dev_fraction)]
    report = [d for d in dialogues if not _is_dev(d.qid, seed=seed, dev_fraction=dev_fraction)]
    return dev, report
