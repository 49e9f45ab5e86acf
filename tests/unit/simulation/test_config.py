"""Impossible parameters are rejected with an error that names the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpractice.core.config import EloConfig, SelectionConfig
from smartpractice_lab.simulation.bank import load_bank
from smartpractice_lab.simulation.config import (
    LEARNER_PRESETS,
    LearnerConfig,
    SimulationConfig,
    SimulationError,
)
from smartpractice_lab.simulation.study import learner_config, parse_assignments, selection_config


def test_every_preset_is_valid_and_documented_ones_exist() -> None:
    assert set(LEARNER_PRESETS) == {"baseline", "fast", "slow", "forgetful"}
    for config in LEARNER_PRESETS.values():
        config.validate()
    assert LEARNER_PRESETS["baseline"] == LearnerConfig()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"guess": "1.5"}, "^--learner-param guess: must be a probability in"),
        ({"slip": "-0.1"}, "^--learner-param slip: must be a probability"),
        ({"guess": "0.6", "slip": "0.5"}, "^--learner-param guess \\+ slip: must be below 1"),
        ({"learning_rate": "-3"}, "^--learner-param learning_rate: must be a finite number >= 0"),
        ({"learning_rate": "nan"}, "^--learner-param learning_rate"),
        ({"forgetting_half_life_days": "0"}, "^--learner-param forgetting_half_life_days"),
        ({"mastery_probability": "1"}, "^--learner-param mastery_probability"),
        ({"best_challenge": "0"}, "^--learner-param best_challenge"),
        ({"challenge_width": "0"}, "^--learner-param challenge_width"),
        ({"session_questions": "0"}, "^--learner-param session_questions"),
        ({"session_questions": "2.5"}, "^--learner-param session_questions: expected a number"),
        ({"speed": "2"}, "^--learner-param speed: not a learner parameter"),
    ],
)
def test_bad_learner_parameters_name_the_option(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        learner_config("baseline", overrides)


def test_learner_overrides_apply_on_top_of_the_preset() -> None:
    config = learner_config("forgetful", {"guess": "0.2", "session_questions": "10"})
    assert config.guess == 0.2 and config.session_questions == 10
    assert (
        config.forgetting_half_life_days == LEARNER_PRESETS["forgetful"].forgetting_half_life_days
    )
    with pytest.raises(SimulationError, match=r"^--learners: unknown configuration 'lazy'"):
        learner_config("lazy", {})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_success": "1.2"}, "^--selection target_success: must be in \\(0, 1\\)"),
        ({"weight_recency": "-1"}, "^--selection weights"),
        (
            {
                "weight_elo_match": "0",
                "weight_thompson": "0",
                "weight_weak_skill": "0",
                "weight_recency": "0",
            },
            "^--selection weights",
        ),
        ({"prior_strength_min": "0"}, "^--selection prior_strength_min"),
        ({"prior_strength_max": "1"}, "^--selection prior_strength_max"),
        ({"max_candidates": "0"}, "^--selection max_candidates"),
        ({"max_candidates": "many"}, "^--selection max_candidates: expected a number"),
        ({"temperature": "2"}, "^--selection temperature: not a selector constant"),
    ],
)
def test_bad_selection_constants_name_the_option(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        selection_config(SelectionConfig(), overrides)


def test_selection_overrides_keep_the_rest() -> None:
    config = selection_config(SelectionConfig(), {"target_success": "0.6", "max_candidates": "50"})
    assert config.target_success == 0.6 and config.max_candidates == 50
    assert config.weight_recency == SelectionConfig().weight_recency


def test_assignments_parse_and_reject_garbage() -> None:
    assert parse_assignments(["a=1,b=2", "c = 3"], option="--x") == {"a": "1", "b": "2", "c": "3"}
    with pytest.raises(SimulationError, match=r"^--selection: expected NAME=VALUE, got 'oops'"):
        parse_assignments(["oops"], option="--selection")


@pytest.mark.parametrize(
    ("field", "value", "option"),
    [
        ("students", 0, "--students"),
        ("questions", -5, "--questions"),
        ("cohort_size", 0, "--cohort-size"),
        ("seed", -1, "--seed"),
    ],
)
def test_bad_run_sizes_name_the_option(field: str, value: int, option: str) -> None:
    with pytest.raises(SimulationError, match=rf"^{option}: must be >= "):
        SimulationConfig(**{field: value}).validate()  # type: ignore[arg-type]


def test_bad_banks_name_the_option(tmp_path: Path) -> None:
    def load(path: Path) -> None:
        load_bank(path, label_noise_sd=0.0, seed=0, elo=EloConfig())

    with pytest.raises(SimulationError, match=r"^--bank: no such file"):
        load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SimulationError, match=r"^--bank: cannot read"):
        load(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(SimulationError, match=r"^--bank: expected a JSON object"):
        load(tmp_path / "list.json")
    (tmp_path / "empty.json").write_text(json.dumps({"skills": [], "items": []}))
    with pytest.raises(SimulationError, match=r"^--bank: the bank has no items"):
        load(tmp_path / "empty.json")
    item = {
        "item_id": "q1",
        "source": "pyq",
        "subject": "S",
        "chapter": "C",
        "topic": "T",
        "skills": {"a:b": None},
    }
    (tmp_path / "orphan.json").write_text(json.dumps({"skills": [], "items": [item]}))
    with pytest.raises(SimulationError, match=r"^--bank: items test skills the bank does not"):
        load(tmp_path / "orphan.json")
    (tmp_path / "invalid.json").write_text(json.dumps({"items": [{**item, "source": ""}]}))
    with pytest.raises(SimulationError, match=r"^--bank: invalid row \(source"):
        load(tmp_path / "invalid.json")
    twice = {"skills": [{"skill_id": "a:b", "name": "A"}], "items": [item, item]}
    (tmp_path / "twice.json").write_text(json.dumps(twice))
    with pytest.raises(SimulationError, match=r"^--bank: item 'q1' appears twice"):
        load(tmp_path / "twice.json")


def test_a_scope_without_items_names_the_option() -> None:
    bank, _, _ = load_bank(None, label_noise_sd=0.0, seed=0, elo=EloConfig())
    assert len(bank.select_topics(subject=None, chapter=None, topic=None)) == 20
    with pytest.raises(SimulationError, match=r"^--subject: no items in 'Biology'"):
        bank.select_topics(subject="Biology", chapter=None, topic=None)
    with pytest.raises(SimulationError, match=r"^--topic: no items in 'Limits'"):
        bank.select_topics(subject="Physics", chapter=None, topic="Limits")
