"""`calibrate`: refit item difficulties offline from the event log and seed the rarely seen.

The online Elo moves an item's difficulty only when someone answers it, without knowing how
strong those students were, so an item seen a handful of times sits wherever its first few
answers pushed it. Here every applied attempt is fitted at once
(`smartpractice.core.rating.calibration`: a regularised 1PL on the Elo scale with students'
abilities as nuisance parameters and each prior centred on the item-skill's label difficulty
plus a fitted shift of its skill), and item-skills with fewer than `min_attempts` applied
attempts, new ones included, take the fitted difficulty; well-measured ones keep their
online rating unless `refit_all`.

Each observation is one skill of one applied attempt, with the performance and weight the
evidence step credited it (the event's recorded ``outcome``, so hints, tries, time,
confidence and tutor-chat struggle count as they did online). The fit is in memory
(`CalibrationData`, `plan_changes`), shared by the database adapter
(`calibrate_item_skills`) and the evaluation's calibrated model; only
``item_skills.difficulty`` is written (``initial_difficulty``, the label, stays the prior of
the next calibration). `replay` rebuilds difficulties from the labels and the log, so it
undoes a calibration.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smartpractice.core.config import EloConfig
from smartpractice.core.rating.calibration import CalibrationPriors, fit_difficulties
from smartpractice.services.ports import CalibrationStore, ItemSkillState

__all__ = [
    "DEFAULT_MIN_ATTEMPTS",
    "CalibrationData",
    "CalibrationReport",
    "DifficultyChange",
    "FittedDifficulties",
    "ItemSkillState",
    "calibrate_item_skills",
    "plan_changes",
]

DEFAULT_MIN_ATTEMPTS = 20
"""Item-skills with fewer applied attempts than this take the calibrated difficulty (chosen
on a validation split of ASSISTments 2009 train users, docs/evaluation.md)."""

ItemSkillKey = tuple[str, str]
"""(item_id, skill_id)."""


@dataclass
class CalibrationData:
    """Per-skill observations of applied attempts, indexed for `fit_difficulties`."""

    students: dict[str, int] = field(default_factory=dict)
    keys: dict[ItemSkillKey, int] = field(default_factory=dict)
    # Typed arrays: 8 bytes per number, so a log of millions of attempts fits in memory.
    student_index: array[int] = field(default_factory=lambda: array("q"))
    key_index: array[int] = field(default_factory=lambda: array("q"))
    performance: array[float] = field(default_factory=lambda: array("d"))
    weight: array[float] = field(default_factory=lambda: array("d"))
    attempts: int = 0
    """Attempts added (a multi-skill attempt is one attempt and several observations)."""

    def add(self, student_id: str, item_id: str, skills: Mapping[str, tuple[float, float]]) -> None:
        """One applied attempt: `skills` maps each skill to (performance 0-1, weight > 0)."""
        if not skills:
            return
        student = self.students.setdefault(student_id, len(self.students))
        for skill_id, (performance, weight) in skills.items():
            self.student_index.append(student)
            self.key_index.append(self.keys.setdefault((item_id, skill_id), len(self.keys)))
            self.performance.append(min(max(float(performance), 0.0), 1.0))
            self.weight.append(float(weight))
        self.attempts += 1

    def fit(
        self,
        labels: Mapping[ItemSkillKey, float],
        *,
        elo: EloConfig,
        priors: CalibrationPriors,
        skill_shifts: bool = True,
    ) -> FittedDifficulties:
        """Calibrate every observed item-skill and, with `skill_shifts`, every item-skill of
        `labels` on an observed skill.

        Args:
            labels: Label difficulty (Elo points) per item-skill, the prior's centre; an
                observed item-skill missing here is centred on the unlabelled difficulty.
            elo: The model's Elo constants (scale, a new student's rating, bounds).
            priors: Prior strengths of the fit.
            skill_shifts: Centre each prior on the label plus a fitted shift of its skill
                (a skill whose items are all harder than their labels moves as a whole, and
                its unanswered items move with it); False: on the label alone.
        """
        if not self.keys:
            return FittedDifficulties(values={}, shifts={}, iterations=0, converged=True)
        keys = list(self.keys)
        skill_index: dict[str, int] = {}
        groups = np.asarray(
            [skill_index.setdefault(skill, len(skill_index)) for _, skill in keys],
            dtype=np.int64,
        )
        result = fit_difficulties(
            np.frombuffer(self.student_index, dtype=np.int64),
            np.frombuffer(self.key_index, dtype=np.int64),
            np.frombuffer(self.performance, dtype=np.float64),
            np.frombuffer(self.weight, dtype=np.float64),
            np.asarray([labels.get(k, elo.unlabelled_difficulty) for k in keys]),
            n_students=len(self.students),
            ability_mean=elo.initial_student_rating,
            scale=elo.scale,
            groups=groups if skill_shifts else None,
            n_groups=len(skill_index) if skill_shifts else 0,
            priors=priors,
        )
        low, high = elo.rating_bounds
        values = {
            key: (
                min(max(float(result.difficulties[n]), low), high),
                float(result.standard_errors[n]),
            )
            for n, key in enumerate(keys)
        }
        shifts: dict[str, float] = {}
        if skill_shifts:
            shifts = {skill: float(result.shifts[n]) for skill, n in skill_index.items()}
            for key, label in labels.items():
                if key not in values and key[1] in skill_index:
                    n = skill_index[key[1]]
                    values[key] = (
                        min(max(label + float(result.shifts[n]), low), high),
                        math.hypot(priors.difficulty_sd, float(result.shift_errors[n])),
                    )
        return FittedDifficulties(
            values=values,
            shifts=shifts,
            iterations=result.iterations,
            converged=result.converged,
        )


@dataclass(frozen=True, slots=True)
class FittedDifficulties:
    """What `CalibrationData.fit` found.

    Attributes:
        values: (calibrated difficulty, standard error) per item-skill, both in Elo points,
            the difficulty clipped to the rating bounds: the observed item-skills, and the
            unanswered ones of observed skills when skills were shifted.
        shifts: Per observed skill, how much harder than their labels its items are (Elo
            points); empty when skills were not shifted.
        iterations: Sweeps of the optimiser.
        converged: Whether it reached its tolerance.
    """

    values: dict[ItemSkillKey, tuple[float, float]]
    shifts: dict[str, float]
    iterations: int
    converged: bool


@dataclass(frozen=True, slots=True)
class DifficultyChange:
    """One item-skill that takes its calibrated difficulty.

    Attributes:
        item_id: The item.
        skill_id: The skill.
        attempts: Its applied attempts.
        before: Online difficulty before calibration (Elo points).
        after: Calibrated difficulty (Elo points).
        initial: Label difficulty, the prior's centre (Elo points).
        standard_error: Posterior standard deviation of `after` (Elo points).
    """

    item_id: str
    skill_id: str
    attempts: int
    before: float
    after: float
    initial: float
    standard_error: float

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, numbers rounded to 0.01 Elo points."""
        return {
            "item_id": self.item_id,
            "skill_id": self.skill_id,
            "attempts": self.attempts,
            "before": round(self.before, 2),
            "after": round(self.after, 2),
            "initial": round(self.initial, 2),
            "standard_error": round(self.standard_error, 2),
        }


def plan_changes(
    fitted: Mapping[ItemSkillKey, tuple[float, float]],
    current: Mapping[ItemSkillKey, ItemSkillState],
    *,
    min_attempts: int,
    refit_all: bool,
) -> list[DifficultyChange]:
    """The item-skills of `current` that take their calibrated difficulty from `fitted`:
    those with fewer than `min_attempts` applied attempts (new ones included), or every
    one with `refit_all`; a calibrated value equal to the current one is no change. Sorted
    by (item, skill).

    Raises:
        ValueError: `min_attempts` < 1.
    """
    if min_attempts < 1:
        raise ValueError("min_attempts must be at least 1")
    return [
        DifficultyChange(
            item_id=key[0],
            skill_id=key[1],
            attempts=state.attempts,
            before=state.difficulty,
            after=fitted[key][0],
            initial=state.initial,
            standard_error=fitted[key][1],
        )
        for key in sorted(k for k in fitted if k in current)
        for state in [current[key]]
        if (refit_all or state.attempts < min_attempts)
        and abs(fitted[key][0] - state.difficulty) > _SAME
    ]


_SAME = 1e-9
"""Elo points below which a calibrated difficulty is the current one."""


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """What `calibrate_item_skills` did (or, with `dry_run`, would do).

    Attributes:
        attempts: Applied attempts fitted.
        students: Students who made them.
        answered: Item-skills with at least one fitted observation.
        fitted: Item-skills with a calibrated difficulty: the answered ones, and the others
            of the skills answered.
        changes: Item-skills that take their calibrated difficulty, by (item, skill).
        uncalibrated: Item-skills of skills nobody answered (left as they are).
        skipped: Applied attempts not used: no recorded outcome, or their item-skills no
            longer exist.
        min_attempts: The threshold, or None when every item-skill was refitted.
        dry_run: Whether nothing was written.
        iterations: Sweeps of the optimiser.
        converged: Whether it reached its tolerance.
    """

    attempts: int
    students: int
    answered: int
    fitted: int
    changes: list[DifficultyChange]
    uncalibrated: int
    skipped: int
    min_attempts: int | None
    dry_run: bool
    iterations: int
    converged: bool

    @property
    def kept(self) -> int:
        """Calibrated item-skills that keep their online difficulty."""
        return self.fitted - len(self.changes)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready summary with every change."""
        return {
            "attempts": self.attempts,
            "students": self.students,
            "item_skills": {
                "answered": self.answered,
                "fitted": self.fitted,
                "changed": len(self.changes),
                "kept": self.kept,
                "uncalibrated": self.uncalibrated,
            },
            "skipped_attempts": self.skipped,
            "min_attempts": self.min_attempts,
            "dry_run": self.dry_run,
            "iterations": self.iterations,
            "converged": self.converged,
            "changes": [change.as_json() for change in self.changes],
        }

    def summary_lines(self, *, largest: int = 10) -> list[str]:
        """A few lines for people: the counts, then the `largest` moves."""
        if not self.attempts:
            return ["the event log holds no applied attempt to calibrate from; nothing changed"]
        rule = (
            "every item skill refitted"
            if self.min_attempts is None
            else f"item skills with fewer than {self.min_attempts} applied attempts"
        )
        lines = [
            f"fitted {self.attempts} applied attempts by {self.students} students "
            f"({self.answered} item skills answered, {self.iterations} sweeps)",
            f"{'would change' if self.dry_run else 'changed'} {len(self.changes)} item skills "
            f"({rule}); {self.kept} keep their difficulty; {self.uncalibrated} on skills "
            "nobody answered stay as they are",
        ]
        if self.skipped:
            lines.append(f"skipped {self.skipped} attempts without a usable outcome")
        moves = sorted(self.changes, key=lambda c: abs(c.after - c.before), reverse=True)
        if moves[:largest]:
            lines.append("largest moves (Elo points): item skill attempts before -> after (label)")
            lines += [
                f"  {c.item_id} {c.skill_id} {c.attempts} {c.before:.0f} -> {c.after:.0f} "
                f"(±{c.standard_error:.0f}; label {c.initial:.0f})"
                for c in moves[:largest]
            ]
        if self.dry_run:
            lines.append("dry run: nothing written")
        elif self.changes:
            lines.append(
                "note: `smartpractice replay` rebuilds difficulties from the labels and the "
                "log, undoing this; run calibrate again after a replay"
            )
        return lines


def _observations(
    store: CalibrationStore, known: Collection[ItemSkillKey]
) -> tuple[CalibrationData, int]:
    """Per-skill performance and weight of every applied attempt on known item-skills, as
    the evidence step credited them (the event's outcome; an event without one counts its
    overall performance on each of its item's skills, with weight 1)."""
    skills_of: dict[str, list[str]] = {}
    for item_id, skill_id in sorted(known):
        skills_of.setdefault(item_id, []).append(skill_id)
    data = CalibrationData()
    skipped = 0
    for attempt in store.applied_attempts():
        item_id = attempt.item_id
        if attempt.skills:
            skills = {
                s: (float(v["performance"]), float(v.get("weight", 1.0)))
                for s, v in attempt.skills.items()
                if (item_id, s) in known
            }
        elif attempt.performance is not None:
            skills = {s: (float(attempt.performance), 1.0) for s in skills_of.get(item_id, [])}
        else:
            skills = {}
        if skills:
            data.add(attempt.student_id, item_id, skills)
        else:
            skipped += 1
    return data, skipped


def calibrate_item_skills(
    store: CalibrationStore,
    *,
    elo: EloConfig,
    min_attempts: int = DEFAULT_MIN_ATTEMPTS,
    refit_all: bool = False,
    dry_run: bool = False,
    priors: CalibrationPriors | None = None,
) -> CalibrationReport:
    """Fit every item-skill's difficulty on the applied attempts and write the calibrated
    difficulty of those with fewer than `min_attempts` applied attempts (every fitted one
    with `refit_all`), inside the caller's transaction; `initial_difficulty` is not changed.

    The log is read without locks; the rows to change are then locked (PostgreSQL) in the
    workers' order and the rule is applied to their current attempt counts, so an
    item-skill a worker just took past the threshold keeps its online rating.

    Raises:
        ValueError: `min_attempts` < 1.
    """
    if min_attempts < 1:
        raise ValueError("min_attempts must be at least 1")
    priors = priors or CalibrationPriors()
    states = store.item_skill_states()
    data, skipped = _observations(store, states.keys())
    fitted = data.fit({k: v.initial for k, v in states.items()}, elo=elo, priors=priors)
    candidates = {
        item_id
        for (item_id, skill_id) in fitted.values
        if refit_all or states[(item_id, skill_id)].attempts < min_attempts
    }
    locked = store.item_skill_states(candidates) if candidates else {}
    changes = plan_changes(fitted.values, locked, min_attempts=min_attempts, refit_all=refit_all)
    if changes and not dry_run:
        store.set_difficulties({(c.item_id, c.skill_id): c.after for c in changes})
    return CalibrationReport(
        attempts=data.attempts,
        students=len(data.students),
        answered=len(data.keys),
        fitted=len(fitted.values),
        changes=changes,
        uncalibrated=len(states) - len(fitted.values),
        skipped=skipped,
        min_attempts=None if refit_all else min_attempts,
        dry_run=dry_run,
        iterations=fitted.iterations,
        converged=fitted.converged,
    )
