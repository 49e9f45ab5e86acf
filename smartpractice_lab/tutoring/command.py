"""The ``smartpractice evaluate-transcripts`` command: parse options, evaluate, report."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from smartpractice.adapters.similarity.backends import BACKEND_NAMES, BackendName
from smartpractice.cli.common import fail, json_option
from smartpractice_lab.tutoring.data import TutoringDataError, TutoringDialogue

__all__ = ["evaluate_transcripts", "format_report"]

_METRICS = (
    ("step_exact", "step localisation, exact"),
    ("step_within_one", "step localisation, within one step"),
    ("credit_precision", "per-step credit: precision"),
    ("credit_recall", "per-step credit: recall"),
    ("credit_f1", "per-step credit: F1"),
    ("precision_at_recall_0_5", "per-step credit: precision at recall 0.5"),
    ("severity_auroc", "severity AUROC (revealed/unresolved vs resolved)"),
    ("severity_spearman", "severity Spearman rho"),
)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(report: dict[str, Any]) -> str:
    """The report as an aligned text table."""
    lines = [
        f"backend {report['backend']} (asked: {report['backend_requested']}), split "
        f"{report['split']}: {report['problems']} problems, {report['dialogues']} dialogues "
        f"({report['dialogues_with_steps']} with step labels)"
        + (", detector given the worked solutions" if report.get("with_solution") else ""),
    ]
    if "backend_details" in report:
        lines.append(f"backend details: {report['backend_details']}")
    width = max(len(label) for _, label in _METRICS)
    for key, label in _METRICS:
        entry = report[key]
        low, high = entry["ci95"]
        target = report["targets"].get(key)
        goal = f"  (target {target:.2f})" if target is not None else ""
        lines.append(
            f"{label.ljust(width)}  {_number(entry['value'])}  "
            f"[{_number(low)}, {_number(high)}]{goal}"
        )
    for name, row in report["baselines"].items():
        lines.append(
            f"baseline {name} (step {row['step']}): exact {row['step_exact']:.3f}, "
            f"within one {row['step_within_one']:.3f}"
        )
    agreement = report["teacher_agreement"]
    lines.append(
        f"teachers' agreement: exact {agreement['step_exact']:.2f}, "
        f"within one {agreement['step_within_one']:.2f}"
    )
    lines.append(
        f"({report['bootstrap_samples']} bootstrap resamples by problem, {report['seconds']} s)"
    )
    return "\n".join(lines)


def evaluate_transcripts(
    data: Annotated[
        Path,
        typer.Option(help="The tutoring folder (derived/ and mathdial/ inside).", exists=True),
    ] = Path("../shared/data/tutoring"),
    backend: Annotated[
        str, typer.Option(help=f"Similarity backend: {', '.join(BACKEND_NAMES)}.")
    ] = "local",
    split: Annotated[
        str, typer.Option(help="report (default), dev (tune here only) or all.")
    ] = "report",
    seed: Annotated[int, typer.Option(help="Seed of the problem split and the bootstrap.")] = 0,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples.")] = 1000,
    with_solution: Annotated[
        bool,
        typer.Option(
            "--with-solution",
            help="Also give the detector each problem's reference worked solution (the "
            "item's optional Transcript.solution); default: problem and conversation only.",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        json_option("Print the report as JSON (every metric as {value, ci95}); no progress bar."),
    ] = False,
) -> None:
    """Score the AI-tutor transcript analyzer on real tutoring dialogues (MathDial and
    StepVerify): where the struggle began, per-step credit and severity, with bootstrap 95%
    intervals by problem. The detector sees only the problem and the conversation. See
    docs/transcripts.md.

    Example: smartpractice evaluate-transcripts --data ../shared/data/tutoring --json

    Example: smartpractice evaluate-transcripts --backend lexical --split dev

    Example: smartpractice evaluate-transcripts --split dev --with-solution
    """
    from smartpractice_lab.tutoring.evaluation import evaluate_transcripts as run

    if backend not in BACKEND_NAMES:
        raise fail(f"--backend must be one of {', '.join(BACKEND_NAMES)}, not {backend!r}")
    chosen: BackendName = backend

    def bar(items: Iterable[TutoringDialogue]) -> Iterable[TutoringDialogue]:
        from tqdm import tqdm

        return tqdm(list(items), desc="dialogues", unit="dialogue", leave=False)

    try:
        report = run(
            data,
            backend=chosen,
            split=split,
            seed=seed,
            samples=bootstrap,
            with_solution=with_solution,
            progress=None if as_json else bar,
        )
    except (TutoringDataError, ValueError) as error:
        raise fail(str(error)) from None
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
