"""Where each policy's questions go before mastery: a diagnostic of the simulator.

For every question a student answers before mastering the topic, it records (hidden truth
against the service's estimates):

* ``no_progress``: none of the item's skills was a taught skill still short of mastery;
* ``off_topic``: the item lies outside the topic (Smart Practice's remediation);
* ``gain``: Elo points the learner gained on the topic's taught skills, and ``useful_gain``
  the part of it that closed a shortfall to mastery (gain on a mastered skill is not);
* ``weakest_agrees``: the taught skill the service rates least proficient is the one
  truly furthest from mastery (asked only while two or more are short of it);
* ``bias``: the service's proficiency minus the true one, averaged over the taught skills
  (negative: the service thinks the student weaker than they are).

Run: ``python -m smartpractice_lab.simulation.diagnose --students 200 --seed 1``
(docs/simulation.md, "Why Smart Practice is not faster").
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.practice.profile import skill_proficiency
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice_lab.simulation.catalog import bank_view
from smartpractice_lab.simulation.config import SimulationConfig, SimulationError
from smartpractice_lab.simulation.learner import Learner
from smartpractice_lab.simulation.policies import Policy, parse_policies
from smartpractice_lab.simulation.runner import CHANCE_BINS, World, _Student
from smartpractice_lab.simulation.study import (
    build_world,
    learner_config,
    parse_assignments,
    selection_config,
)

__all__ = ["COLUMNS", "diagnose", "main"]

COLUMNS = ("no_progress", "off_topic", "gain", "useful_gain", "weakest_agrees", "bias")
"""Per-question means reported for each policy (see the module docstring)."""


class _Recording:
    """A policy wrapper remembering the item just chosen."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.last = ""

    def choose(self, now: datetime) -> str:
        self.last = self.policy.choose(now)
        return self.last

    def observe(self, item_id: str, correct: bool) -> None:
        self.policy.observe(item_id, correct)


def _estimates(student: _Student, targets: Sequence[str]) -> dict[str, float]:
    """The service's proficiency (0-1) on each taught skill."""
    elo = student.world.model.elo
    ratings = student.view.student_ratings(student.student_id) or StudentRatings(
        ability=RatingState(value=elo.initial_student_rating)
    )
    typical = student.view.typical_difficulties(set(targets))
    return {
        s: skill_proficiency(ratings, s, typical_difficulty=typical[s], config=elo) for s in targets
    }


def _question(
    student: _Student,
    recorder: _Recording,
    question: int,
    counts: dict[str, float],
    histogram: np.ndarray,
) -> None:
    learner = student.learner
    if not isinstance(learner, Learner):
        raise SimulationError("--learners: the diagnosis reads Elo abilities (elo family only)")
    targets = student.topic.targets
    short = {s: learner.shortfall(s) for s in targets}
    before = dict(learner.ability)
    open_skills = [s for s in targets if short[s] > 0]
    estimates = _estimates(student, targets)
    counts["bias"] += sum(estimates[s] - learner.proficiency(s) for s in targets) / len(targets)
    if len(open_skills) >= 2:
        counts["weakest_asked"] += 1
        truly = max(open_skills, key=lambda s: short[s])
        counts["weakest_agrees"] += min(targets, key=lambda s: estimates[s]) == truly
    student.step(question, histogram)
    item = student.world.bank.items[recorder.last]
    taught = [s for s in item.true_difficulties if s in short]
    counts["questions"] += 1
    counts["no_progress"] += all(short[s] <= 0 for s in taught)
    counts["off_topic"] += item.item_id not in student.topic.item_ids
    for skill in taught:
        gained = learner.ability[skill] - before[skill]
        counts["gain"] += gained
        counts["useful_gain"] += min(max(gained, 0.0), short[skill])


def diagnose(world: World, policy: str) -> dict[str, float]:
    """Per-question means of `COLUMNS` over every student's practice before mastery."""
    simulation = world.simulation
    counts: dict[str, float] = defaultdict(float)
    for first in range(0, simulation.students, simulation.cohort_size):
        count = min(simulation.cohort_size, simulation.students - first)
        view = bank_view(world.bank, initial_ability=world.model.elo.initial_student_rating)
        students = [_Student(world, view, policy, first + k) for k in range(count)]
        histogram = np.zeros(CHANCE_BINS, dtype=np.int64)
        recorders = []
        for student in students:
            recorder = _Recording(student.policy)
            student.policy = recorder
            recorders.append(recorder)
        for question in range(simulation.questions):
            for student, recorder in zip(students, recorders, strict=True):
                if student.mastered_at < 0:
                    _question(student, recorder, question, counts, histogram)
                else:
                    student.step(question, histogram)
    questions = max(counts["questions"], 1)
    found = {name: counts[name] / questions for name in COLUMNS if name != "weakest_agrees"}
    found["weakest_agrees"] = counts["weakest_agrees"] / max(counts["weakest_asked"], 1)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--learners", default="baseline")
    parser.add_argument("--policies", default="textbook,smart_practice,oracle")
    parser.add_argument("--selection", action="append", default=[])
    args = parser.parse_args(argv)
    base = ModelConfig()
    model = dataclasses.replace(
        base,
        selection=selection_config(
            base.selection, parse_assignments(args.selection, option="--selection")
        ),
    )
    world = build_world(
        model=model,
        learner=learner_config(args.learners, {}),
        simulation=SimulationConfig(students=args.students, seed=args.seed),
    )
    print("| policy | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for policy in parse_policies(args.policies):
        found = diagnose(world, policy)
        cells = [f"{100 * found['no_progress']:.1f}%", f"{100 * found['off_topic']:.1f}%"]
        cells += [f"{found['gain']:.1f}", f"{found['useful_gain']:.1f}"]
        cells += [f"{100 * found['weakest_agrees']:.1f}%", f"{found['bias']:+.3f}"]
        print(f"| {policy} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
