"""The simulated experiment (a small version of `smartpractice simulate-experiment`): the
service's assignment, picks, metrics and statistics recover the simulator's true effect,
and two identical arms are rarely flagged."""

from __future__ import annotations

import pytest

from smartpractice.core.experiments.assignment import assign_arm
from smartpractice.settings import Settings
from smartpractice_lab.simulation.config import LEARNER_PRESETS, SimulationConfig
from smartpractice_lab.simulation.experiment import (
    EFFECT_ARMS,
    ExperimentStudy,
    run_experiment_study,
)
from smartpractice_lab.simulation.study import build_world

pytestmark = pytest.mark.integration


def test_a_small_repeated_experiment_covers_the_truth_and_rarely_flags_the_null() -> None:
    study = ExperimentStudy(runs=10, students=50, truth_students=200, looks=3)
    world = build_world(
        model=Settings().model,
        learner=LEARNER_PRESETS["baseline"],
        simulation=SimulationConfig(students=50, questions=20, seed=3, cohort_size=50),
    )
    result = run_experiment_study(world, study, jobs=1)
    assert len(result.effect) == len(result.null) == 10
    # 95% intervals: at least 8 of 10 cover (a miss of 3 has probability about 1%).
    assert result.covered >= 8, result.as_json()
    assert result.covered_by_sequence >= result.covered
    # Always valid at 3 looks: at most 1 of 10 null runs flagged.
    assert result.null_flagged <= 1, result.as_json()
    # Both arms are served: every run assigns students to each arm.
    assert all(min(r.students) > 0 for r in result.effect)
    # The arm is the service's hash of (experiment, student), as in production.
    shares = [(a.name, a.share) for a in EFFECT_ARMS]
    assert assign_arm("sim-effect-3-0", "sim-000000", shares) in {"textbook", "smart_practice"}
    # ... and each run's arms are exactly the students that hash sends there (run r of the
    # effect experiment serves students 2r*50 .. 2r*50+49 under "sim-effect-3-r").
    for run, measured in enumerate(result.effect):
        first = run * 2 * 50
        arms = [
            assign_arm(f"sim-effect-3-{run}", f"sim-{i:06d}", shares)
            for i in range(first, first + 50)
        ]
        assert measured.students == tuple(arms.count(a.name) for a in EFFECT_ARMS)
