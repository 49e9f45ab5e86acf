"""Readers for response files: the public data folder format and a generic CSV.

* **Folder format** (``../shared/data/*``, Gervet et al. 2020): a tab-separated
  ``preprocessed_data_*.csv`` with header ``user_id item_id timestamp correct skill_id``
  (``timestamp`` optional, 0 meaning unknown; ``skill_id`` ignored) and a ``q_mat.npz``
  item x skill matrix (``scipy.sparse``) beside it: item ``i`` tests skill ``j`` when
  entry ``(i, j)`` is non-zero. Skills are named by their column number (``"17"``).
* **Generic CSV**: comma-separated, header ``student_id,item_id,skills,correct_or_score``
  and an optional ``timestamp``; ``skills`` is ``;``-separated; the outcome column (named
  ``correct_or_score``, ``correct`` or ``score``) is a number in [0, 1]; ``timestamp`` is
  seconds since the Unix epoch or ISO 8601 (UTC when no offset is given).

Rows are returned in answer order: by timestamp (stable) when every row has one, else in
file order.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from smartpractice_lab.evaluation.bulk import collector_paused
from smartpractice_lab.evaluation.dataset import DatasetError, ItemInfo, Response

__all__ = [
    "LoadedResponses",
    "QMatrix",
    "detect_format",
    "load_q_matrix",
    "read_folder_file",
    "read_generic_csv",
    "read_responses",
]

FOLDER_REQUIRED = ("user_id", "item_id", "correct")
GENERIC_REQUIRED = ("student_id", "item_id", "skills")
GENERIC_OUTCOMES = ("correct_or_score", "correct", "score")


@dataclass(frozen=True, slots=True)
class LoadedResponses:
    """Responses of one file in answer order, and the items they answer."""

    responses: list[Response]
    items: dict[str, ItemInfo]


@dataclass(frozen=True, slots=True)
class QMatrix:
    """The item -> skills map of the folder format (item ids are row numbers)."""

    path: Path
    skills_of: tuple[tuple[str, ...], ...]

    @property
    def item_count(self) -> int:
        """Rows of the matrix (item ids 0 .. item_count - 1)."""
        return len(self.skills_of)


def load_q_matrix(path: Path) -> QMatrix:
    """Read a ``q_mat.npz`` (``scipy.sparse.save_npz`` format) into skills per item.

    Raises:
        DatasetError: the file is missing or not a sparse matrix.
    """
    from scipy import sparse

    if not path.is_file():
        raise DatasetError(str(path), "Q-matrix file not found (pass --q-matrix)")
    try:
        matrix = sparse.load_npz(path).tocsr()
    except (OSError, ValueError) as error:
        raise DatasetError(str(path), f"not a scipy.sparse .npz matrix: {error}") from None
    matrix.eliminate_zeros()
    names = [str(j) for j in range(matrix.shape[1])]
    columns = [names[j] for j in matrix.indices.tolist()]
    bounds = matrix.indptr.tolist()
    # Skill names sorted as text ("10" before "9"), the order an item's skills are kept in.
    skills_of = tuple(
        tuple(sorted(columns[start:end])) for start, end in itertools.pairwise(bounds)
    )
    return QMatrix(path=path, skills_of=skills_of)


def detect_format(path: Path) -> str:
    """``"folder"`` or ``"generic"``, from the header line of `path`.

    Raises:
        DatasetError: the file is missing, empty, or has neither header.
    """
    if not path.is_file():
        raise DatasetError(str(path), "file not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
    if "student_id" in header:
        return "generic"
    if "user_id" in header:
        return "folder"
    raise DatasetError(
        str(path),
        "unknown header: expected the folder format (user_id, item_id, correct, ...) or the "
        "generic CSV (student_id, item_id, skills, correct_or_score[, timestamp])",
        row=1,
    )


def _rows(
    path: Path, delimiter: str, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [name.strip() for name in next(reader, [])]
        for name in required:
            if name not in header:
                raise DatasetError(str(path), "missing column", row=1, column=name)
        for number, values in enumerate(reader, start=2):
            if not values:
                continue
            if len(values) != len(header):
                raise DatasetError(
                    str(path),
                    f"{len(values)} fields where the header has {len(header)}",
                    row=number,
                )
            yield number, dict(zip(header, values, strict=True))


def _in_answer_order(responses: list[Response]) -> list[Response]:
    if responses and all(r.timestamp is not None for r in responses):
        return sorted(responses, key=lambda r: r.timestamp or 0.0)
    return responses


def read_folder_file(path: Path, q_matrix: QMatrix) -> LoadedResponses:
    """Read one ``preprocessed_data_*.csv`` of the folder format.

    The rows are parsed by the C `csv` reader and checked column by column, each distinct
    value once (a file of 200k rows has a few thousand students and items); the first bad
    row in file order is reported, as a row-by-row reader would.

    Raises:
        DatasetError: a missing column, an item outside the Q-matrix or without skills, a
            ``correct`` other than 0/1, or a non-numeric timestamp (file, row and column named).
    """
    source = str(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = [name.strip() for name in next(reader, [])]
        records = list(reader)
    for name in FOLDER_REQUIRED:
        if name not in header:
            raise DatasetError(source, "missing column", row=1, column=name)
    # Line number of each record (the header is line 1); blank lines are skipped.
    lines: Sequence[int] = range(2, len(records) + 2)
    if [] in records:
        lines = [n for n, values in enumerate(records, start=2) if values]
        records = [values for values in records if values]
    width = len(header)
    short = next((i for i, values in enumerate(records) if len(values) != width), None)
    checked = records if short is None else records[:short]
    columns = dict(zip(header, zip(*checked, strict=True), strict=False)) if checked else {}
    no_times = ("0",) * len(checked)
    found = _folder_columns(
        source,
        q_matrix,
        users=columns.get("user_id", ()),
        item_ids=columns.get("item_id", ()),
        outcomes=columns.get("correct", ()),
        times=columns.get("timestamp", no_times),
    )
    if isinstance(found, tuple):
        index, column, message = found
        raise DatasetError(source, message, row=lines[index], column=column)
    if short is not None:
        raise DatasetError(
            source,
            f"{len(records[short])} fields where the header has {width}",
            row=lines[short],
        )
    return found


_Problem = tuple[int, str, str]
"""A bad value: its record index, its column, and what is wrong."""


def _folder_columns(
    source: str,
    q_matrix: QMatrix,
    *,
    users: tuple[str, ...],
    item_ids: tuple[str, ...],
    outcomes: tuple[str, ...],
    times: tuple[str, ...],
) -> LoadedResponses | _Problem:
    """The responses of the folder format's columns, or the first bad value (by record, then
    item before outcome before time, the order a row is checked in)."""
    problems: list[tuple[int, int, str, str]] = []
    items: dict[str, ItemInfo] = {}
    item_of: dict[str, tuple[str, ItemInfo]] = {}
    for raw in dict.fromkeys(item_ids):
        item_id = raw.strip()
        if not item_id.isdigit() or int(item_id) >= q_matrix.item_count:
            message = (
                f"item {item_id!r} is outside the Q-matrix {q_matrix.path} "
                f"(items 0..{q_matrix.item_count - 1})"
            )
            problems.append((item_ids.index(raw), 0, "item_id", message))
            continue
        skills = q_matrix.skills_of[int(item_id)]
        if not skills:
            message = f"item {item_id} tests no skill in the Q-matrix"
            problems.append((item_ids.index(raw), 0, "item_id", message))
            continue
        info = items.setdefault(item_id, ItemInfo(skills=skills))
        item_of[raw] = (item_id, info)
    score_of: dict[str, float] = {}
    for raw in dict.fromkeys(outcomes):
        if raw.strip() in ("0", "1"):
            score_of[raw] = float(raw.strip())
        else:
            message = f"must be 0 or 1, not {raw.strip()!r}"
            problems.append((outcomes.index(raw), 1, "correct", message))
    time_of: dict[str, float] = {}
    for raw in dict.fromkeys(times):
        try:
            time_of[raw] = value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append((times.index(raw), 2, "timestamp", f"not a number: {raw!r}"))
    if problems:
        index, _, column, message = min(problems)
        return index, column, message
    student_of = {raw: raw.strip() for raw in dict.fromkeys(users)}
    # All 0: the file has no times, and its row order is the answer order.
    any_time = any(value != 0.0 for value in time_of.values())
    rows = [item_of[raw] for raw in item_ids]
    responses = list(
        map(
            Response,
            map(student_of.__getitem__, users),
            [item_id for item_id, _ in rows],
            [info.skills for _, info in rows],
            map(score_of.__getitem__, outcomes),
            map(time_of.__getitem__, times) if any_time else [None] * len(users),
        )
    )
    return LoadedResponses(responses=_in_answer_order(responses), items=items)


def _timestamp(text: str, source: str, row: int) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DatasetError(
            source, f"not seconds or ISO 8601: {text!r}", row=row, column="timestamp"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _score(values: dict[str, str], column: str, source: str, row: int) -> float:
    text = values[column].strip()
    try:
        score = float(text)
    except ValueError:
        score = math.nan
    if not 0.0 <= score <= 1.0:
        raise DatasetError(
            source, f"must be a number in [0, 1], not {text!r}", row=row, column=column
        )
    return score


def read_generic_csv(path: Path) -> LoadedResponses:
    """Read the generic CSV (see the module docstring).

    Raises:
        DatasetError: a missing column, an empty skill list, an item listed with different
            skills on two rows, an outcome outside [0, 1], a bad or partly missing timestamp.
    """
    source = str(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = {name.strip() for name in next(csv.reader(handle), [])}
    outcome = next((name for name in GENERIC_OUTCOMES if name in header), GENERIC_OUTCOMES[0])
    responses: list[Response] = []
    items: dict[str, ItemInfo] = {}
    timed: bool | None = None  # whether rows carry a timestamp, set by the first row
    for row, values in _rows(path, ",", (*GENERIC_REQUIRED, outcome)):
        item_id = values["item_id"].strip()
        skills = tuple(sorted({s.strip() for s in values["skills"].split(";") if s.strip()}))
        if not skills:
            raise DatasetError(source, "an item needs at least one skill", row=row, column="skills")
        known = items.setdefault(item_id, ItemInfo(skills=skills))
        if known.skills != skills:
            raise DatasetError(
                source,
                f"item {item_id!r} was listed earlier with skills {';'.join(known.skills)}",
                row=row,
                column="skills",
            )
        timestamp = _timestamp(values.get("timestamp", ""), source, row)
        if timed is None:
            timed = timestamp is not None
        if timed != (timestamp is not None):
            raise DatasetError(
                source, "give a timestamp on every row or on none", row=row, column="timestamp"
            )
        responses.append(
            Response(
                student_id=values["student_id"].strip(),
                item_id=item_id,
                skills=known.skills,
                score=_score(values, outcome, source, row),
                timestamp=timestamp,
            )
        )
    return LoadedResponses(responses=_in_answer_order(responses), items=items)


def read_responses(path: Path, *, q_matrix: Path | QMatrix | None = None) -> LoadedResponses:
    """Read a response file of either format (detected from its header).

    Args:
        path: The folder-format TSV or the generic CSV.
        q_matrix: The folder format's ``q_mat.npz`` (or the matrix already loaded from it);
            default: ``q_mat.npz`` beside `path`.
    """
    if detect_format(path) == "generic":
        with collector_paused():
            return read_generic_csv(path)
    if isinstance(q_matrix, QMatrix):
        matrix = q_matrix
    else:
        matrix = load_q_matrix(q_matrix or path.parent / "q_mat.npz")
    with collector_paused():
        return read_folder_file(path, matrix)
