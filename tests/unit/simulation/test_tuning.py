"""The coordinate search keeps the best value of each axis."""

from __future__ import annotations

import dataclasses

import pytest

from smartpractice.core.config import ModelConfig
from smartpractice_lab.simulation.config import LearnerConfig, SimulationConfig
from smartpractice_lab.simulation.runner import World
from smartpractice_lab.simulation.tuning import AXES, MISSION_START, Trial, coordinate_search, main
from tests.unit.simulation.conftest import tiny_bank


def test_search_reports_every_trial_once_and_keeps_the_best() -> None:
    bank = tiny_bank()
    topics = tuple(bank.select_topics(subject=None, chapter=None, topic=None))
    simulation = SimulationConfig(students=4, questions=15, seed=3, cohort_size=4)

    def world_for(model: ModelConfig) -> World:
        return World(bank, topics, LearnerConfig(), model, simulation)

    trials: list[Trial] = []
    axes = {"target_success": (0.36, 0.65), "weight_recency": (0.0, 0.1)}
    best = coordinate_search(
        dataclasses.replace(ModelConfig(), selection=MISSION_START),
        world_for=world_for,
        axes=axes,
        rounds=2,
        report=trials.append,
    )
    # 2 + 2 settings in round one; round two only re-reports settings not seen before.
    assert 4 <= len(trials) <= 6
    assert len({t.selection for t in trials}) == len(trials)
    scores = {t.selection: t.questions for t in trials}
    assert best in scores
    # The last axis searched ends on its best value given the others.
    for trial in trials:
        changed = [a for a in axes if getattr(trial.selection, a) != getattr(best, a)]
        if changed == ["weight_recency"]:
            assert scores[best] <= trial.questions


def test_axes_name_selector_constants() -> None:
    for axis, values in AXES.items():
        assert hasattr(MISSION_START, axis) and len(values) >= 2
    assert MISSION_START.target_success == 0.36 and MISSION_START.weight_elo_match == 0.4


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--axes", "target_success,weight_nonsense"], "--axes"),
        (["--start", "defaults", "--selection", "weight_nonsense=1"], "--selection"),
    ],
)
def test_unknown_constant_is_refused_by_name(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    error = capsys.readouterr().err
    assert option in error and "weight_nonsense" in error
