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

__all__ = ["simulate", "simulate_experiment"]


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


def simulate_experiment(
    runs: Annotated[int, typer.Option(help="Repetitions of each experiment.")] = 100,
    students: Annotated[int, typer.Option(help="Students per experiment (both arms).")] = 100,
    questions: Annotated[int, typer.Option(help="Question budget per student.")] = 30,
    truth_students: Annotated[
        int, typer.Option(help="Learners per policy measuring the true effect.")
    ] = 2000,
    mde: Annotated[
        float, typer.Option(help="Minimum detectable effect (metric units): tunes the sequence.")
    ] = 0.05,
    looks: Annotated[int, typer.Option(help="Looks at each experiment, evenly spaced.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the bank, learners and answers.")] = 0,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per CPU).")] = 0,
    as_json: Annotated[
        bool,
        json_option(
            'Print {"truth", "mean_estimate", "runs", "covered", "covered_by_sequence", '
            '"detected", "null_flagged", "null_fixed_flagged", ...}; no progress bar.'
        ),
    ] = False,
) -> None:
    """A simulated A/B experiment, smart_practice against textbook, through the service's
    own assignment, picks, metrics and statistics, repeated with new learners; and a null
    experiment of two identical arms. Reports how often the 95% interval covers the true
    effect (measured directly on a large paired population) and how often the null is
    flagged.

    Example: smartpractice simulate-experiment --runs 100 --students 100 --json
    """
    from tqdm import tqdm

    from smartpractice.settings import Settings
    from smartpractice_lab.simulation.experiment import ExperimentStudy, run_experiment_study
    from smartpractice_lab.simulation.study import build_world

    try:
        if runs < 1 or students < 4 or truth_students < students or jobs < 0 or looks < 1:
            raise SimulationError(
                "--runs, --looks >= 1, --students >= 4, --truth-students >= --students, --jobs >= 0"
            )
        if not mde > 0:
            raise SimulationError(f"--mde: must be above 0, got {mde}")
        world = build_world(
            model=Settings().model,
            learner=LEARNER_PRESETS["baseline"],
            simulation=SimulationConfig(
                students=students, questions=questions, seed=seed, cohort_size=students
            ),
        )
    except SimulationError as error:
        raise fail(str(error)) from None
    study = ExperimentStudy(
        runs=runs, students=students, truth_students=truth_students, mde=mde, looks=looks
    )
    workers = jobs or os.cpu_count() or 1
    started = time.perf_counter()
    tasks = 2 * runs + 2 * -(-truth_students // students)
    with tqdm(total=tasks, desc="simulate-experiment", unit="run", disable=as_json) as bar:
        result = run_experiment_study(world, study, jobs=workers, progress=bar.update)
    seconds = time.perf_counter() - started
    figures = {**result.as_json(), "seconds": round(seconds, 1), "processes": workers}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(
        f"true effect (smart_practice - textbook, {study.metric}): {result.truth:+.4f} "
        f"(textbook {result.truth_arms[0]:.4f}, smart_practice {result.truth_arms[1]:.4f}; "
        f"{truth_students} learners per policy)"
    )
    typer.echo(f"mean estimate over {runs} runs: {result.mean_estimate:+.4f}")
    typer.echo(f"95% interval covers the truth: {result.covered}/{runs}")
    typer.echo(f"always-valid sequence covers the truth: {result.covered_by_sequence}/{runs}")
    typer.echo(f"effect detected (sequence excludes 0 at a look): {result.detected}/{runs}")
    typer.echo(
        f"null experiment flagged: {result.null_flagged}/{runs} (always valid, {looks} looks); "
        f"{result.null_fixed_flagged}/{runs} by the final fixed interval"
    )
    typer.echo(
        f"{students} students x {questions} questions per run, seed {seed}, "
        f"{seconds:.1f} s ({workers} processes)"
    )
