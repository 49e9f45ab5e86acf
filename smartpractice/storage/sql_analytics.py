"""The database's `AnalyticsStore`: the statements behind the dashboard and `/metrics`.

Every statement costs what its page shows, not what the database holds: cohorts are read
through the (skill, student) index, histories through the student's or the item's own
events, and "recent" figures over the last so-many applied events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Select, case, cast, func, select
from sqlalchemy.orm import Session

from smartpractice.services.ports import (
    CohortFilter,
    CohortRatings,
    EventCounts,
    ItemAttempt,
    ItemCalibration,
    ItemLabelGap,
    ItemSkillMovement,
    ItemStats,
    PageRating,
    Pick,
    PractisedTopic,
    RecentStudent,
    Rejection,
    SkillOutcomes,
    StudentEvent,
    SubjectGradeFilter,
    TopicOption,
)
from smartpractice.storage.catalog_queries import typical_difficulties
from smartpractice.storage.models import Event, Item, ItemSkill, SelectionLog, Skill, Student
from smartpractice.storage.models import StudentSkill as Rating

__all__ = ["SqlAnalyticsStore"]


def _success_of(score: Any) -> Any:
    """SQL: 1.0 when a score (0-1) counts as a success (>= 0.5, as the item counters do)."""
    return case((score >= 0.5, 1.0), else_=0.0)


def _score_of() -> Any:
    """SQL: the attempt's overall score (0-1) from the event payload."""
    return Event.payload["score"].as_float()


def _driver_rows(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows of `statement` as the database driver's plain tuples.

    SQLAlchemy builds and compiles the statement; only the rows skip SQLAlchemy's `Row`
    objects, which for a large cohort cost as much as the query itself. Fit for columns
    the driver already returns as Python values (strings, numbers), not for datetimes.
    """
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    arguments: Any = (
        [params[name] for name in compiled.positiontup or ()] if compiled.positional else params
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, arguments)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _item_scope(where: SubjectGradeFilter) -> list[ColumnElement[bool]]:
    scoped: list[ColumnElement[bool]] = []
    if where.subject:
        scoped.append(Item.subject == where.subject)
    if where.grade is not None:
        scoped.append(Item.grade == where.grade)
    return scoped


class SqlAnalyticsStore:
    """`AnalyticsStore` over one SQLAlchemy session (the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # The overview and the student finder.

    def recent_students(self, *, limit: int) -> list[RecentStudent]:
        rows = self._session.execute(
            select(Student.student_id, Student.attempts, Student.correct, Student.last_at)
            .where(Student.last_at.is_not(None))
            .order_by(Student.last_at.desc())
            .limit(limit)
        )
        return [RecentStudent(s, a, c / a if a else None, t) for s, a, c, t in rows]

    def student_count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(Student)) or 0

    def student_exists(self, student_id: str) -> bool:
        return self._session.get(Student, student_id) is not None

    def students_starting(self, prefix: str, *, limit: int) -> list[str]:
        return list(
            self._session.scalars(
                select(Student.student_id)
                # The range walks the primary key; startswith keeps the answer exact
                # whatever the collation.
                .where(
                    Student.student_id >= prefix,
                    Student.student_id < prefix + "\U0010ffff",
                    Student.student_id.startswith(prefix, autoescape=True),
                )
                .order_by(Student.student_id)
                .limit(limit)
            )
        )

    # Cohorts.

    def filter_options(self) -> list[TopicOption]:
        rows = self._session.execute(
            select(Item.grade, Item.subject, Item.chapter, Item.topic, func.sum(Item.attempts))
            .group_by(Item.grade, Item.subject, Item.chapter, Item.topic)
            .order_by(Item.grade, Item.subject, Item.chapter, Item.topic)
        )
        return [TopicOption(g, s, c, t, int(n or 0)) for g, s, c, t, n in rows]

    def practised_topics(self, where: CohortFilter) -> list[PractisedTopic]:
        query = (
            select(
                Item.grade,
                Item.subject,
                Item.topic,
                func.count(func.distinct(Rating.student_id)),
            )
            .join(ItemSkill, ItemSkill.item_id == Item.item_id)
            .join(Rating, Rating.skill_id == ItemSkill.skill_id)
            .group_by(Item.grade, Item.subject, Item.topic)
        )
        if where.prefix:
            query = query.where(Rating.student_id.startswith(where.prefix, autoescape=True))
        if where.grade is not None:
            query = query.where(Item.grade == where.grade)
        if where.subject:
            query = query.where(Item.subject == where.subject)
        found = [PractisedTopic(g, s, t, int(n)) for g, s, t, n in self._session.execute(query)]
        return sorted(found, key=lambda o: (-o.students, o.topic))

    def skill_names(self, skill_ids: Sequence[str]) -> dict[str, str]:
        rows = self._session.execute(
            select(Skill.skill_id, Skill.name).where(Skill.skill_id.in_(skill_ids))
        )
        return {skill_id: name for skill_id, name in rows}

    def typical_difficulties(self, skill_ids: Sequence[str]) -> dict[str, float]:
        return typical_difficulties(self._session, skill_ids)

    def topic_skills(self, where: CohortFilter) -> list[str]:
        query = select(ItemSkill.skill_id).distinct().join(Item, Item.item_id == ItemSkill.item_id)
        if where.grade is not None:
            query = query.where(Item.grade == where.grade)
        if where.subject:
            query = query.where(Item.subject == where.subject)
        if where.topic:
            query = query.where(Item.topic == where.topic)
        return sorted(self._session.scalars(query))

    def cohort_ratings(self, where: CohortFilter, skills: Sequence[str]) -> CohortRatings:
        """From the (skill, student, ...) covering index, each student's ability once: a
        cohort can be every student there is, so no ORM objects and no per-row join."""
        ratings, students = Rating.__table__, Student.__table__
        in_cohort: list[ColumnElement[bool]] = [ratings.c.skill_id.in_(skills)]
        if where.prefix:
            # After the skill range of the index, so no collation question arises.
            in_cohort.append(ratings.c.student_id.startswith(where.prefix, autoescape=True))
        connection = self._session.connection()
        rows: list[Any] = _driver_rows(
            connection,
            select(
                ratings.c.student_id,
                ratings.c.skill_id,
                ratings.c.offset,
                ratings.c.attempts,
                ratings.c.correct,
            ).where(*in_cohort),
        )
        if not rows:
            return CohortRatings([], {})
        abilities: dict[str, float] = dict(
            _driver_rows(
                connection,
                select(students.c.student_id, students.c.ability).where(
                    students.c.student_id.in_(select(ratings.c.student_id).where(*in_cohort))
                ),
            )
        )
        return CohortRatings(rows, abilities)

    def page_ratings(self, student_ids: Sequence[str], skills: Sequence[str]) -> list[PageRating]:
        return [
            PageRating(*row)
            for row in self._session.execute(
                select(
                    Rating.student_id,
                    Rating.skill_id,
                    Rating.offset,
                    Rating.attempts,
                    Rating.correct,
                    Rating.last_at,
                    Student.ability,
                )
                .join(Student, Student.student_id == Rating.student_id)
                .where(Rating.student_id.in_(student_ids), Rating.skill_id.in_(skills))
            )
        ]

    def recent_outcomes(
        self, student_ids: Sequence[str], *, per_student: int
    ) -> list[SkillOutcomes]:
        order = func.row_number().over(partition_by=Event.student_id, order_by=Event.seq.desc())
        recent = (
            select(Event.student_id, Event.seq, Event.outcome, order.label("n"))
            # Only applied events have an outcome; no status filter, so that the planner
            # reads the student's own events rather than every applied one.
            .where(Event.student_id.in_(student_ids))
            .subquery()
        )
        return [
            SkillOutcomes(student_id, seq, outcome)
            for student_id, seq, outcome in self._session.execute(
                select(recent.c.student_id, recent.c.seq, recent.c.outcome).where(
                    recent.c.n <= per_student
                )
            )
        ]

    # Items.

    def label_gaps(
        self,
        where: SubjectGradeFilter,
        *,
        seeds: Sequence[tuple[str, float]],
        unlabelled: float,
        min_attempts: int,
        tolerance: float,
        limit: int,
    ) -> list[ItemLabelGap]:
        seed = case(
            *[(Item.difficulty_label == name, value) for name, value in seeds],
            else_=unlabelled,
        )
        learned = func.avg(ItemSkill.difficulty)
        return [
            ItemLabelGap(item_id, label, difficulty, expected)
            for item_id, label, difficulty, expected in self._session.execute(
                select(Item.item_id, Item.difficulty_label, learned, seed)
                .join(ItemSkill, ItemSkill.item_id == Item.item_id)
                .where(*_item_scope(where), Item.difficulty_label.is_not(None))
                .group_by(Item.item_id, Item.difficulty_label)
                .having(
                    func.min(ItemSkill.attempts) >= min_attempts,
                    func.abs(learned - seed) >= tolerance,
                )
                .limit(limit)
            )
        ]

    def recent_item_calibration(
        self, where: SubjectGradeFilter, *, events: int
    ) -> list[ItemCalibration]:
        recent = (
            select(Event.item_id, Event.predicted, _score_of().label("score"))
            .where(Event.applied_seq.is_not(None))
            .order_by(Event.applied_seq.desc())
            .limit(events)
            .subquery()
        )
        by_item = (
            select(
                recent.c.item_id,
                func.count().label("n"),
                func.avg(recent.c.predicted).label("predicted"),
                func.avg(_success_of(recent.c.score)).label("observed"),
            )
            .group_by(recent.c.item_id)
            .subquery()
        )
        return [
            ItemCalibration(item_id, n, predicted, observed)
            for item_id, n, predicted, observed in self._session.execute(
                select(by_item)
                .join(Item, Item.item_id == by_item.c.item_id)
                .where(*_item_scope(where))
            )
        ]

    def item_count(self, where: SubjectGradeFilter) -> int:
        return (
            self._session.scalar(select(func.count()).select_from(Item).where(*_item_scope(where)))
            or 0
        )

    def most_attempted_items(
        self, where: SubjectGradeFilter, *, offset: int, limit: int
    ) -> list[ItemStats]:
        items = self._session.scalars(
            select(Item)
            .where(*_item_scope(where))
            .order_by(Item.attempts.desc(), Item.item_id)
            .offset(offset)
            .limit(limit)
        ).all()
        skills: dict[str, list[ItemSkill]] = {}
        for row in self._session.scalars(
            select(ItemSkill).where(ItemSkill.item_id.in_([i.item_id for i in items]))
        ):
            skills.setdefault(row.item_id, []).append(row)
        return [
            ItemStats(
                item_id=i.item_id,
                topic=i.topic,
                grade=i.grade,
                label=i.difficulty_label,
                attempts=i.attempts,
                correct=i.correct,
                skills=[
                    ItemSkillMovement(s.skill_id, s.initial_difficulty, s.difficulty)
                    for s in sorted(skills.get(i.item_id, []), key=lambda s: s.skill_id)
                ],
            )
            for i in items
        ]

    def item_attempts(self, item_id: str, *, limit: int) -> list[ItemAttempt]:
        rows = self._session.execute(
            select(Event.occurred_at, Event.outcome, Event.predicted, _score_of())
            .where(Event.item_id == item_id, Event.applied_seq.is_not(None))
            .order_by(Event.applied_seq.desc())
            .limit(limit)
        ).all()
        return [ItemAttempt(*row) for row in reversed(rows)]

    # Operations.

    def event_counts(self) -> EventCounts:
        # Counting a long log costs a scan; the newest positions cost an index lookup. Event
        # numbers and apply positions count events (on PostgreSQL a rolled-back insert or
        # batch leaves a gap in them, so they can run slightly ahead). Pending and rejected
        # events are few and counted through the (status, seq) index.
        session = self._session
        pending, rejected = (
            session.scalar(select(func.count()).select_from(Event).where(Event.status == status))
            or 0
            for status in ("pending", "rejected")
        )
        return EventCounts(
            accepted=session.scalar(select(func.max(Event.seq))) or 0,
            applied=session.scalar(select(func.max(Event.applied_seq))) or 0,
            pending=pending,
            rejected=rejected,
            oldest_pending=session.scalar(
                select(Event.received_at)
                .where(Event.status == "pending")
                .order_by(Event.seq)
                .limit(1)
            ),
        )

    def received_times(self, *, limit: int) -> list[datetime]:
        return list(
            self._session.scalars(select(Event.received_at).order_by(Event.seq.desc()).limit(limit))
        )

    def apply_times(self, *, limit: int) -> list[tuple[datetime, datetime | None]]:
        return [
            (received, applied)
            for received, applied in self._session.execute(
                select(Event.received_at, Event.applied_at)
                .where(Event.applied_seq.is_not(None))
                .order_by(Event.applied_seq.desc())
                .limit(limit)
            )
        ]

    def calibration_sums(self, *, events: int, bins: int) -> dict[int, tuple[int, float, float]]:
        recent = (
            select(Event.predicted.label("p"), _success_of(_score_of()).label("o"))
            .where(Event.applied_seq.is_not(None), Event.predicted.is_not(None))
            .order_by(Event.applied_seq.desc())
            .limit(events)
            .subquery()
        )
        scaled = recent.c.p * bins
        # The floor: PostgreSQL's cast to integer rounds; SQLite's truncates (p >= 0).
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        bin_of = cast(func.floor(scaled), Integer) if postgresql else cast(scaled, Integer)
        sums: dict[int, tuple[int, float, float]] = {}
        for b, n, p_sum, o_sum in self._session.execute(
            select(bin_of, func.count(), func.sum(recent.c.p), func.sum(recent.c.o)).group_by(
                bin_of
            )
        ):
            b = min(max(int(b), 0), bins - 1)  # p = 1.0 joins the top bin
            old = sums.get(b, (0, 0.0, 0.0))
            sums[b] = (old[0] + int(n), old[1] + float(p_sum), old[2] + float(o_sum))
        return sums

    def latest_rejections(self, *, limit: int) -> list[Rejection]:
        return [
            Rejection(event_id, reason, received_at)
            for event_id, reason, received_at in self._session.execute(
                select(Event.event_id, Event.reason, Event.received_at)
                .where(Event.status == "rejected")
                .order_by(Event.seq.desc())
                .limit(limit)
            )
        ]

    # One student.

    def student_events(self, student_id: str, *, limit: int) -> list[StudentEvent]:
        rows = self._session.execute(
            select(Event.event_id, Event.item_id, Event.status, Event.reason, Event.occurred_at)
            .add_columns(Event.payload, Event.predicted, Event.performance, Event.outcome)
            .where(Event.student_id == student_id)
            .order_by(Event.seq.desc())
            .limit(limit)
        ).all()
        return [StudentEvent(*row) for row in reversed(rows)]

    def picks(self, student_id: str, *, limit: int) -> list[Pick]:
        return [
            Pick(p.id, p.student_id, p.item_id, p.scope, p.explanation, p.created_at)
            for p in self._session.scalars(
                select(SelectionLog)
                .where(SelectionLog.student_id == student_id)
                .order_by(SelectionLog.id.desc())
                .limit(limit)
            )
        ]
