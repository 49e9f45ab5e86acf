"""The ``smartpractice simulate`` command: parse options, run the study, report."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from smartpractice.simulation.config import (
    LEARNER_PRESETS,
    POLICY_NAMES,
    SimulationConfig,
    SimulationError,
)

__all__ = ["simulate"]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


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
        typer.Option(help=f"Learner configuration: {', '.join(LEARNER_PRESETS)}."),
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
        typer.Option(
            "--json",
            help='Print {"policies": {NAME: {questions_to_mastery: {mean, ci95_low, '
            "ci95_high}, mastered_share, in_band_share, frustration_rate, boredom_rate}}}; "
            "no progress bar.",
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
    """
    from tqdm import tqdm

    from smartpractice.config import Settings
    from smartpractice.simulation.metrics import metrics_json, metrics_table
    from smartpractice.simulation.plots import save_plots
    from smartpractice.simulation.policies import parse_policies
    from smartpractice.simulation.study import (
        build_world,
        learner_config,
        parse_assignments,
        run_study,
        selection_config,
    )

    try:
        if jobs < 0:
            raise SimulationError(f"--jobs: must be >= 0, got {jobs}")
        names = parse_policies(policies)
        learner = learner_config(
            learners, parse_assignments(learner_param or [], option="--learner-param")
        )
        model = Settings().model
        chosen = selection_config(
            model.selection, parse_assignments(selection or [], option="--selection")
        )
        model = dataclasses.replace(model, selection=chosen)
        world = build_world(
            model=model,
            learner=learner,
            simulation=SimulationConfig(
                students=students, questions=questions, seed=seed, cohort_size=cohort_size
            ),
            bank_path=bank,
            subject=subject,
            chapter=chapter,
            topic=topic,
        )
    except SimulationError as error:
        raise _fail(str(error)) from None
    workers = jobs or os.cpu_count() or 1
    started = time.perf_counter()
    with tqdm(total=students * len(names), desc="simulate", unit="student", disable=as_json) as bar:
        metrics = run_study(world, names, jobs=workers, progress=bar.update)
    seconds = time.perf_counter() - started
    if plots is not None:
        title = f"{learners} learners, {students} students x {questions} questions"
        save_plots(metrics, plots, title=title)
    if as_json:
        typer.echo(json.dumps(metrics_json(metrics)))
        return
    typer.echo(metrics_table(metrics), nl=False)
    typer.echo(
        f"{students} students x {questions} questions x {len(names)} policies in "
        f"{seconds:.1f} s ({workers} processes); learners {learners}, seed {seed}"
    )
