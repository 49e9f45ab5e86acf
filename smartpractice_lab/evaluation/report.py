"""Reports of an evaluation run: the JSON document, the model table, the per-skill table."""

from __future__ import annotations

import math

from smartpractice_lab.evaluation.metrics import SkillRow, per_skill_rows
from smartpractice_lab.evaluation.runner import EvaluationResult

__all__ = ["per_skill_json", "per_skill_table", "results_json", "results_table"]

_COLUMNS = ("auc", "log_loss", "rmse", "accuracy", "ece")


def _number(value: float, digits: int = 4) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def results_json(result: EvaluationResult) -> dict[str, object]:
    """``{"models": {NAME: {"auc", "log_loss", "rmse", "accuracy", "ece", "seconds"}},
    "rows": N}`` (NaN, e.g. an AUC with one class only, becomes null)."""
    seconds = {run.name: run.seconds for run in result.runs}
    models: dict[str, dict[str, float | None]] = {}
    for name, metrics in result.metrics().items():
        models[name] = {column: _number(getattr(metrics, column)) for column in _COLUMNS}
        models[name]["seconds"] = round(seconds[name], 2)
    return {"models": models, "rows": result.rows}


def _cell(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4f}"


def results_table(result: EvaluationResult) -> str:
    """The models as an aligned text table, in the requested order (the production model
    first by default), then the skipped models with the reason."""
    width = max([16, *(len(n) + 2 for n in [*result.predictions(), *result.skipped])])
    header = f"{'model':<{width}}" + "".join(f"{c:>10}" for c in (*_COLUMNS, "seconds"))
    lines = [f"{result.rows} test responses from {result.source}", header]
    seconds = {run.name: run.seconds for run in result.runs}
    for name, metrics in result.metrics().items():
        cells = "".join(f"{_cell(getattr(metrics, c)):>10}" for c in _COLUMNS)
        lines.append(f"{name:<{width}}{cells}{seconds[name]:>10.1f}")
    for name, reason in result.skipped.items():
        lines.append(f"{name:<{width}}skipped: {reason}")
    return "\n".join(lines)


def _skill_rows(result: EvaluationResult) -> list[SkillRow]:
    return per_skill_rows(result.skills, result.scores, result.predictions())


def per_skill_table(result: EvaluationResult) -> str:
    """AUC of every model per skill (most answered skill first); ``-`` where a skill's test
    responses are all right or all wrong."""
    names = [run.name for run in result.runs]
    width = max((len(n) for n in names), default=8) + 2
    header = f"{'skill':<24}{'responses':>10}{'correct':>9}" + "".join(
        f"{n:>{width}}" for n in names
    )
    lines = ["AUC per skill (a multi-skill response counts for each of its skills)", header]
    for row in _skill_rows(result):
        cells = "".join(f"{_cell(row.metrics[n].auc):>{width}}" for n in names)
        lines.append(f"{row.skill:<24}{row.responses:>10}{row.success_rate:>9.3f}{cells}")
    return "\n".join(lines)


def per_skill_json(result: EvaluationResult) -> list[dict[str, object]]:
    """The per-skill table as JSON rows: skill, responses, success rate, AUC and log-loss
    per model."""
    return [
        {
            "skill": row.skill,
            "responses": row.responses,
            "success_rate": round(row.success_rate, 4),
            "models": {
                name: {"auc": _number(m.auc), "log_loss": _number(m.log_loss)}
                for name, m in row.metrics.items()
            },
        }
        for row in _skill_rows(result)
    ]
