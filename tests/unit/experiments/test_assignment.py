"""Unit tests for `smartpractice.core.experiments.assignment`: golden values, share tables
and Hypothesis properties."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpractice.core.experiments.assignment import (
    arm_problems,
    assign_arm,
    assignment_point,
)

AB = (("textbook", 0.5), ("smart_practice", 0.5))
IDS = 100_000

# --- golden values -----------------------------------------------------------------------


def test_point_is_pinned() -> None:
    # Changing the hash would move every student of every running experiment to another
    # arm: this value must never change.
    assert assignment_point("exp-1", "stu-42") == 0.4208027943651852
    assert assign_arm("exp-1", "stu-42", AB) == "textbook"


def test_point_is_the_documented_hash() -> None:
    digest = hashlib.sha256((5).to_bytes(8, "big") + b"exp-1" + b"stu-42").digest()
    assert assignment_point("exp-1", "stu-42") == (int.from_bytes(digest[:8], "big") >> 11) / 2**53


def test_pairs_with_the_same_concatenation_hash_differently() -> None:
    # Length-prefixing the experiment id keeps ("ab", "c") apart from ("a", "bc").
    assert assignment_point("ab", "c") != assignment_point("a", "bc")


# --- shares over many students -----------------------------------------------------------


@pytest.mark.parametrize(
    ("arms", "ids"),
    [
        ((("a", 0.2), ("b", 0.3), ("c", 0.5)), IDS),
        ((("control", 0.9), ("treatment", 0.1)), IDS // 5),  # a cautious rollout
    ],
)
def test_shares_are_matched_over_many_students(
    arms: tuple[tuple[str, float], ...], ids: int
) -> None:
    counts = Counter(assign_arm("exp-shares", f"stu-{i}", arms) for i in range(ids))
    for name, share in arms:
        # Within 4 binomial standard deviations (a false failure about once in 15,000 runs,
        # and the ids are fixed, so the test is deterministic).
        tolerance = 4 * math.sqrt(share * (1 - share) / ids)
        assert abs(counts[name] / ids - share) < tolerance, (name, counts[name])


def test_thirds_that_do_not_sum_to_one_exactly_still_split_evenly() -> None:
    arms = (("a", 1 / 3), ("b", 1 / 3), ("c", 1 / 3))
    counts = Counter(assign_arm("exp-thirds", f"stu-{i}", arms) for i in range(IDS // 5))
    for name, _ in arms:
        assert abs(counts[name] / (IDS // 5) - 1 / 3) < 4 * math.sqrt(2 / 9 / (IDS // 5))


def test_two_experiments_assign_independently() -> None:
    # A student's arm in one experiment says nothing about their arm in another.
    ids = IDS // 5
    pairs = Counter(
        (assign_arm("exp-a", f"stu-{i}", AB), assign_arm("exp-b", f"stu-{i}", AB))
        for i in range(ids)
    )
    assert len(pairs) == 4
    for cell in pairs.values():
        assert abs(cell / ids - 0.25) < 4 * math.sqrt(0.25 * 0.75 / ids)


# --- properties --------------------------------------------------------------------------


@given(experiment=st.text(), student=st.text())
def test_point_is_in_the_unit_interval(experiment: str, student: str) -> None:
    assert 0.0 <= assignment_point(experiment, student) < 1.0


@given(experiment=st.text(min_size=1), student=st.text(min_size=1))
def test_assignment_is_deterministic_and_sticky(experiment: str, student: str) -> None:
    first = assign_arm(experiment, student, AB)
    assert first in {"textbook", "smart_practice"}
    assert all(assign_arm(experiment, student, AB) == first for _ in range(3))
    # Equal arms given as a new (list) object: still the same arm.
    assert assign_arm(experiment, student, [(n, s) for n, s in AB]) == first


@given(student=st.text(), cut=st.floats(min_value=0.01, max_value=0.99))
def test_arm_follows_the_cut_point(student: str, cut: float) -> None:
    arms = (("low", cut), ("high", 1.0 - cut))
    point = assignment_point("exp-cut", student)
    assert assign_arm("exp-cut", student, arms) == ("low" if point < cut else "high")


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arms", "problem"),
    [
        ((), "at least two arms, got 0"),
        ((("only", 1.0),), "at least two arms, got 1"),
        ((("a", 0.5), ("a", 0.5)), "the name is used by an earlier arm"),
        ((("a", 0.5), (" ", 0.5)), "arm 2 has an empty name"),
        ((("a", 1.0), ("b", 0.0)), "the share must be a number above 0, got 0.0"),
        ((("a", 1.5), ("b", -0.5)), "the share must be a number above 0, got -0.5"),
        ((("a", math.nan), ("b", 0.5)), "the share must be a number above 0, got nan"),
        ((("a", 0.5), ("b", 0.4)), "the shares must sum to 1, they sum to 0.9"),
        ((("a", 0.5), ("b", 0.5 + 1e-6)), "the shares must sum to 1"),
    ],
)
def test_invalid_arms_are_explained(arms: tuple[tuple[str, float], ...], problem: str) -> None:
    problems = arm_problems(arms)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="invalid experiment arms"):
        assign_arm("exp", "stu", arms)


@pytest.mark.parametrize(
    "arms",
    [
        AB,
        (("a", 0.1), ("b", 0.2), ("c", 0.7)),
        (("a", 0.5), ("b", 0.5 - 1e-12)),  # within the rounding tolerance
    ],
)
def test_valid_arms_have_no_problems(arms: tuple[tuple[str, float], ...]) -> None:
    assert arm_problems(arms) == []
