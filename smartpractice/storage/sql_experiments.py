"""The database's `ExperimentStore`: a tenant's experiments, the students' arms, and the
answers and mastery decisions the experiments are measured on."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartpractice.services.ports import (
    ExperimentAnswer,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentGuardrail,
    ExperimentRecord,
    Scope,
)
from smartpractice.storage.models import (
    Event,
    Experiment,
    ExperimentDifficulty,
    ItemSkill,
    SelectionLog,
)
from smartpractice.storage.models import (
    ExperimentAssignment as AssignmentRow,
)

__all__ = ["RunningExperimentsCache", "SqlExperimentStore"]

# Students per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


def _record(row: Experiment) -> ExperimentRecord:
    scope = row.scope
    return ExperimentRecord(
        experiment_id=row.experiment_id,
        hypothesis=row.hypothesis,
        scope=Scope(
            subject=scope.get("subject"), chapter=scope.get("chapter"), topic=scope.get("topic")
        ),
        arms=tuple(
            ExperimentArm(
                name=arm["name"],
                share=float(arm["share"]),
                policy=arm.get("policy", "smart_practice"),
                overrides=arm.get("overrides", {}),
            )
            for arm in row.arms
        ),
        primary_metric=row.primary_metric,
        guardrails=tuple(
            ExperimentGuardrail(
                metric=g["metric"], margin=float(g["margin"]), harmful=g.get("harmful", "increase")
            )
            for g in row.guardrails
        ),
        minimum_detectable_effect=row.minimum_detectable_effect,
        planned_students=row.planned_students,
        orthogonal=row.orthogonal,
        auto_stop=row.auto_stop,
        status=row.status,
        created_at=row.created_at,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        flag=row.flag,
        stop_reason=row.stop_reason,
    )


def _row(experiment: ExperimentRecord) -> dict[str, Any]:
    scope = experiment.scope
    return {
        "experiment_id": experiment.experiment_id,
        "hypothesis": experiment.hypothesis,
        "scope": {"subject": scope.subject, "chapter": scope.chapter, "topic": scope.topic},
        "arms": [
            {
                "name": arm.name,
                "share": arm.share,
                "policy": arm.policy,
                "overrides": {k: dict(v) for k, v in arm.overrides.items()},
            }
            for arm in experiment.arms
        ],
        "primary_metric": experiment.primary_metric,
        "guardrails": [
            {"metric": g.metric, "margin": g.margin, "harmful": g.harmful}
            for g in experiment.guardrails
        ],
        "minimum_detectable_effect": experiment.minimum_detectable_effect,
        "planned_students": experiment.planned_students,
        "orthogonal": experiment.orthogonal,
        "auto_stop": experiment.auto_stop,
        "status": experiment.status,
        "flag": experiment.flag,
        "stop_reason": experiment.stop_reason,
        "created_at": experiment.created_at,
        "started_at": experiment.started_at,
        "stopped_at": experiment.stopped_at,
    }


def _chunks(ids: Collection[str]) -> list[list[str]]:
    ordered = sorted(ids)
    return [ordered[k : k + _CHUNK] for k in range(0, len(ordered), _CHUNK)]


class SqlExperimentStore:
    """`ExperimentStore` on a tenant's session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, experiment: ExperimentRecord) -> bool:
        if self.session.get(Experiment, experiment.experiment_id) is not None:
            return False
        self.session.add(Experiment(**_row(experiment)))
        self.session.flush()
        return True

    def get(self, experiment_id: str) -> ExperimentRecord | None:
        row = self.session.get(Experiment, experiment_id)
        return None if row is None else _record(row)

    def all(self) -> list[ExperimentRecord]:
        rows = self.session.scalars(
            select(Experiment).order_by(Experiment.created_at.desc(), Experiment.experiment_id)
        )
        return [_record(row) for row in rows]

    def running(self) -> list[ExperimentRecord]:
        rows = self.session.scalars(
            select(Experiment)
            .where(Experiment.status == "running")
            .order_by(Experiment.started_at, Experiment.experiment_id)
        )
        return [_record(row) for row in rows]

    def save_state(self, experiment: ExperimentRecord) -> None:
        row = self.session.get(Experiment, experiment.experiment_id)
        if row is None:
            return
        row.status = experiment.status
        row.flag = experiment.flag
        row.stop_reason = experiment.stop_reason
        row.started_at = experiment.started_at
        row.stopped_at = experiment.stopped_at
        self.session.flush()

    def arm_of(self, experiment_id: str, student_id: str) -> str | None:
        # The primary key (experiment_id, student_id): one index probe.
        return self.session.scalar(
            select(AssignmentRow.arm).where(
                AssignmentRow.experiment_id == experiment_id,
                AssignmentRow.student_id == student_id,
            )
        )

    def assign(self, experiment_id: str, student_id: str, arm: str, *, at: datetime) -> None:
        values = {
            "experiment_id": experiment_id,
            "student_id": student_id,
            "arm": arm,
            "first_exposure_at": at,
        }
        # Two first requests at once both insert; the second is ignored, and both computed
        # the same arm from the hash.
        dialect = self.session.get_bind().dialect.name
        table = cast(Table, AssignmentRow.__table__)
        if dialect == "postgresql":
            statement: Any = postgresql.insert(table).values(values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
        self.session.execute(statement)

    def assignments(self, experiment_id: str) -> list[ExperimentAssignment]:
        rows = self.session.execute(
            select(AssignmentRow.student_id, AssignmentRow.arm, AssignmentRow.first_exposure_at)
            .where(AssignmentRow.experiment_id == experiment_id)
            .order_by(AssignmentRow.student_id)
        )
        return [ExperimentAssignment(s, a, t) for s, a, t in rows]

    def freeze_difficulties(self, experiment_id: str) -> int:
        frozen = cast(Table, ExperimentDifficulty.__table__)
        # One statement, all in the database: a 100,000-item bank copies in well under a
        # second, once per experiment start.
        copied = self.session.execute(
            insert(frozen).from_select(
                ["experiment_id", "item_id", "skill_id", "difficulty"],
                select(
                    literal(experiment_id, String()),
                    ItemSkill.item_id,
                    ItemSkill.skill_id,
                    ItemSkill.difficulty,
                ),
            )
        )
        return int(getattr(copied, "rowcount", 0) or 0)

    def answers(self, experiment_id: str, student_ids: Collection[str]) -> list[ExperimentAnswer]:
        found: list[ExperimentAnswer] = []
        item_ids: set[str] = set()
        rows: list[tuple[str, str, datetime, float | None, float | None, Mapping[str, Any]]] = []
        for chunk in _chunks(student_ids):
            selected = self.session.execute(
                select(
                    Event.student_id,
                    Event.item_id,
                    Event.occurred_at,
                    Event.performance,
                    Event.predicted,
                    Event.payload,
                )
                .where(
                    Event.student_id.in_(chunk),
                    Event.status == "applied",
                    Event.kind == "attempt",
                )
                .order_by(Event.applied_seq)
            )
            for row in selected:
                rows.append(tuple(row))
                item_ids.add(row[1])
        difficulties: dict[str, dict[str, float]] = {}
        for chunk in _chunks(item_ids):
            for item_id, skill_id, difficulty in self.session.execute(
                select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty).where(
                    ItemSkill.item_id.in_(chunk)
                )
            ):
                difficulties.setdefault(item_id, {})[skill_id] = difficulty
            # As they were when the experiment started, where kept.
            for item_id, skill_id, difficulty in self.session.execute(
                select(
                    ExperimentDifficulty.item_id,
                    ExperimentDifficulty.skill_id,
                    ExperimentDifficulty.difficulty,
                ).where(
                    ExperimentDifficulty.experiment_id == experiment_id,
                    ExperimentDifficulty.item_id.in_(chunk),
                )
            ):
                difficulties.setdefault(item_id, {})[skill_id] = difficulty
        for student_id, item_id, occurred_at, performance, predicted, payload in rows:
            found.append(
                ExperimentAnswer(
                    student_id=student_id,
                    item_id=item_id,
                    occurred_at=occurred_at,
                    performance=float(performance if performance is not None else 0.0),
                    predicted=float(predicted if predicted is not None else 0.5),
                    solution_viewed=bool(payload.get("solution_viewed", False)),
                    difficulties=difficulties.get(item_id, {}),
                )
            )
        found.sort(key=lambda a: a.occurred_at)
        return found

    def mastery_times(self, student_ids: Collection[str]) -> dict[str, dict[str, datetime]]:
        times: dict[str, dict[str, datetime]] = {}
        for chunk in _chunks(student_ids):
            rows = self.session.execute(
                select(SelectionLog.student_id, SelectionLog.created_at, SelectionLog.explanation)
                .where(SelectionLog.student_id.in_(chunk))
                .order_by(SelectionLog.id)
            )
            for student_id, at, explanation in rows:
                path = explanation.get("path") if isinstance(explanation, dict) else None
                mastered = path.get("mastered") if isinstance(path, dict) else None
                if not isinstance(mastered, list):
                    continue
                own = times.setdefault(student_id, {})
                for skill_id in mastered:
                    if isinstance(skill_id, str):
                        own.setdefault(skill_id, at)
        return times

    def picks_per_arm(self, experiment_id: str) -> dict[str, int]:
        rows = self.session.execute(
            select(SelectionLog.arm, func.count())
            .where(SelectionLog.experiment_id == experiment_id)
            .group_by(SelectionLog.arm)
        )
        return {str(arm): int(count) for arm, count in rows}


class RunningExperimentsCache:
    """A tenant's running experiments, kept `ttl_seconds` so that next-question reads them
    once per TTL, not once per pick (starting or stopping one takes effect within the TTL;
    the routes that start or stop one clear it at once in their own process)."""

    def __init__(self, ttl_seconds: float = 10.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._snapshot: tuple[float, list[ExperimentRecord]] | None = None

    def running(self, session: Session) -> list[ExperimentRecord]:
        now = time.monotonic()
        snapshot = self._snapshot
        if snapshot is None or snapshot[0] < now:
            snapshot = (now + self.ttl_seconds, SqlExperimentStore(session).running())
            self._snapshot = snapshot
        return snapshot[1]

    def clear(self) -> None:
        self._snapshot = None
