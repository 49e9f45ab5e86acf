"""The tutoring-data reader: what the detector may see, labels, and the split by problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpractice_lab.tutoring.data import (
    TutoringDataError,
    load_tutoring,
    majority_step,
    parse_conversation,
    split_by_problem,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "tutoring"


def test_conversation_parsing_strips_move_tags_and_names() -> None:
    messages = parse_conversation(
        "Teacher: (generic)Hi Mariana, talk me through it|EOM|Mariana: Sure. 12 - 3 = 9."
        "|EOM|Teacher: (focus)How many altogether?"
    )
    assert [(m.role, m.content) for m in messages] == [
        ("tutor", "Hi Mariana, talk me through it"),
        ("student", "Sure. 12 - 3 = 9."),
        ("tutor", "How many altogether?"),
    ]


@pytest.mark.parametrize(
    ("labels", "expected"), [([2, 2, 1], 2), ([1, 2], 1), ([3, 0, 3, 0], 0), ([4], 4)]
)
def test_majority_step_ties_go_to_the_earlier_step(labels: list[int], expected: int) -> None:
    assert majority_step(labels) == expected


def test_the_detector_sees_only_the_problem_and_the_conversation() -> None:
    dialogues = load_tutoring(FIXTURE)
    lines = (FIXTURE / "mathdial" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    raw = [json.loads(line) for line in lines]
    assert len(dialogues) == len(raw) == 14
    for dialogue, row in zip(dialogues, raw, strict=True):
        seen = dialogue.transcript.problem + " ".join(
            m.content for m in dialogue.transcript.messages
        )
        assert dialogue.transcript.problem == row["question"]
        assert row["teacher_described_confusion"] not in seen
        assert row["ground_truth"] not in seen
        assert "(focus)" not in seen and "(probing)" not in seen
        # The worked solution sits beside the transcript, for --with-solution runs only.
        assert dialogue.transcript.solution == ""
        assert dialogue.solution == row["ground_truth"]
    assert sum(d.step_label is not None for d in dialogues) == 11
    assert {d.severity for d in dialogues} == {0, 1, 2}


def test_split_is_by_problem_and_stable() -> None:
    dialogues = load_tutoring(FIXTURE)
    dev, report = split_by_problem(dialogues, seed=0)
    assert dev and report
    assert not {d.qid for d in dev} & {d.qid for d in report}
    assert split_by_problem(dialogues, seed=0) == (dev, report)
    assert split_by_problem(dialogues, seed=1) != (dev, report)


def test_missing_files_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TutoringDataError, match="not found"):
        load_tutoring(tmp_path)
    (tmp_path / "derived").mkdir()
    (tmp_path / "derived" / "mathdial_test_with_stepverify.jsonl").write_text("{oops\n")
    with pytest.raises(TutoringDataError, match="not JSON"):
        load_tutoring(tmp_path)
