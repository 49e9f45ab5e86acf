"""Reading skills and items from CSV or JSON files, with a per-row error report.

CSV columns: skills ``skill_id,name,description,prerequisites`` (prerequisites separated
by ``;``); items ``item_id,source,subject,chapter,topic,grade,difficulty_label,
expected_time_seconds,marks,text,skills`` where skills is ``id`` or ``id=1250`` separated by
``;``. JSON: ``{"skills": [...], "items": [...], "misconceptions": [...]}`` in the API's
shapes.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartpractice.schemas import ItemIn, MisconceptionIn, SkillIn

__all__ = ["ImportFile", "RowError", "read_import_file"]


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem in one row: where (file, row number from 1, field) and what."""

    source: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source} row {self.row}: {self.field}: {self.message}"


@dataclass
class ImportFile:
    """Validated records read from one file, and the rows that failed."""

    skills: list[SkillIn] = field(default_factory=list)
    items: list[ItemIn] = field(default_factory=list)
    misconceptions: list[MisconceptionIn] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skill_rows: list[int] = field(default_factory=list)
    item_rows: list[int] = field(default_factory=list)


def _blank_to_none(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if v not in ("", None) else None) for k, v in row.items() if k is not None}


def _skill_from_csv(row: dict[str, Any]) -> dict[str, Any]:
    row = _blank_to_none(row)
    prerequisites = row.pop("prerequisites", None) or ""
    row["prerequisites"] = [p.strip() for p in prerequisites.split(";") if p.strip()]
    row["description"] = row.get("description") or ""
    return row


def _item_from_csv(row: dict[str, Any]) -> dict[str, Any]:
    row = _blank_to_none(row)
    skills: dict[str, Any] = {}
    for part in (row.pop("skills", None) or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            skills[name.strip()] = value.strip() or None
    row["skills"] = skills
    return row


def _validate(result: ImportFile, source: str, kind: str, rows: list[tuple[int, Any]]) -> None:
    models: dict[str, type[SkillIn] | type[ItemIn] | type[MisconceptionIn]] = {
        "skills": SkillIn,
        "items": ItemIn,
        "misconceptions": MisconceptionIn,
    }
    model = models[kind]
    for number, raw in rows:
        try:
            record = model.model_validate(raw)
        except ValidationError as error:
            for e in error.errors(include_url=False):
                where = ".".join(str(p) for p in e["loc"]) or kind
                result.errors.append(RowError(source, number, where, e["msg"]))
            continue
        if isinstance(record, SkillIn):
            result.skills.append(record)
            result.skill_rows.append(number)
        elif isinstance(record, MisconceptionIn):
            result.misconceptions.append(record)
        else:
            result.items.append(record)
            result.item_rows.append(number)


def read_import_file(path: Path, *, kind: str | None = None) -> ImportFile:
    """Read and validate one file. `kind` (skills/items) is needed for CSV files."""
    result = ImportFile()
    source = path.name
    if path.suffix.lower() == ".csv":
        if kind not in ("skills", "items"):
            raise ValueError(f"{source}: say whether a CSV file holds skills or items")
        with path.open(newline="", encoding="utf-8") as handle:
            convert = _skill_from_csv if kind == "skills" else _item_from_csv
            rows = [(n, convert(r)) for n, r in enumerate(csv.DictReader(handle), start=2)]
        _validate(result, source, kind, rows)
        return result
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        if kind not in ("skills", "items"):
            raise ValueError(f"{source}: a JSON list needs --kind skills or --kind items")
        data = {kind: data}
    if not isinstance(data, dict) or not set(data) <= {"skills", "items", "misconceptions"}:
        raise ValueError(
            f"{source}: expected an object with 'skills', 'items' and/or 'misconceptions'"
        )
    for key in ("skills", "items", "misconceptions"):
        _validate(result, source, key, list(enumerate(data.get(key, []), start=1)))
    return result
