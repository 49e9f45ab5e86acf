"""Assemble the train and test sides of a run from files or the event log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smartpractice_lab.evaluation.dataset import (
    DatasetError,
    ItemInfo,
    ReplayData,
    Response,
    split_users,
)
from smartpractice_lab.evaluation.event_log import event_log_source, read_event_log
from smartpractice_lab.evaluation.readers import (
    LoadedResponses,
    QMatrix,
    detect_format,
    load_q_matrix,
    read_responses,
)

__all__ = ["from_event_log", "from_one_file", "from_train_and_test", "validation_split"]


def _checked(
    source: str, train: Sequence[Response], test: Sequence[Response], items: dict[str, ItemInfo]
) -> ReplayData:
    if not test:
        raise DatasetError(source, "the test set is empty")
    shared = {r.student_id for r in train} & {r.student_id for r in test}
    if shared:
        example = sorted(shared)[0]
        raise DatasetError(
            source,
            f"{len(shared)} students are on both sides (e.g. {example!r}); "
            "train and test must be user-disjoint",
        )
    return ReplayData(source=source, train=train, test=test, items=items)


def from_train_and_test(
    train_path: Path, test_path: Path, *, q_matrix: Path | None = None
) -> ReplayData:
    """Train users from one file, test users from another (a fixed published split).

    Raises:
        DatasetError: bad rows, an empty test file, or students in both files.
    """
    matrix: Path | QMatrix | None = q_matrix
    if detect_format(train_path) == detect_format(test_path) == "folder" and (
        q_matrix is not None or train_path.parent == test_path.parent
    ):
        # Both files use the same Q-matrix: load it once.
        matrix = load_q_matrix(q_matrix or train_path.parent / "q_mat.npz")
    train = read_responses(train_path, q_matrix=matrix)
    test = read_responses(test_path, q_matrix=matrix)
    for item_id, info in test.items.items():
        known = train.items.get(item_id)
        if known is not None and known.skills != info.skills:
            raise DatasetError(
                str(test_path), f"item {item_id!r} has other skills than in {train_path}"
            )
    return _checked(str(test_path), train.responses, test.responses, {**train.items, **test.items})


def _split(loaded: LoadedResponses, source: str, *, test_fraction: float, seed: int) -> ReplayData:
    train, test = split_users(loaded.responses, test_fraction=test_fraction, seed=seed)
    return _checked(source, train, test, loaded.items)


def from_one_file(
    path: Path, *, test_fraction: float, seed: int, q_matrix: Path | None = None
) -> ReplayData:
    """One file split by users: a random `test_fraction` (0-1) of its students (drawn with
    `seed`) are the test users.

    Raises:
        DatasetError: bad rows, or too few students to split.
    """
    return _split(
        read_responses(path, q_matrix=q_matrix), str(path), test_fraction=test_fraction, seed=seed
    )


def from_event_log(
    database_url: str, *, tenant_id: str = "default", test_fraction: float, seed: int
) -> ReplayData:
    """The applied attempts (in applied order) of tenant `tenant_id` of the service at
    `database_url`, split by users: a random `test_fraction` (0-1) of them, drawn with `seed`,
    are scored.

    Raises:
        DatasetError: the database cannot be read, or holds no applied attempt.
    """
    loaded = read_event_log(database_url, tenant_id=tenant_id)
    return _split(
        loaded, event_log_source(database_url, tenant_id), test_fraction=test_fraction, seed=seed
    )


def validation_split(data: ReplayData, *, test_fraction: float, seed: int) -> ReplayData:
    """The train users of `data` split again by users: a random `test_fraction` (0-1) of
    them (drawn with `seed`) are scored, the rest are learned from. The test users are left
    out entirely, so constants can be tuned without ever looking at the test file.

    Raises:
        DatasetError: too few train students to split.
    """
    train, held_out = split_users(data.train, test_fraction=test_fraction, seed=seed)
    source = f"{data.source} (validation: {test_fraction:g} of the train users, seed {seed})"
    return _checked(source, train, held_out, dict(data.items))
