"""The ``smartpractice simulate`` command: parse options, run the study, report."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartpractice.cli.common import fail, json_option
from smartpractice_lab.simulation.config import (
    LEARNER_PRESETS,
    POLICY_NAMES,
    SimulationConfig,
    SimulationError,
)
from smartpractice_lab.simulation.family_config import FAMILY_NAMES

if TYPE_CHECKING:
    from smartpractice_lab.simulation.metrics import PolicyMetrics
    from smartpractice_lab.simulation.runner import World

__all__ = ["simulate"]


def simulate(
    students: Annotated[
        int, typer.Option(help="Synthetic students per policy (the same students each).")
    ] = 1000,
    questions: Annotated[int, typer.Option(help="Question budget per student.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of students, answers and Thompson draws.")] = 0,
    policies: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated policies: {','.join(POLICY_NAMES)} (and the "
            "diagnostics oracle, planner and mastery_informed, which read the hidden truth)."
        ),
    ] = ",".join(POLICY_NAMES),
    learners: Annotated[
        str,
        typer.Option(
            help=f"Learner family ({', '.join(FAMILY_NAMES)}), all (every family, one "
            f"report each), or a preset of the elo family ({', '.join(LEARNER_PRESETS)})."
        ),
    ] = "baseline",
    learner_param: Annotated[
        list[str] | None,
        typer.Option(
            "--learner-param",
            help="Override a learner parameter, NAME=VALUE (repeatable), e.g. guess=0.2.",
        ),
    ] = None,
    selection: Annotated[
        list[str] | None,
        typer.Option(
            help="Override a selector constant of the service, NAME=VALUE (repeatable), "
            "e.g. target_success=0.6."
        ),
    ] = None,
    bank: Annotated[
        Path | None,
        typer.Option(help='Bank JSON {"skills": [...], "items": [...]}; default: the sample bank.'),
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Only topics of this subject.")] = None,
    chapter: Annotated[str | None, typer.Option(help="Only topics of this chapter.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only this topic.")] = None,
    cohort_size: Annotated[
        int, typer.Option(help="Students practising side by side on one service state.")
    ] = 100,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per CPU).")] = 0,
    plots: Annotated[
        Path | None,
        typer.Option(help="Write mastery_curves.png, success_rates.png, estimate_error.png here."),
    ] = None,
    as_json: Annotated[
        bool,
        json_option(
            'Print {"policies": {NAME: {questions_to_mastery: {mean, ci95_low, '
            "ci95_high}, mastered_share, in_band_share, frustration_rate, boredom_rate}}} "
            '(the elo family), plus {"families": {FAMILY: {"policies": {...}}}} when '
            "--learners names a family or all; no progress bar."
        ),
    ] = False,
) -> None:
    """Run synthetic learners through the selection policies and compare them.

    Each student practises one topic (topics taken in turn) until the question budget is
    spent; the service's own apply_attempt updates the ratings for every policy, and
    smart_practice picks with the service's own next-question pipeline. Reports questions
    and minutes to mastery of the topic's skills, the share mastering within the budget,
    questions in the 0.6-0.85 success band, frustration and boredom streaks, and how fast
    the service's estimates approach the hidden truth, with 95% confidence intervals.
    The learner model and the metrics are described in docs/simulation.md.

    Example: smartpractice simulate --students 1000 --questions 200 --plots docs/img/simulation

    Example: smartpractice simulate --students 200 --learners forgetful --json

    Example: smartpractice simulate --students 1000 --learners all --json
    """
    from tqdm import tqdm

    from smartpractice_lab.simulation.metrics import metrics_json
    from smartpractice_lab.simulation.plots import save_plots
    from smartpractice_lab.simulation.policies import parse_policies
    from smartpractice_lab.simulation.study import run_study

    try:
        if jobs < 0:
            raise SimulationError(f"--jobs: must be >= 0, got {jobs}")
        names = parse_policies(policies)
        worlds = _worlds(
            learners=learners,
            learner_param=learner_param or [],
            selection=selection or [],
            simulation=SimulationConfig(
                students=students, questions=questions, seed=seed, cohort_size=cohort_size
            ),
            bank=bank,
            scope=(subject, chapter, topic),
        )
        runs = _runs(worlds, names)
    except SimulationError as error:
        raise fail(str(error)) from None
    workers = jobs or os.cpu_count() or 1
    started = time.perf_counter()
    total = students * sum(len(kept) for kept in runs.values())
    found: dict[str, dict[str, PolicyMetrics]] = {}
    with tqdm(total=total, desc="simulate", unit="student", disable=as_json) as bar:
        for family, world in worlds.items():
            found[family] = run_study(world, runs[family], jobs=workers, progress=bar.update)
    seconds = time.perf_counter() - started
    main = found.get("elo") or next(iter(found.values()))
    by_family = learners == "all" or learners in FAMILY_NAMES
    if plots is not None:
        title = f"{learners} learners, {students} students x {questions} questions"
        save_plots(main, plots, title=title)
    if as_json:
        typer.echo(json.dumps(metrics_json(main, families=found if by_family else None)))
        return
    _print_tables(found, by_family=by_family)
    typer.echo(
        f"{students} students x {questions} questions x {len(names)} policies x "
        f"{len(found)} learner families in {seconds:.1f} s ({workers} processes); learners "
        f"{learners}, seed {seed}"
    )


def _worlds(
    *,
    learners: str,
    learner_param: list[str],
    selection: list[str],
    simulation: SimulationConfig,
    bank: Path | None,
    scope: tuple[str | None, str | None, str | None],
) -> dict[str, World]:
    """One world per learner family `--learners` names (raises `SimulationError`)."""
    from smartpractice.settings import Settings
    from smartpractice_lab.simulation.family_config import family_setups
    from smartpractice_lab.simulation.study import build_world, parse_assignments, selection_config

    setups = family_setups(learners, parse_assignments(learner_param, option="--learner-param"))
    model = Settings().model
    chosen = selection_config(model.selection, parse_assignments(selection, option="--selection"))
    model = dataclasses.replace(model, selection=chosen)
    subject, chapter, topic = scope
    return {
        setup.name: build_world(
            model=model,
            learner=setup.learner,
            simulation=simulation,
            bank_path=bank,
            subject=subject,
            chapter=chapter,
            topic=topic,
            family=setup.name,
            params=setup.params,
        )
        for setup in setups
    }


def _runs(worlds: Mapping[str, World], names: Sequence[str]) -> dict[str, list[str]]:
    """The policies each family runs; a note on stderr for each one skipped.

    Raises:
        SimulationError: a family is left with no policy.
    """
    from smartpractice_lab.simulation.study import supported_policies

    runs = {family: supported_policies(family, names) for family in worlds}
    for family, kept in runs.items():
        if not kept:
            raise SimulationError(
                f"--policies: none of {', '.join(names)} can run on {family} learners"
            )
        for name in names:
            if name not in kept:
                typer.echo(f"note: {name} does not model {family} learners; skipped", err=True)
    return runs


def _print_tables(found: Mapping[str, Mapping[str, PolicyMetrics]], *, by_family: bool) -> None:
    """One Markdown table per family (headed by its name when `by_family`)."""
    from smartpractice_lab.simulation.metrics import metrics_table

    for family, metrics in found.items():
        if by_family:
            typer.echo(f"learners: {family}\n")
        typer.echo(metrics_table(metrics), nl=by_family)
