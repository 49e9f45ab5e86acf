"""Tune the selector's constants with the simulator: a coordinate search.

Starting from the MISSION's defaults (`MISSION_START`), each constant in `AXES` is tried at
every listed value with the others held, and the value giving the fewest questions to
mastery (smart_practice, mean over the students) is kept; the search passes over all axes
`rounds` times. Every evaluation uses the same students and seeds (common random numbers),
so differences between settings are not noise between student samples. Tune on one seed,
then check the result on another seed and other learner configurations
(docs/simulation.md).

Run: ``python -m smartpractice_lab.simulation.tuning --students 200 --seed 1 --jobs 2``; a
re-tune from the current defaults on some axes: ``--start defaults --axes
target_success,weight_weak_skill``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from smartpractice.core.config import ModelConfig, SelectionConfig
from smartpractice_lab.simulation.config import SimulationConfig, SimulationError
from smartpractice_lab.simulation.runner import World
from smartpractice_lab.simulation.study import (
    build_world,
    learner_config,
    parse_assignments,
    run_study,
    selection_config,
)

__all__ = ["AXES", "MISSION_START", "Trial", "coordinate_search", "main"]

MISSION_START = SelectionConfig(
    weight_elo_match=0.4,
    weight_thompson=0.3,
    weight_weak_skill=0.2,
    weight_recency=0.1,
    target_success=0.36,
    match_width=120.0,
    prerequisite_mastered=0.7,
)
"""The selector as the customer first specified it (weights 0.4/0.3/0.2/0.1, the challenge
zone), where the search starts."""

AXES: dict[str, tuple[float, ...]] = {
    "target_success": (0.36, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8),
    "weight_elo_match": (0.0, 0.1, 0.2, 0.4, 0.6),
    "weight_thompson": (0.05, 0.1, 0.2, 0.3, 0.5),
    "weight_weak_skill": (0.0, 0.1, 0.2, 0.4, 0.6, 0.8),
    "weight_recency": (0.0, 0.1, 0.2, 0.3, 0.5),
    "recency_half_life_hours": (6.0, 24.0, 72.0, 168.0),
    "prior_strength_max": (10.0, 30.0, 100.0),
    "match_width": (60.0, 120.0, 200.0, 300.0),
    "prerequisite_mastered": (0.5, 0.6, 0.7),
}
"""The constants searched and the values tried (weights, target zone, prior strength,
recency; plus the match width and when a weak prerequisite is remediated). The Thompson
weight stays above 0: Thompson sampling is what the product promises."""


@dataclass(frozen=True, slots=True)
class Trial:
    """One evaluated setting: smart_practice's mean questions to mastery (95% interval),
    mastered share and frustration rate."""

    axis: str
    value: float
    questions: float
    low: float
    high: float
    mastered: float
    frustration: float
    selection: SelectionConfig


def _evaluate(
    base: ModelConfig,
    selection: SelectionConfig,
    *,
    world_for: Callable[[ModelConfig], World],
    jobs: int,
) -> tuple[float, float, float, float, float]:
    world = world_for(dataclasses.replace(base, selection=selection))
    metrics = run_study(world, ["smart_practice"], jobs=jobs)["smart_practice"]
    q = metrics.questions_to_mastery
    return q.mean, q.low, q.high, metrics.mastered_share.mean, metrics.frustration_rate.mean


def coordinate_search(
    base: ModelConfig,
    *,
    world_for: Callable[[ModelConfig], World],
    axes: Mapping[str, Sequence[float]],
    rounds: int,
    report: Callable[[Trial], None],
    jobs: int = 1,
) -> SelectionConfig:
    """The best selector constants found; every trial is passed to `report`."""
    best = base.selection
    cache: dict[SelectionConfig, tuple[float, float, float, float, float]] = {}
    for _ in range(rounds):
        for axis, values in axes.items():
            scores = []
            for value in values:
                kind = type(getattr(best, axis))
                candidate = dataclasses.replace(best, **{axis: kind(value)})
                if candidate not in cache:
                    cache[candidate] = _evaluate(base, candidate, world_for=world_for, jobs=jobs)
                    report(Trial(axis, value, *cache[candidate], selection=candidate))
                scores.append((cache[candidate][0], candidate))
            best = min(scores, key=lambda pair: pair[0])[1]
    return best


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry: print every trial as a Markdown row, then the best constants."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--learners", default="baseline")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--start",
        choices=("mission", "defaults"),
        default="mission",
        help="start from the MISSION's selector or from the current defaults (a re-tune)",
    )
    parser.add_argument(
        "--axes", default=",".join(AXES), help="comma-separated constants to search (of AXES)"
    )
    parser.add_argument(
        "--selection",
        action="append",
        default=[],
        help="NAME=VALUE changing the starting point (repeatable), as for simulate",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.axes.split(",") if name.strip()]
    unknown = sorted(set(names) - set(AXES))
    if unknown or not names:
        parser.error(f"--axes: unknown constants {unknown}; choose from {', '.join(AXES)}")
    axes = {name: AXES[name] for name in names}
    from smartpractice.settings import Settings

    learner = learner_config(args.learners, {})
    simulation = SimulationConfig(students=args.students, questions=args.questions, seed=args.seed)

    def world_for(model: ModelConfig) -> World:
        return build_world(model=model, learner=learner, simulation=simulation)

    print("| axis | value | questions to mastery | mastered | frustration | seconds |")
    print("|---|---|---|---|---|---|")
    started = [time.perf_counter()]

    def report(trial: Trial) -> None:
        now = time.perf_counter()
        print(
            f"| {trial.axis} | {trial.value:g} | {trial.questions:.1f} "
            f"[{trial.low:.1f}, {trial.high:.1f}] | {trial.mastered:.3f} "
            f"| {trial.frustration:.3f} | {now - started[0]:.0f} |",
            flush=True,
        )
        started[0] = now

    model = Settings().model
    try:
        start = selection_config(
            MISSION_START if args.start == "mission" else model.selection,
            parse_assignments(args.selection, option="--selection"),
        )
    except SimulationError as error:
        parser.error(str(error))
    best = coordinate_search(
        dataclasses.replace(model, selection=start),
        world_for=world_for,
        axes=axes,
        rounds=args.rounds,
        report=report,
        jobs=args.jobs,
    )
    changed = {
        f.name: getattr(best, f.name)
        for f in dataclasses.fields(best)
        if getattr(best, f.name) != getattr(start, f.name)
    }
    print(f"best: {changed}", file=sys.stdout)


if __name__ == "__main__":
    main()
