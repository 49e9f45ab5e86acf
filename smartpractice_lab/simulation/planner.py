"""A look-ahead oracle: a stronger diagnostic bound than the one-step greedy `oracle`.

Like `oracle` it reads the learner's hidden state, which no service can. It plans: each
candidate first item is followed by a deterministic roll-out of up to `horizon` more
questions under the expected learner dynamics (every answer replaced by its expected
learning; the one-step greedy choice at every roll-out step), and the first item whose
roll-out masters the topic soonest is chosen (a roll-out that does not master it within the
horizon ranks by the shortfall it closed, below every one that does). A roll-out sees what a
one-step choice cannot: that raising a prerequisite speeds every later question on the
skills built on it, that an item used now teaches little if repeated within the day, and
that a skill drilled now will need fewer questions later. This is one step of policy
improvement over the greedy oracle (a roll-out policy), so it is at least as good in the
planning model; with `to_mastery` False it ranks by the shortfall closed over the horizon
instead (measured with a horizon of 15: no better than the greedy oracle).

Candidates are the greedy oracle's best `width` items plus the best item of every taught
skill still short of mastery (so that "work on the root skill first" is always evaluated).
Roll-outs ignore forgetting between sessions and the frustration streak after the first
question; they are a planning model, the learner itself is unchanged.

Vectorised over the topic's items (numpy). Slow: several seconds per student (60-step
roll-outs for about six first items at each of ~50 questions before mastery), so it is
measured on a few hundred students.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartpractice_lab.simulation.learner import SCALE, Learner

__all__ = ["TopicPlanner"]


@dataclass(frozen=True, slots=True)
class _Entry:
    """Incidence of the topic's items on skills, as flat arrays over (item, skill) pairs."""

    item: np.ndarray
    skill: np.ndarray
    difficulty: np.ndarray


class TopicPlanner:
    """Plans one student's next item over a topic's items from the learner's hidden state."""

    def __init__(
        self,
        learner: Learner,
        item_ids: tuple[str, ...],
        targets: tuple[str, ...],
        *,
        horizon: int = 60,
        width: int = 4,
        to_mastery: bool = True,
    ) -> None:
        """Index the topic's items, skills, prerequisites and mastery levels.

        Args:
            learner: The student (hidden state read at every choice, never written).
            item_ids: The topic's items.
            targets: The taught skills (the mastery target).
            horizon: Questions rolled out after each candidate first item.
            width: Greedy-best first items evaluated (besides each open skill's best).
            to_mastery: Rank first items by when their roll-out masters the topic (else by
                the shortfall closed over the horizon).
        """
        self.learner = learner
        self.item_ids = item_ids
        self.horizon = horizon
        self.width = width
        self.to_mastery = to_mastery
        bank = learner.bank
        skills: dict[str, int] = {}
        for item_id in item_ids:
            for s in bank.items[item_id].true_difficulties:
                skills.setdefault(s, len(skills))
        for s in list(skills):
            for p in bank.prerequisites.get(s, ()):
                if p in learner.ability:
                    skills.setdefault(p, len(skills))
        self.skills = tuple(skills)
        entries = [
            (k, skills[s], d)
            for k, item_id in enumerate(item_ids)
            for s, d in bank.items[item_id].true_difficulties.items()
        ]
        self.entry = _Entry(
            item=np.array([e[0] for e in entries], dtype=np.int64),
            skill=np.array([e[1] for e in entries], dtype=np.int64),
            difficulty=np.array([e[2] for e in entries], dtype=float),
        )
        self.is_target = np.array([s in targets for s in self.skills])
        self.targets = targets
        # Only the taught skills have a mastery level to reach.
        self.level = np.array(
            [learner.mastery_level(s) if s in targets else math.inf for s in self.skills]
        )
        # Prerequisite pairs (skill index, prerequisite index) and each prerequisite's
        # typical true difficulty.
        pairs = [
            (skills[s], skills[p])
            for s in self.skills
            for p in bank.prerequisites.get(s, ())
            if p in skills
        ]
        self.pre_skill = np.array([a for a, _ in pairs], dtype=np.int64)
        self.pre_of = np.array([b for _, b in pairs], dtype=np.int64)
        self.typical = np.array([bank.typical_true[s] for s in self.skills])
        self.has_pre = np.zeros(len(self.skills), dtype=bool)
        self.has_pre[self.pre_skill] = True
        self.seconds = np.array(
            [bank.items[i].expected_time_seconds + 10.0 for i in item_ids], dtype=float
        )
        config = learner.config
        self.best_logit = math.log(config.best_challenge / (1.0 - config.best_challenge))

    def _chance(self, ability: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
        exponent = np.clip((difficulty - ability) / SCALE, -300, 300)
        return np.asarray(1.0 / (1.0 + np.power(10.0, exponent)))

    def _gains(
        self, ability: np.ndarray, seen: np.ndarray, day: float, frustrated: bool
    ) -> np.ndarray:
        """Expected gain (Elo points) of each (item, skill) entry for answering the item."""
        config = self.learner.config
        e = self.entry
        p = self._chance(ability[e.skill], e.difficulty)
        solve = np.ones(len(self.item_ids))
        np.multiply.at(solve, e.item, p)
        outcome = solve + (1.0 - solve) * (1.0 - config.guess) * config.failure_learning
        remembered = np.where(np.isfinite(seen), 0.5 ** ((day - seen) / config.item_memory_days), 0)
        scale = self.learner.rate * outcome * (1.0 - (1.0 - config.repeat_learning) * remembered)
        if frustrated:
            scale = scale * config.frustration_learning
        q = np.clip(p, 1e-9, 1.0 - 1e-9)
        distance = (np.log(q / (1.0 - q)) - self.best_logit) / config.challenge_width
        zone = np.exp(-0.5 * distance * distance)
        weakest = np.ones(len(self.skills))
        if self.pre_skill.size:
            pre_chance = self._chance(ability[self.pre_of], self.typical[self.pre_of])
            np.minimum.at(weakest, self.pre_skill, pre_chance)
        ready = np.minimum(1.0, weakest / config.prerequisite_ready)
        factor = np.where(
            self.has_pre,
            config.prerequisite_floor + (1.0 - config.prerequisite_floor) * ready,
            1.0,
        )
        return np.asarray(scale[e.item] * zone * factor[e.skill])

    def _progress(self, gains: np.ndarray, ability: np.ndarray) -> np.ndarray:
        """Per item: shortfall to mastery closed on the taught skills (a tiny weight on
        gains beyond mastery, so that a mastered topic still gets practice)."""
        e = self.entry
        short = np.maximum(self.level - ability, 0.0)[e.skill]
        useful = np.where(
            self.is_target[e.skill], np.where(short > 0, np.minimum(gains, short), 1e-3 * gains), 0
        )
        value = np.zeros(len(self.item_ids))
        np.add.at(value, e.item, useful)
        return value

    def _state(self) -> tuple[np.ndarray, np.ndarray]:
        learner = self.learner
        ability = np.array([learner.ability[s] for s in self.skills])
        seen = np.array([learner.seen.get(i, math.inf) for i in self.item_ids])
        return ability, seen

    def _rollout(self, first: int, ability: np.ndarray, seen: np.ndarray, day: float) -> float:
        """Value of `first` then greedy questions (expected dynamics): `start + horizon -
        step` if mastered after `step` questions (`to_mastery`), else the shortfall (Elo
        points) closed."""
        ability = ability.copy()
        seen = seen.copy()
        start = float(np.maximum(self.level - ability, 0.0)[self.is_target].sum())
        frustrated = self.learner.failures_in_a_row >= self.learner.config.frustration_streak
        choice = first
        for step in range(self.horizon + 1):
            if self.to_mastery and step and not (self.level - ability > 0)[self.is_target].any():
                # Mastered within the horizon: the sooner the better.
                return start + self.horizon - step
            gains = self._gains(ability, seen, day, frustrated and step == 0)
            if step:
                choice = int(np.argmax(self._progress(gains, ability)))
            chosen = self.entry.item == choice
            np.add.at(ability, self.entry.skill[chosen], gains[chosen])
            seen[choice] = day
            day += self.seconds[choice] / 86400.0
        left = float(np.maximum(self.level - ability, 0.0)[self.is_target].sum())
        return start - left

    def choose(self, day: float) -> str:
        """The item (id) whose roll-out closes the most shortfall (day: simulated days)."""
        ability, seen = self._state()
        frustrated = self.learner.failures_in_a_row >= self.learner.config.frustration_streak
        gains = self._gains(ability, seen, day, frustrated)
        progress = self._progress(gains, ability)
        short = np.maximum(self.level - ability, 0.0)
        if not (short[self.is_target] > 0).any():
            return self.item_ids[int(np.argmax(progress))]
        candidates: set[int] = {int(k) for k in np.argsort(-progress, kind="stable")[: self.width]}
        e = self.entry
        for k in np.flatnonzero(self.is_target & (short > 0)):
            on_skill = e.skill == k
            per_item = np.full(len(self.item_ids), -1.0)
            per_item[e.item[on_skill]] = gains[on_skill]
            candidates.add(int(np.argmax(per_item)))
        best = max(sorted(candidates), key=lambda c: self._rollout(c, ability, seen, day))
        return self.item_ids[best]
