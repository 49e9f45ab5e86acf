"""Selection policies, all reading the service's state through the same `CatalogView`.

* ``random``: any item of the scope, uniformly.
* ``textbook``: the scope's items in chapter order, then bank order, round and round.
* ``elo_match``: the customer's first sketch: the item whose difficulty gap (mean over its
  skills of difficulty minus the student's rating) is closest to the 50-150 Elo points
  "challenge zone" (ties: closest to +100, then bank order), never the item just answered.
* ``mastery_threshold``: the scope's skills in textbook order; items of the current skill
  (bank order, round and round) until `MASTERY_STREAK` right in a row, then the next skill.
* ``smart_practice``: the service's `pick_next_item`, exactly as `next-question` runs it.
* ``weakest_skill`` and ``bkt_mastery``: two more baselines
  (`smartpractice_lab.simulation.baselines`).

Diagnostic only, all read the learner's hidden state (no service can):

* ``oracle`` picks the scope item with the largest expected progress towards mastery (one
  step ahead): how much any policy could gain under the learner model;
* ``planner`` looks further ahead: each candidate first item is followed by a roll-out of
  the next questions under the expected learner dynamics
  (`smartpractice_lab.simulation.planner`), a stronger bound than the one-step ``oracle``; it
  models the Elo learner only (families ``elo`` and ``forgetting``);
* ``mastery_informed`` is ``smart_practice`` told which taught skills are already mastered:
  the service's pipeline on the scope narrowed to the skills still short of mastery (all of
  them once every one is mastered): how much Smart Practice loses by not knowing it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.elo import skill_rating
from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import Scope
from smartpractice.services.practice import pick_next_item
from smartpractice_lab.simulation.baselines import BktMasteryPolicy, WeakestSkillPolicy
from smartpractice_lab.simulation.catalog import MemoryCatalogView
from smartpractice_lab.simulation.config import (
    DIAGNOSTIC_POLICIES,
    POLICY_NAMES,
    START,
    SimulationError,
)
from smartpractice_lab.simulation.family import SimLearner
from smartpractice_lab.simulation.learner import Learner
from smartpractice_lab.simulation.planner import TopicPlanner

__all__ = [
    "CHALLENGE_ZONE",
    "MASTERY_STREAK",
    "Policy",
    "PolicyContext",
    "make_policy",
    "parse_policies",
]

CHALLENGE_ZONE = (50.0, 150.0)
"""The customer's challenge zone: difficulty this many Elo points above the student."""
MASTERY_STREAK = 3
"""Right answers in a row after which `mastery_threshold` moves to the next skill."""


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """What a policy may use for one student: the service's view, never the hidden truth.

    Attributes:
        student_id: The student.
        scope: The practice scope (a topic).
        scope_items: The scope's items in textbook order (chapter, then bank order).
        skills: The scope's taught skills in textbook order (first appearance).
        view: The service state (ratings, catalogue, history).
        config: The service's model constants.
        rng: This student's policy randomness (random picks, Thompson draws).
    """

    student_id: str
    scope: Scope
    scope_items: tuple[str, ...]
    skills: tuple[str, ...]
    view: MemoryCatalogView
    config: ModelConfig
    rng: np.random.Generator


class Policy(Protocol):
    """Chooses each next item for one student."""

    def choose(self, now: datetime) -> str:
        """The next item id."""
        ...

    def observe(self, item_id: str, correct: bool) -> None:
        """The answer to the item just chosen."""
        ...


class RandomPolicy:
    def __init__(self, context: PolicyContext) -> None:
        self.context = context

    def choose(self, now: datetime) -> str:
        items = self.context.scope_items
        return items[int(self.context.rng.integers(len(items)))]

    def observe(self, item_id: str, correct: bool) -> None:
        pass


class TextbookPolicy:
    def __init__(self, context: PolicyContext) -> None:
        self.items = context.scope_items
        self.position = 0

    def choose(self, now: datetime) -> str:
        item_id = self.items[self.position % len(self.items)]
        self.position += 1
        return item_id

    def observe(self, item_id: str, correct: bool) -> None:
        pass


def _ratings(context: PolicyContext) -> StudentRatings:
    return context.view.student_ratings(context.student_id) or StudentRatings(
        ability=RatingState(value=context.config.elo.initial_student_rating)
    )


class EloMatchPolicy:
    def __init__(self, context: PolicyContext) -> None:
        self.context = context
        self.last: str | None = None

    def choose(self, now: datetime) -> str:
        context = self.context
        student = _ratings(context)
        elo = context.config.elo
        low, high = CHALLENGE_ZONE
        middle = (low + high) / 2.0
        difficulties = context.view.item_skills(context.scope_items)
        best: tuple[float, float, int] | None = None
        chosen = context.scope_items[0]
        for order, item_id in enumerate(context.scope_items):
            if item_id == self.last and len(context.scope_items) > 1:
                continue
            skills = difficulties[item_id]
            gap = sum(d - skill_rating(student, s, config=elo) for s, d in skills.items()) / len(
                skills
            )
            key = (max(low - gap, gap - high, 0.0), abs(gap - middle), order)
            if best is None or key < best:
                best, chosen = key, item_id
        return chosen

    def observe(self, item_id: str, correct: bool) -> None:
        self.last = item_id


class MasteryThresholdPolicy:
    def __init__(self, context: PolicyContext) -> None:
        difficulties = context.view.item_skills(context.scope_items)
        self.queues = [
            [i for i in context.scope_items if skill in difficulties[i]] for skill in context.skills
        ]
        self.skill = 0
        self.position = 0
        self.streak = 0

    def choose(self, now: datetime) -> str:
        queue = self.queues[self.skill]
        item_id = queue[self.position % len(queue)]
        self.position += 1
        return item_id

    def observe(self, item_id: str, correct: bool) -> None:
        self.streak = self.streak + 1 if correct else 0
        if self.streak >= MASTERY_STREAK:
            self.skill = (self.skill + 1) % len(self.queues)
            self.position = 0
            self.streak = 0


class SmartPracticePolicy:
    def __init__(self, context: PolicyContext) -> None:
        self.context = context
        # The skills the last pick held mastered: the service reads them back from its
        # selection log for the mastery decision's hysteresis.
        self.mastered: frozenset[str] = frozenset()

    def choose(self, now: datetime) -> str:
        context = self.context
        pick = pick_next_item(
            context.view,
            context.student_id,
            context.scope,
            config=context.config,
            now=now,
            rng=context.rng,
            previously_mastered=self.mastered,
        )
        self.mastered = pick.path.mastered
        return pick.selection.chosen.item_id

    def observe(self, item_id: str, correct: bool) -> None:
        pass


class MasteryInformedPolicy(SmartPracticePolicy):
    def __init__(self, context: PolicyContext, learner: SimLearner) -> None:
        super().__init__(context)
        self.learner = learner
        self.topic_scope = context.scope

    def choose(self, now: datetime) -> str:
        short = [s for s in self.context.skills if self.learner.shortfall(s) > 0]
        scope = dataclasses.replace(self.topic_scope, skills=tuple(short))
        self.context = dataclasses.replace(self.context, scope=scope)
        return super().choose(now)


class OraclePolicy:
    def __init__(self, context: PolicyContext, learner: SimLearner) -> None:
        self.context = context
        self.learner = learner

    def choose(self, now: datetime) -> str:
        learner = self.learner
        day = (now - START).total_seconds() / 86400.0
        targets = self.context.skills
        short = {s: learner.shortfall(s) for s in targets}
        # Once mastered, keep the weakest skill growing (a real shortfall ranks first).
        weight = {s: (1.0 if short[s] > 0 else 1e-3) for s in targets}
        best, chosen = -1.0, self.context.scope_items[0]
        for item_id in self.context.scope_items:
            gains = learner.expected_gains(learner.bank.items[item_id], day=day)
            value = sum(
                weight[s] * (min(g, short[s]) if short[s] > 0 else g)
                for s, g in gains.items()
                if s in weight
            )
            if value > best:
                best, chosen = value, item_id
        return chosen

    def observe(self, item_id: str, correct: bool) -> None:
        pass


class PlannerPolicy:
    def __init__(self, context: PolicyContext, learner: Learner) -> None:
        self.planner = TopicPlanner(learner, context.scope_items, context.skills)

    def choose(self, now: datetime) -> str:
        return self.planner.choose((now - START).total_seconds() / 86400.0)

    def observe(self, item_id: str, correct: bool) -> None:
        pass


def make_policy(name: str, context: PolicyContext, *, learner: SimLearner | None = None) -> Policy:
    """A fresh policy for one student (`learner` only for the diagnostic policies).

    Raises:
        SimulationError: unknown policy name, or `planner` for a learner it cannot model.
    """
    if name == "random":
        return RandomPolicy(context)
    if name == "textbook":
        return TextbookPolicy(context)
    if name == "elo_match":
        return EloMatchPolicy(context)
    if name == "mastery_threshold":
        return MasteryThresholdPolicy(context)
    if name == "smart_practice":
        return SmartPracticePolicy(context)
    if name == "weakest_skill":
        return WeakestSkillPolicy(context)
    if name == "bkt_mastery":
        return BktMasteryPolicy(context)
    if name == "oracle" and learner is not None:
        return OraclePolicy(context, learner)
    if name == "planner" and learner is not None:
        if not isinstance(learner, Learner):
            raise SimulationError("--policies: planner models only the elo and forgetting families")
        return PlannerPolicy(context, learner)
    if name == "mastery_informed" and learner is not None:
        return MasteryInformedPolicy(context, learner)
    raise SimulationError(f"--policies: unknown policy {name!r}; choose from {POLICY_NAMES}")


def parse_policies(text: str) -> Sequence[str]:
    """Policy names from a comma-separated list, in report order.

    Raises:
        SimulationError: empty list or an unknown name.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = POLICY_NAMES + DIAGNOSTIC_POLICIES
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SimulationError(
            f"--policies: unknown {unknown or text!r}; choose from {', '.join(known)}"
        )
    return [n for n in known if n in names]
