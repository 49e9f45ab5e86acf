"""Two baselines that use only what the service sees (ratings, answers), never the truth.

* ``weakest_skill``: the scope skill the service rates least proficient (the student's
  rating on it against its typical item difficulty, the profile's proficiency), then the
  item whose difficulty on that skill is closest to the student's rating on it (ties: bank
  order); never the item just answered (unless the scope has no other).
* ``bkt_mastery``: mastery learning as in cognitive tutors (Corbett & Anderson 1995): the
  scope's skills in textbook order, each practised (its items in bank order, round and
  round, never the item just answered) until a Bayesian knowledge tracing model of the
  student's answers says p(known) >= `BKT_MASTERY`, then the next; once all are there, the
  skill with the lowest p(known). The BKT parameters are fixed at the standard values of
  `BKT_STANDARD`, not fitted; a multi-skill item's answer updates each of its skills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smartpractice.core.practice.mastery import tracing_step
from smartpractice.core.practice.profile import skill_proficiency
from smartpractice.core.rating.elo import skill_rating
from smartpractice.core.types import RatingState, StudentRatings

if TYPE_CHECKING:
    from smartpractice_lab.simulation.policies import PolicyContext

__all__ = [
    "BKT_MASTERY",
    "BKT_STANDARD",
    "BktMasteryPolicy",
    "BktParameters",
    "WeakestSkillPolicy",
    "bkt_update",
]


@dataclass(frozen=True, slots=True)
class BktParameters:
    """A skill's BKT parameters (probabilities 0-1): p(L0), learn (T), guess, slip."""

    initial: float
    learn: float
    guess: float
    slip: float


BKT_STANDARD = BktParameters(initial=0.3, learn=0.2, guess=0.2, slip=0.1)
"""The fixed parameters of `bkt_mastery` (round values of the range cognitive-tutor
fits report; not fitted to the simulated answers)."""
BKT_MASTERY = 0.95
"""p(known) at which `bkt_mastery` moves on (the cognitive tutors' threshold)."""


def bkt_update(known: float, correct: bool, *, params: BktParameters) -> float:
    """p(known) (0-1) after an answer (`smartpractice.core.practice.mastery.tracing_step`)."""
    return tracing_step(
        known,
        1.0 if correct else 0.0,
        learn=params.learn,
        guess=params.guess,
        slip=params.slip,
    )


def _ratings(context: PolicyContext) -> StudentRatings:
    return context.view.student_ratings(context.student_id) or StudentRatings(
        ability=RatingState(value=context.config.elo.initial_student_rating)
    )


class WeakestSkillPolicy:
    """See the module docstring (``weakest_skill``)."""

    def __init__(self, context: PolicyContext) -> None:
        self.context = context
        self.last: str | None = None
        skills = context.view.item_skills(context.scope_items)
        self.items_of = {
            s: [i for i in context.scope_items if s in skills[i]] for s in context.skills
        }

    def _weakest(self, student: StudentRatings) -> str:
        context = self.context
        elo = context.config.elo
        typical = context.view.typical_difficulties(set(context.skills))
        return min(
            context.skills,
            key=lambda s: skill_proficiency(student, s, typical_difficulty=typical[s], config=elo),
        )

    def choose(self, now: datetime) -> str:
        context = self.context
        student = _ratings(context)
        skill = self._weakest(student)
        rating = skill_rating(student, skill, config=context.config.elo)
        candidates = [i for i in self.items_of[skill] if i != self.last]
        if not candidates:
            candidates = [i for i in context.scope_items if i != self.last] or [self.last or ""]
        difficulties = context.view.item_skills(candidates)
        return min(candidates, key=lambda i: abs(difficulties[i].get(skill, rating) - rating))

    def observe(self, item_id: str, correct: bool) -> None:
        self.last = item_id


class BktMasteryPolicy:
    """See the module docstring (``bkt_mastery``)."""

    def __init__(self, context: PolicyContext, params: BktParameters = BKT_STANDARD) -> None:
        self.params = params
        self.skills = context.skills
        skills = context.view.item_skills(context.scope_items)
        self.item_skills = {i: tuple(skills[i]) for i in context.scope_items}
        self.queues = {s: [i for i in context.scope_items if s in skills[i]] for s in self.skills}
        self.position = dict.fromkeys(self.skills, 0)
        self.known = dict.fromkeys(self.skills, params.initial)
        self.last: str | None = None

    def current_skill(self) -> str:
        """The first skill (textbook order) below `BKT_MASTERY`, else the least known."""
        for skill in self.skills:
            if self.known[skill] < BKT_MASTERY:
                return skill
        return min(self.skills, key=lambda s: self.known[s])

    def choose(self, now: datetime) -> str:
        skill = self.current_skill()
        queue = self.queues[skill]
        for _ in range(len(queue)):
            item_id = queue[self.position[skill] % len(queue)]
            self.position[skill] += 1
            if item_id != self.last or len(queue) == 1:
                return item_id
        return queue[0]

    def observe(self, item_id: str, correct: bool) -> None:
        for skill in self.item_skills.get(item_id, ()):
            if skill in self.known:
                self.known[skill] = bkt_update(self.known[skill], correct, params=self.params)
        self.last = item_id
