"""Deterministic, sticky assignment of students to the arms of an experiment.

A student's arm is a function of the pair (experiment, student) only: the SHA-256 of the
pair gives a number uniform in [0, 1), and the arms' cumulative shares cut [0, 1) into
consecutive intervals. No table of assignments is needed, every process agrees, and the
same student lands in the same arm on every request (sticky). Different experiments hash
differently, so the arms of two experiments running at once are independent.

Changing the shares of a running experiment moves the students near the cut points to
another arm; start a new experiment (a new id) instead.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

__all__ = ["SHARE_TOLERANCE", "arm_problems", "assign_arm", "assignment_point"]

SHARE_TOLERANCE = 1e-9
"""How far from 1 the arms' shares may sum (rounding of decimal shares such as 1/3)."""

_MANTISSA_BITS = 53
"""A float holds 53 bits exactly: more would round ``k / 2**64`` up to 1.0 for the top keys."""


def assignment_point(experiment_id: str, student_id: str) -> float:
    """The student's point in [0, 1) for this experiment: the top 53 bits of
    ``SHA-256(len(experiment) || experiment || student)`` over 2**53.

    The experiment id is length-prefixed so that no two different pairs hash the same bytes
    (without it, ("ab", "c") and ("a", "bc") would collide).
    """
    experiment = experiment_id.encode("utf-8")
    student = student_id.encode("utf-8")
    digest = hashlib.sha256(len(experiment).to_bytes(8, "big") + experiment + student).digest()
    top = int.from_bytes(digest[:8], "big") >> (64 - _MANTISSA_BITS)
    return top / float(1 << _MANTISSA_BITS)


def arm_problems(arms: Sequence[tuple[str, float]]) -> list[str]:
    """What is wrong with an experiment's arms (name, share 0-1), as sentences for people;
    empty when they are valid: at least two arms, non-empty unique names, every share
    finite and above 0, the shares summing to 1 within `SHARE_TOLERANCE`."""
    problems: list[str] = []
    if len(arms) < 2:
        problems.append(f"an experiment needs at least two arms, got {len(arms)}")
    seen: set[str] = set()
    total = 0.0
    for index, (name, share) in enumerate(arms):
        label = f"arm {index + 1} ({name!r})"
        if not name.strip():
            problems.append(f"arm {index + 1} has an empty name")
        elif name in seen:
            problems.append(f"{label}: the name is used by an earlier arm")
        seen.add(name)
        if not math.isfinite(share) or share <= 0.0:
            problems.append(f"{label}: the share must be a number above 0, got {share!r}")
        else:
            total += share
    if arms and not problems and abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append(f"the shares must sum to 1, they sum to {total!r}")
    return problems


def assign_arm(experiment_id: str, student_id: str, arms: Sequence[tuple[str, float]]) -> str:
    """The arm (its name) of `student_id` in `experiment_id`, the arms given as
    (name, share 0-1) in a fixed order; the same answer on every call.

    Raises:
        ValueError: the arms are invalid (`arm_problems` says why).
    """
    problems = arm_problems(arms)
    if problems:
        raise ValueError("invalid experiment arms: " + "; ".join(problems))
    point = assignment_point(experiment_id, student_id)
    cumulative = 0.0
    for name, share in arms:
        cumulative += share
        if point < cumulative:
            return name
    # The shares may sum to a hair under 1 (within SHARE_TOLERANCE): the rest is the last arm's.
    return arms[-1][0]
