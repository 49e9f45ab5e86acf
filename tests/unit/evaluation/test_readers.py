"""Readers: the folder format, the generic CSV, user splits and located errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from smartpractice_lab.evaluation.dataset import DatasetError, Response, parse_split, split_users
from smartpractice_lab.evaluation.readers import (
    detect_format,
    load_q_matrix,
    read_folder_file,
    read_generic_csv,
    read_responses,
)
from smartpractice_lab.evaluation.sources import from_one_file, from_train_and_test

FOLDER_HEADER = "user_id\titem_id\ttimestamp\tcorrect\tskill_id\n"


@pytest.fixture
def q_matrix(tmp_path: Path) -> Path:
    # Item 0 tests skill 1; item 1 tests skills 0 and 2; item 2 tests skill 2; item 3 none.
    matrix = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 0, 1], [0, 0, 0]]))
    path = tmp_path / "q_mat.npz"
    sparse.save_npz(path, matrix)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_folder_format_reads_skills_from_the_q_matrix(tmp_path: Path, q_matrix: Path) -> None:
    data = write(
        tmp_path / "responses.csv",
        FOLDER_HEADER + "7\t0\t0\t1\t5\n7\t1\t0\t0\t9\n8\t2\t0\t1\t4\n",
    )
    loaded = read_folder_file(data, load_q_matrix(q_matrix))
    assert loaded.responses == [
        Response(student_id="7", item_id="0", skills=("1",), score=1.0),
        Response(student_id="7", item_id="1", skills=("0", "2"), score=0.0),
        Response(student_id="8", item_id="2", skills=("2",), score=1.0),
    ]
    assert loaded.items["1"].skills == ("0", "2")
    # The default Q-matrix is the q_mat.npz beside the data file.
    assert read_responses(data).responses == loaded.responses


def test_folder_format_with_times_is_replayed_in_time_order(tmp_path: Path, q_matrix: Path) -> None:
    data = write(
        tmp_path / "responses.csv",
        FOLDER_HEADER + "7\t0\t300\t1\t5\n8\t2\t100\t1\t4\n7\t1\t300\t0\t9\n8\t0\t200\t0\t4\n",
    )
    loaded = read_folder_file(data, load_q_matrix(q_matrix))
    # Sorted by time; the two rows at 300 keep their file order.
    assert [(r.student_id, r.item_id, r.timestamp) for r in loaded.responses] == [
        ("8", "2", 100.0),
        ("8", "0", 200.0),
        ("7", "0", 300.0),
        ("7", "1", 300.0),
    ]


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        # Header lacks `correct`.
        ("user_id\titem_id\n7\t0\n", "row 1, column correct", "missing column"),
        # Item 9 is beyond the 4 rows of the Q-matrix.
        (FOLDER_HEADER + "7\t0\t0\t1\t5\n7\t9\t0\t1\t5\n", "row 3, column item_id", "outside"),
        # Item 3 tests no skill.
        (FOLDER_HEADER + "7\t3\t0\t1\t5\n", "row 2, column item_id", "no skill"),
        # `correct` must be binary in this format.
        (FOLDER_HEADER + "7\t0\t0\t0.5\t5\n", "row 2, column correct", "0 or 1"),
        # A short row.
        (FOLDER_HEADER + "7\t0\t0\n", "row 2", "3 fields"),
        # A timestamp that is no number.
        (FOLDER_HEADER + "7\t0\tnoon\t1\t5\n", "row 2, column timestamp", "not a number"),
        # Blank lines count in the row numbers (the bad row is the file's fourth line).
        (FOLDER_HEADER + "7\t0\t0\t1\t5\n\n7\t0\t0\t2\t5\n", "row 4, column correct", "0 or 1"),
        # The first bad row wins, whatever is wrong with it: a bad outcome before a bad item,
        # and before a short row after it.
        (
            FOLDER_HEADER + "7\t0\t0\t1\t5\n8\t0\t0\tx\t5\n8\t9\t0\t1\t5\n8\t0\n",
            "row 3, column correct",
            "0 or 1",
        ),
        # Within one row the item is checked before the outcome.
        (FOLDER_HEADER + "7\t9\t0\tx\t5\n", "row 2, column item_id", "outside"),
        # A bad row after a short one is not reached: the short row is reported.
        (FOLDER_HEADER + "7\t0\t0\t1\t5\n7\t0\n7\t9\t0\t1\t5\n", "row 3", "2 fields"),
    ],
)
def test_folder_format_errors_name_file_row_and_column(
    tmp_path: Path, q_matrix: Path, body: str, location: str, message: str
) -> None:
    data = write(tmp_path / "bad.csv", body)
    with pytest.raises(DatasetError) as caught:
        read_folder_file(data, load_q_matrix(q_matrix))
    assert f"{data} {location}: " in str(caught.value)
    assert message in str(caught.value)


def test_missing_q_matrix_is_a_clear_error(tmp_path: Path) -> None:
    data = write(tmp_path / "responses.csv", FOLDER_HEADER + "7\t0\t0\t1\t5\n")
    with pytest.raises(DatasetError, match="Q-matrix file not found"):
        read_responses(data)


def test_generic_csv_with_skills_partial_credit_and_iso_times(tmp_path: Path) -> None:
    data = write(
        tmp_path / "responses.csv",
        "student_id,item_id,skills,correct_or_score,timestamp\n"
        "s1,q1,math:b;math:a,1,2024-01-01T10:00:00Z\n"
        "s2,q2,math:a,0.25,2024-01-01T09:00:00\n",
    )
    loaded = read_generic_csv(data)
    assert loaded.responses == [
        Response(
            student_id="s2", item_id="q2", skills=("math:a",), score=0.25, timestamp=1704099600.0
        ),
        Response(
            student_id="s1",
            item_id="q1",
            skills=("math:a", "math:b"),
            score=1.0,
            timestamp=1704103200.0,
        ),
    ]
    assert detect_format(data) == "generic"


def test_generic_csv_without_timestamps_keeps_row_order_and_accepts_score(tmp_path: Path) -> None:
    data = write(
        tmp_path / "responses.csv", "student_id,item_id,skills,score\ns2,q2,a,1\ns1,q1,a,0\n"
    )
    loaded = read_responses(data)
    assert [(r.student_id, r.timestamp) for r in loaded.responses] == [("s2", None), ("s1", None)]


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        ("student_id,item_id,correct\ns,q,1\n", "row 1, column skills", "missing column"),
        ("student_id,item_id,skills,correct\ns,q,a,1.5\n", "row 2, column correct", "[0, 1]"),
        ("student_id,item_id,skills,correct\ns,q,a,yes\n", "row 2, column correct", "[0, 1]"),
        ("student_id,item_id,skills,correct\ns,q, ; ,1\n", "row 2, column skills", "one skill"),
        (
            "student_id,item_id,skills,correct\ns,q,a,1\nt,q,b,1\n",
            "row 3, column skills",
            "listed earlier",
        ),
        (
            "student_id,item_id,skills,correct,timestamp\ns,q,a,1,5\nt,q,a,1,\n",
            "row 3, column timestamp",
            "every row or on none",
        ),
        (
            "student_id,item_id,skills,correct,timestamp\ns,q,a,1,yesterday\n",
            "row 2, column timestamp",
            "ISO 8601",
        ),
    ],
)
def test_generic_csv_errors_name_file_row_and_column(
    tmp_path: Path, body: str, location: str, message: str
) -> None:
    data = write(tmp_path / "bad.csv", body)
    with pytest.raises(DatasetError) as caught:
        read_generic_csv(data)
    assert f"{data} {location}: " in str(caught.value)
    assert message in str(caught.value)


def test_unknown_header_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown header"):
        detect_format(write(tmp_path / "x.csv", "who,what\n"))


def _responses(students: int, per_student: int = 3) -> list[Response]:
    return [
        Response(student_id=f"s{s}", item_id=f"q{n}", skills=("a",), score=float(n % 2))
        for s in range(students)
        for n in range(per_student)
    ]


def test_user_split_is_disjoint_reproducible_and_keeps_order() -> None:
    responses = _responses(10)
    train, test = split_users(responses, test_fraction=0.2, seed=3)
    assert {r.student_id for r in train}.isdisjoint({r.student_id for r in test})
    assert len({r.student_id for r in test}) == 2
    assert len(train) + len(test) == len(responses)
    assert test == [r for r in responses if r in test]  # original order kept
    assert split_users(responses, test_fraction=0.2, seed=3) == (train, test)
    assert split_users(responses, test_fraction=0.2, seed=4) != (train, test)


@pytest.mark.parametrize("text", ["users:0", "users:1", "items:0.2", "users:x", "0.2"])
def test_bad_split_texts_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"users:0\.2"):
        parse_split(text)


def test_parse_split() -> None:
    assert parse_split("users:0.25") == 0.25


def test_empty_test_set_and_shared_students_are_errors(tmp_path: Path) -> None:
    header = "student_id,item_id,skills,correct\n"
    train = write(tmp_path / "train.csv", header + "s1,q1,a,1\n")
    empty = write(tmp_path / "test.csv", header)
    with pytest.raises(DatasetError, match="test set is empty"):
        from_train_and_test(train, empty)
    same = write(tmp_path / "same.csv", header + "s1,q1,a,0\n")
    with pytest.raises(DatasetError, match="user-disjoint"):
        from_train_and_test(train, same)
    one = write(tmp_path / "one.csv", header + "s1,q1,a,0\ns2,q1,a,1\n")
    data = from_one_file(one, test_fraction=0.5, seed=0)
    assert len(data.train) == len(data.test) == 1
