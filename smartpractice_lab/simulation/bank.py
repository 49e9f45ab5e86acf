"""The simulated item bank: the service's catalogue plus hidden true difficulties.

The service sees each item's label difficulty (or explicit difficulty) exactly as an import
would give it; the learners answer according to a hidden true difficulty drawn around it
(``true = label value + Normal(0, label_noise_sd)``), so the service's starting difficulties
are noisy estimates of the truth, as with a real bank.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from smartpractice.core.config import EloConfig
from smartpractice.services.sample_bank import read_sample_bank
from smartpractice.services.schemas import ItemIn, SkillIn
from smartpractice_lab.simulation.config import SimulationError

__all__ = ["BankItem", "SimBank", "Topic", "load_bank"]


@dataclass(frozen=True, slots=True)
class BankItem:
    """An item as the simulator needs it.

    Attributes:
        item_id: The item.
        subject: Where it sits (with `chapter` and `topic`).
        chapter: Its chapter.
        topic: Its topic.
        order: Position in the bank file (the textbook order within a chapter).
        expected_time_seconds: The item's expected time (seconds).
        label_difficulties: Starting difficulty per skill the service is given (Elo points).
        true_difficulties: Hidden true difficulty per skill (Elo points).
        source: The item's source (``pyq``, ``ncert_exercise``, ...).
        exam: For a previous-year question, its exam.
    """

    item_id: str
    subject: str
    chapter: str
    topic: str
    order: int
    expected_time_seconds: float
    label_difficulties: Mapping[str, float]
    true_difficulties: Mapping[str, float]
    source: str = ""
    exam: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """One practice scope: a topic and the skills it teaches (its target skill set).

    A skill counts as taught when at least one item of the topic tests it alone; skills
    that only appear beside another in a multi-skill item are what the topic builds on.
    """

    subject: str
    chapter: str
    topic: str
    targets: tuple[str, ...]
    item_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SimBank:
    """Items (in bank order), skills with prerequisites, and per-skill typical truths."""

    items: Mapping[str, BankItem]
    prerequisites: Mapping[str, tuple[str, ...]]
    skill_items: Mapping[str, tuple[str, ...]]
    typical_true: Mapping[str, float]
    topics: tuple[Topic, ...]

    def select_topics(
        self, *, subject: str | None, chapter: str | None, topic: str | None
    ) -> list[Topic]:
        """The topics matching the filters (None: any).

        Raises:
            SimulationError: no topic with a target skill matches; the message names the
                first filter option that emptied the selection.
        """
        chosen = list(self.topics)
        for option, value, attribute in (
            ("--subject", subject, "subject"),
            ("--chapter", chapter, "chapter"),
            ("--topic", topic, "topic"),
        ):
            if value is None:
                continue
            chosen = [t for t in chosen if getattr(t, attribute) == value]
            if not chosen:
                raise SimulationError(f"{option}: no items in {value!r} for this bank")
        return chosen


def _topics(items: Sequence[BankItem]) -> tuple[Topic, ...]:
    grouped: dict[tuple[str, str, str], list[BankItem]] = {}
    for item in items:
        grouped.setdefault((item.subject, item.chapter, item.topic), []).append(item)
    topics = []
    for (subject, chapter, topic), members in grouped.items():
        taught = sorted(
            {next(iter(i.true_difficulties)) for i in members if len(i.true_difficulties) == 1}
        )
        if taught:
            topics.append(
                Topic(subject, chapter, topic, tuple(taught), tuple(i.item_id for i in members))
            )
    return tuple(topics)


def build_bank(
    skills: Sequence[SkillIn],
    items: Sequence[ItemIn],
    *,
    label_noise_sd: float,
    seed: int,
    elo: EloConfig,
) -> SimBank:
    """The simulated bank: label difficulties as the service would derive them, and hidden
    true difficulties drawn around them with `label_noise_sd` (Elo points)."""
    rng = np.random.default_rng([seed, 0xB4])
    bank_items: dict[str, BankItem] = {}
    for order, item in enumerate(items):
        labels = {
            skill_id: explicit
            if explicit is not None
            else elo.label_difficulty(item.difficulty_label)
            for skill_id, explicit in item.skills.items()
        }
        noise = rng.normal(0.0, label_noise_sd, size=len(labels)) if label_noise_sd > 0 else None
        truths = {
            s: value + (float(noise[k]) if noise is not None else 0.0)
            for k, (s, value) in enumerate(labels.items())
        }
        bank_items[item.item_id] = BankItem(
            item_id=item.item_id,
            subject=item.subject,
            chapter=item.chapter,
            topic=item.topic,
            order=order,
            expected_time_seconds=float(item.expected_time_seconds or 120.0),
            label_difficulties=labels,
            true_difficulties=truths,
            source=item.source,
            exam=item.exam,
        )
    skill_items: dict[str, list[str]] = {}
    for bank_item in bank_items.values():
        for skill_id in bank_item.true_difficulties:
            skill_items.setdefault(skill_id, []).append(bank_item.item_id)
    typical = {
        s: float(np.mean([bank_items[i].true_difficulties[s] for i in ids]))
        for s, ids in skill_items.items()
    }
    return SimBank(
        items=bank_items,
        prerequisites={s.skill_id: tuple(s.prerequisites) for s in skills},
        skill_items={s: tuple(ids) for s, ids in skill_items.items()},
        typical_true=typical,
        topics=_topics(list(bank_items.values())),
    )


def load_bank(
    path: Path | None, *, label_noise_sd: float, seed: int, elo: EloConfig
) -> tuple[SimBank, list[SkillIn], list[ItemIn]]:
    """The sample bank (path None) or a JSON bank ``{"skills": [...], "items": [...]}`` in
    the import format, with its hidden truths.

    Raises:
        SimulationError: the file is missing, is not such a bank, or has invalid rows.
    """
    if path is None:
        skills, items = read_sample_bank()
    else:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise SimulationError(f"--bank: no such file {str(path)!r}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SimulationError(f"--bank: cannot read {str(path)!r} as JSON ({error})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
            raise SimulationError(
                '--bank: expected a JSON object {"skills": [...], "items": [...]}'
            )
        try:
            skills = [SkillIn.model_validate(s) for s in raw.get("skills", [])]
            items = [ItemIn.model_validate(i) for i in raw["items"]]
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise SimulationError(f"--bank: invalid row ({where}: {first['msg']})") from None
        seen: set[str] = set()
        for item in items:
            if item.item_id in seen:
                raise SimulationError(f"--bank: item {item.item_id!r} appears twice")
            seen.add(item.item_id)
        known = {s.skill_id for s in skills}
        unknown = sorted({s for i in items for s in i.skills if s not in known})
        if unknown:
            raise SimulationError(f"--bank: items test skills the bank does not define: {unknown}")
        missing = sorted({p for s in skills for p in s.prerequisites if p not in known})
        if missing:
            raise SimulationError(f"--bank: prerequisites the bank does not define: {missing}")
    if not items:
        raise SimulationError("--bank: the bank has no items")
    bank = build_bank(skills, items, label_noise_sd=label_noise_sd, seed=seed, elo=elo)
    return bank, skills, items
