"""Reading skills and items from CSV or JSON files, with a per-row error report.

CSV columns: skills ``skill_id,name,description,prerequisites`` (prerequisites separated
by ``;``); items ``item_id,source,subject,chapter,topic,grade,difficulty_label,
expected_time_seconds,marks,text,skills`` where skills is ``id`` or ``id=1250`` separated by
``;``; exams (blueprints) one row per chapter or topic of a section: ``exam_id,name,exam,
exam_date,duration_minutes,total_questions,total_marks,exam_like_sources,note,section,
correct,wrong,unattempted,place,questions,marks`` (an exam's and a section's columns may be
left blank after their first row; exam_like_sources separated by ``;``). JSON:
``{"skills": [...], "items": [...], "misconceptions": [...], "exams": [...]}`` in the API's
shapes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartpractice.services.schemas import ExamIn, ItemIn, MisconceptionIn, SkillIn

__all__ = ["Batch", "ImportFile", "RowError", "read_import_file"]


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem in one row: where (file, row number from 1, field) and what."""

    source: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source} row {self.row}: {self.field}: {self.message}"

    @staticmethod
    def count_rows(errors: Sequence[RowError]) -> int:
        """How many distinct rows `errors` are about (a row may have several problems)."""
        return len({(e.source, e.row) for e in errors})


@dataclass
class ImportFile:
    """Validated records read from one file, and the rows that failed."""

    skills: list[SkillIn] = field(default_factory=list)
    items: list[ItemIn] = field(default_factory=list)
    misconceptions: list[MisconceptionIn] = field(default_factory=list)
    exams: list[ExamIn] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skill_rows: list[int] = field(default_factory=list)
    item_rows: list[int] = field(default_factory=list)
    misconception_rows: list[int] = field(default_factory=list)
    exam_rows: list[int] = field(default_factory=list)
    source: str = ""


@dataclass
class Batch:
    """The records of several files, each remembering its file and row, so that problems
    found later (an unknown skill, a prerequisite cycle) name them too."""

    skills: list[SkillIn] = field(default_factory=list)
    items: list[ItemIn] = field(default_factory=list)
    misconceptions: list[MisconceptionIn] = field(default_factory=list)
    exams: list[ExamIn] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: dict[str, list[tuple[str, int]]] = field(
        default_factory=lambda: {"skills": [], "items": [], "misconceptions": [], "exams": []}
    )

    def add(self, found: ImportFile) -> None:
        """Append one file's records and errors."""
        self.skills += found.skills
        self.items += found.items
        self.misconceptions += found.misconceptions
        self.exams += found.exams
        self.errors += found.errors
        self.rows["skills"] += [(found.source, n) for n in found.skill_rows]
        self.rows["items"] += [(found.source, n) for n in found.item_rows]
        self.rows["misconceptions"] += [(found.source, n) for n in found.misconception_rows]
        self.rows["exams"] += [(found.source, n) for n in found.exam_rows]

    def counts(self) -> dict[str, object]:
        """Records per kind (exams only when the batch has some)."""
        counts: dict[str, object] = {
            "skills": len(self.skills),
            "items": len(self.items),
            "misconceptions": len(self.misconceptions),
        }
        if self.exams:
            counts["exams"] = len(self.exams)
        return counts

    def locate(self, kind: str, errors: Sequence[Mapping[str, Any]]) -> list[RowError]:
        """The service's errors about the `kind` records (``loc`` = index in the batch,
        then the field), with the file and row each came from."""
        rows = self.rows[kind]
        located = []
        for error in errors:
            loc = list(error["loc"])
            if loc and isinstance(loc[0], int) and 0 <= loc[0] < len(rows):
                source, row = rows[loc[0]]
                where = ".".join(map(str, loc[1:])) or kind
            else:
                source, row = ("(batch)", 0)
                where = ".".join(map(str, loc)) or kind
            located.append(RowError(source, row, where, str(error["msg"])))
        return located


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
    models: dict[str, type[SkillIn] | type[ItemIn] | type[MisconceptionIn] | type[ExamIn]] = {
        "skills": SkillIn,
        "items": ItemIn,
        "misconceptions": MisconceptionIn,
        "exams": ExamIn,
    }
    model = models[kind]
    for number, raw in rows:
        try:
            record = model.model_validate(raw)
        except ValidationError as error:
            for e in error.errors(include_url=False):
                where = ".".join(str(p) for p in e["loc"]) or kind
                message = str(e["msg"]).removeprefix("Value error, ")
                result.errors.append(RowError(source, number, where, message))
            continue
        if isinstance(record, SkillIn):
            result.skills.append(record)
            result.skill_rows.append(number)
        elif isinstance(record, MisconceptionIn):
            result.misconceptions.append(record)
            result.misconception_rows.append(number)
        elif isinstance(record, ExamIn):
            result.exams.append(record)
            result.exam_rows.append(number)
        else:
            result.items.append(record)
            result.item_rows.append(number)


_EXAM_COLUMNS = (
    "exam_id",
    "name",
    "exam",
    "exam_date",
    "duration_minutes",
    "total_questions",
    "total_marks",
    "exam_like_sources",
    "note",
)
_SECTION_COLUMNS = ("section", "correct", "wrong", "unattempted")
_WEIGHT_COLUMNS = ("place", "questions", "marks")


def _exams_from_csv(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Blueprints from weight rows: each row names its exam (by id) and section; the
    exam's and the section's other columns are read from their first row. Each exam is
    reported at its first row."""
    exams: dict[str, tuple[int, dict[str, Any]]] = {}
    last_id: str | None = None
    for number, raw in rows:
        row = _blank_to_none(raw)
        exam_id = row.get("exam_id") or last_id
        if exam_id is None:
            exams[f"#{number}"] = (number, {"exam_id": None})
            continue
        last_id = exam_id
        exam = exams.setdefault(exam_id, (number, {"sections": []}))[1]
        for column in _EXAM_COLUMNS:
            if row.get(column) is not None and column not in exam:
                exam[column] = row[column]
        if isinstance(exam.get("exam_like_sources"), str):
            exam["exam_like_sources"] = [
                s.strip() for s in exam["exam_like_sources"].split(";") if s.strip()
            ]
        sections: list[dict[str, Any]] = exam["sections"]
        name = row.get("section") or (sections[-1]["name"] if sections else None)
        section = next((s for s in sections if s["name"] == name), None)
        if section is None:
            marking = {c: row[c] for c in _SECTION_COLUMNS[1:] if row.get(c) is not None}
            section = {"name": name, "marking": marking, "weights": []}
            sections.append(section)
        section["weights"].append({c: row.get(c) for c in _WEIGHT_COLUMNS})
    return list(exams.values())


def read_import_file(path: Path, *, kind: str | None = None) -> ImportFile:
    """Read and validate one file. `kind` (skills/items/exams) is needed for CSV files."""
    source = path.name
    result = ImportFile(source=source)
    if path.suffix.lower() == ".csv":
        if kind not in ("skills", "items", "exams"):
            raise ValueError(f"{source}: say whether a CSV file holds skills, items or exams")
        if kind == "exams":
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(enumerate(csv.DictReader(handle), start=2))
            _validate(result, source, kind, _exams_from_csv(rows))
            return result
        with path.open(newline="", encoding="utf-8") as handle:
            convert = _skill_from_csv if kind == "skills" else _item_from_csv
            rows = [(n, convert(r)) for n, r in enumerate(csv.DictReader(handle), start=2)]
        _validate(result, source, kind, rows)
        return result
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        if kind not in ("skills", "items", "exams"):
            raise ValueError(f"{source}: a JSON list needs --kind skills, items or exams")
        data = {kind: data}
    keys = ("skills", "items", "misconceptions", "exams")
    if not isinstance(data, dict) or not set(data) <= set(keys):
        raise ValueError(
            f"{source}: expected an object with 'skills', 'items', 'misconceptions' and/or 'exams'"
        )
    for key in keys:
        _validate(result, source, key, list(enumerate(data.get(key, []), start=1)))
    return result
