"""The ``smartpractice evaluate`` command: parse options, run `run_evaluation`, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smartpractice.cli.common import fail, json_option, tenant_option
from smartpractice_lab.evaluation.dataset import DatasetError, ReplayData, parse_split
from smartpractice_lab.evaluation.runner import DEFAULT_MODELS, MODEL_NAMES

__all__ = ["evaluate"]


def _load(
    *,
    train: Path | None,
    test: Path | None,
    data: Path | None,
    from_db: bool,
    split: str,
    seed: int,
    q_matrix: Path | None,
    database_url: str,
    tenant: str,
    validation: bool,
) -> ReplayData:
    from smartpractice_lab.evaluation.sources import (
        from_event_log,
        from_one_file,
        from_train_and_test,
        validation_split,
    )

    fraction = parse_split(split)
    chosen = [train is not None or test is not None, data is not None, from_db]
    if sum(chosen) != 1:
        raise ValueError("give exactly one of --train/--test, --data, --from-db")
    if tenant != "default" and not from_db:
        raise ValueError("--tenant names whose event log --from-db reads; add --from-db")
    if train is not None or test is not None:
        if train is None or test is None:
            raise ValueError("--train and --test go together")
        loaded = from_train_and_test(train, test, q_matrix=q_matrix)
    elif data is not None:
        loaded = from_one_file(data, test_fraction=fraction, seed=seed, q_matrix=q_matrix)
    else:
        loaded = from_event_log(database_url, tenant_id=tenant, test_fraction=fraction, seed=seed)
    if validation:
        return validation_split(loaded, test_fraction=fraction, seed=seed)
    return loaded


def _model_names(models: str) -> list[str]:
    names = [name.strip() for name in models.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown or not names:
        raise ValueError(f"--models: unknown {unknown}; choose from {', '.join(MODEL_NAMES)}")
    return names


def evaluate(
    train: Annotated[
        Path | None, typer.Option(help="Responses of the train users (folder TSV or generic CSV).")
    ] = None,
    test: Annotated[
        Path | None, typer.Option(help="Responses of the test users, same format as --train.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="One response file, split by users with --split/--seed.")
    ] = None,
    from_db: Annotated[
        bool,
        typer.Option(
            "--from-db",
            help="Evaluate on the service's applied attempts (SMARTPRACTICE_DATABASE_URL), "
            "split by users.",
        ),
    ] = False,
    tenant: Annotated[str, tenant_option("With --from-db: whose event log to read.")] = "default",
    split: Annotated[
        str, typer.Option(help="Test share of the students for --data/--from-db: users:FRACTION.")
    ] = "users:0.2",
    seed: Annotated[int, typer.Option(help="Seed of the user split.")] = 0,
    validation: Annotated[
        bool,
        typer.Option(
            "--validation",
            help="Leave the test users out: split the train users again by --split/--seed "
            "and score the held-out train users (for tuning; never tune on the test file).",
        ),
    ] = False,
    q_matrix: Annotated[
        Path | None,
        typer.Option(help="Folder format's item x skill q_mat.npz (default: beside the data)."),
    ] = None,
    models: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated models to run, of {','.join(MODEL_NAMES)} "
            f"(default: all but smartpractice_calibrated)."
        ),
    ] = ",".join(DEFAULT_MODELS),
    first_responses: Annotated[
        int | None,
        typer.Option(
            "--first-responses",
            min=1,
            help="Score only each test user's first N responses (cold start); every "
            "response is still predicted and learned from in order.",
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write a reliability-diagram PNG of every model here.")
    ] = None,
    per_skill: Annotated[
        bool, typer.Option("--per-skill", help="Also report AUC per skill of every model.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            min=0,
            help="Processes to run the models in at the same time; 0 (default): one per CPU "
            "core. The predictions do not depend on it.",
        ),
    ] = 0,
    as_json: Annotated[
        bool,
        json_option(
            'Print {"models": {NAME: {auc, log_loss, rmse, accuracy, ece, seconds}}, '
            '"rows": N} (plus "per_skill" with --per-skill); no progress bars.'
        ),
    ] = False,
) -> None:
    """Replay student responses in answer order and score how well each model predicts them.

    Models learn from the train users' responses first (not scored); then each test
    response is predicted before the model sees it. All models run on the same rows:
    smartpractice (the production model, through the worker's apply_attempt), elo (plain
    Elo, Pelanek 2016), customer_sketch (the customer's first sketch), bkt (pyBKT, skipped
    when it cannot be imported) and irt_1pl (Rasch fitted on the train users); on request
    smartpractice_calibrated (the production model after `smartpractice calibrate` on the
    train users). See docs/evaluation.md for the protocol and the file formats.

    Example: smartpractice evaluate --train train.csv --test test.csv --plot reliability.png

    Example: smartpractice evaluate --data responses.csv --split users:0.2 --seed 0 --json

    Example: smartpractice evaluate --train train.csv --test test.csv
    --models smartpractice,smartpractice_calibrated --first-responses 5

    Example: smartpractice evaluate --from-db --tenant greenwood_high --json

    Example (tuning): smartpractice evaluate --train train.csv --test test.csv --validation
    """
    from smartpractice.settings import Settings
    from smartpractice_lab.evaluation.plot import save_reliability_diagram
    from smartpractice_lab.evaluation.report import (
        per_skill_json,
        per_skill_table,
        results_json,
        results_table,
    )
    from smartpractice_lab.evaluation.runner import default_jobs, run_evaluation

    settings = Settings()
    try:
        names = _model_names(models)
        replay = _load(
            train=train,
            test=test,
            data=data,
            from_db=from_db,
            split=split,
            seed=seed,
            q_matrix=q_matrix,
            database_url=settings.database_url,
            tenant=tenant,
            validation=validation,
        )
    except (DatasetError, ValueError) as error:
        raise fail(str(error)) from None
    result = run_evaluation(
        replay,
        models=names,
        config=settings.model,
        progress=not as_json,
        first=first_responses,
        jobs=jobs or default_jobs(),
    )
    if plot is not None:
        title = "/".join(Path(replay.source).parts[-2:]) if "://" not in replay.source else ""
        save_reliability_diagram(
            plot, result.scores, result.predictions(), title=title or replay.source
        )
    if as_json:
        document = results_json(result)
        if per_skill:
            document["per_skill"] = per_skill_json(result)
        typer.echo(json.dumps(document))
        for name, reason in result.skipped.items():
            typer.echo(f"{name} skipped: {reason}", err=True)
        return
    typer.echo(results_table(result))
    if per_skill:
        typer.echo("")
        typer.echo(per_skill_table(result))
    if plot is not None:
        typer.echo(f"reliability diagram: {plot}")
