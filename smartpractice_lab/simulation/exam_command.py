"""The ``smartpractice simulate-exam`` command: parse options, run the exam study, report."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from smartpractice.cli.common import fail, json_option
from smartpractice_lab.simulation.config import SimulationError

__all__ = ["simulate_exam"]


def simulate_exam(
    exam: Annotated[
        str, typer.Option(help="Exam id of the blueprint (the sample blueprints by default).")
    ] = "sample-cbse-12-board-2027",
    blueprints: Annotated[
        Path | None,
        typer.Option(help='Blueprints JSON {"exams": [...]}; default: the sample blueprints.'),
    ] = None,
    learners: Annotated[int, typer.Option(help="Learners per policy (the same ones).")] = 200,
    days: Annotated[int, typer.Option(help="Study days before the exam.")] = 10,
    minutes_per_day: Annotated[float, typer.Option(help="Study minutes per day.")] = 30.0,
    family: Annotated[
        str, typer.Option(help="Learner family or elo preset (as simulate --learners).")
    ] = "baseline",
    seed: Annotated[int, typer.Option(help="Seed of learners, answers and picks.")] = 0,
    as_json: Annotated[bool, json_option("Print the figures as one JSON object.")] = False,
) -> None:
    """Exam mode against topic-by-topic Smart Practice and textbook order for the same study
    time, and the calibration of the readiness forecast's 80% interval.

    Paired learners (the simulator's learner families, forgetting on) study DAYS days of
    MINUTES-PER-DAY minutes before the exam; reports the simulated exam score gained (true
    expected marks on the blueprint's paper) with 95% intervals, the paired differences,
    and the share of learners whose simulated paper score falls in the forecast's 80%
    interval. The method is in docs/reference/exams.md.

    Example: smartpractice simulate-exam --learners 200 --days 10 --minutes-per-day 30

    Example: smartpractice simulate-exam --exam sample-jee-main-2027 --learners 50 --json
    """
    from smartpractice.services.sample_bank import read_sample_exams
    from smartpractice.services.schemas import ExamIn
    from smartpractice.settings import Settings
    from smartpractice_lab.simulation.config import START, SimulationConfig
    from smartpractice_lab.simulation.exam import ExamStudy, exam_study_report, run_exam_study
    from smartpractice_lab.simulation.family_config import family_setups
    from smartpractice_lab.simulation.study import build_world

    try:
        if learners < 1 or days < 1 or minutes_per_day <= 0:
            raise SimulationError("--learners, --days and --minutes-per-day must be positive")
        if blueprints is None:
            found = read_sample_exams()
        else:
            raw = json.loads(blueprints.read_text("utf-8"))
            found = [ExamIn.model_validate(e) for e in raw["exams"]]
        chosen = next((e for e in found if e.exam_id == exam), None)
        if chosen is None:
            raise SimulationError(f"--exam: no blueprint {exam!r}")
        (setup,) = family_setups(family, {})
        world = build_world(
            model=Settings().model,
            learner=setup.learner,
            simulation=SimulationConfig(students=learners, seed=seed),
            family=setup.name,
            params=setup.params,
        )
    except (SimulationError, ValueError, OSError, KeyError) as error:
        raise fail(str(error)) from None
    study = ExamStudy(
        exam=chosen.model_copy(update={"exam_date": START.date() + timedelta(days=days)}),
        learners=learners,
        days=days,
        minutes_per_day=minutes_per_day,
        seed=seed,
    )
    report = exam_study_report(run_exam_study(world, study), study)
    if as_json:
        typer.echo(json.dumps(report))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    typer.echo(
        f"{report['exam_id']}: {report['learners']} learners per policy, {report['days']} days "
        f"x {report['minutes_per_day']:g} min, max {report['max_marks']:g} marks, "
        f"seed {report['seed']}"
    )
    typer.echo(
        f"{'policy':16} {'start':>7} {'exam':>7} {'gained':>15} {'per hour':>9} {'cover80':>8}"
    )
    for name, p in report["policies"].items():
        gained = f"{p['marks_gained']:.2f} ± {p['marks_gained_ci95']:.2f}"
        typer.echo(
            f"{name:16} {p['marks_start']:7.2f} {p['marks_exam']:7.2f} {gained:>15} "
            f"{p['marks_per_study_hour']:9.2f} {p['coverage_80']:8.1%}"
        )
    for name, d in report["paired"].items():
        typer.echo(f"{name}: {d['marks']:+.2f} ± {d['ci95']:.2f} marks (paired, 95%)")
    typer.echo(
        f"readiness 80% interval covers {report['coverage_80']:.1%} "
        f"± {report['coverage_80_ci95']:.1%} of simulated papers (target 75-85%)"
    )
