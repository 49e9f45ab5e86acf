"""The database's catalogue: `SqlCatalogView`, what Smart Practice reads about the
catalogue, the ratings and the student's past, in as few statements as a pick allows; and
`SqlCatalogStore`, where skills and items are stored, listed and read."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Dialect, Select, Table, delete, exists, func, select, text
from sqlalchemy.orm import Session, aliased

from smartpractice.core.types import RatingState, StudentRatings
from smartpractice.services.ports import (
    InvalidInput,
    ItemContent,
    ItemFilter,
    ItemHistory,
    ItemRecord,
    ItemSkillRecord,
    NearestRequest,
    RecentAnswer,
    Scope,
    SkillRecord,
)
from smartpractice.storage.catalog_queries import (
    item_place_conditions,
    prerequisite_map,
    typical_difficulties,
)
from smartpractice.storage.models import (
    Event,
    Item,
    ItemSkill,
    Skill,
    SkillPrerequisite,
    UTCDateTime,
)
from smartpractice.storage.sql_students import load_student_ratings

__all__ = [
    "ITEM_COLUMNS",
    "REQUESTS_PER_STATEMENT",
    "SCOPE_OVERFETCH",
    "ScopeSkillsCache",
    "SqlCatalogStore",
    "SqlCatalogView",
    "item_records",
]


class ScopeSkillsCache:
    """Slow-moving catalogue facts kept `ttl_seconds`: the skills of each subject/chapter/
    topic scope (the catalogue changes rarely) and each skill's typical difficulty (a mean
    over many items that one attempt barely moves).

    Each is read for the whole catalogue at once, in one statement, on the first pick that
    needs it after the TTL: finding one big topic's skills costs about as much as a pick
    (a join over its thousands of items), so answering scope by scope would make the first
    pick of every scope slow, minute after minute; the whole catalogue in one scan makes
    one pick per TTL slow instead (a fraction of a second on a 100,000-item bank).
    """

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[tuple[str | None, ...], tuple[float, _Place]] = {}
        self._places: tuple[float, dict[tuple[str, str, str], _Place]] | None = None
        self._spellings: dict[tuple[str, str], set[str]] = {}
        self._typical: tuple[float, dict[str, float]] | None = None

    def typical_difficulties(self, session: Session, skill_ids: set[str]) -> dict[str, float]:
        now = time.monotonic()
        snapshot = self._typical
        if snapshot is None or snapshot[0] < now:
            snapshot = (now + self.ttl_seconds, typical_difficulties(session, None))
            self._typical = snapshot
        every = snapshot[1]
        return {s: every[s] for s in skill_ids if s in every}

    def _place_skills(self, session: Session) -> dict[tuple[str, str, str], _Place]:
        now = time.monotonic()
        snapshot = self._places
        if snapshot is None or snapshot[0] < now:
            snapshot = (now + self.ttl_seconds, _places(session))
            self._places = snapshot
            self._spellings = {}
            for place in snapshot[1]:
                for column, name in zip(_PLACE_COLUMNS, place, strict=True):
                    self._spellings.setdefault((column, name.lower()), set()).add(name)
        return snapshot[1]

    def spelled(self, session: Session, scope: Scope) -> Scope:
        """`scope` with its subject, chapter and topic as the catalogue spells them, when
        given in another case ("derivatives" -> "Derivatives"); a name that matches
        exactly, or no name, or several names, is left as it is."""
        self._place_skills(session)
        changes: dict[str, Any] = {}
        for column in _PLACE_COLUMNS:
            value = getattr(scope, column)
            if value:
                names = self._spellings.get((column, value.lower()), set())
                if value not in names and len(names) == 1:
                    changes[column] = next(iter(names))
        return replace(scope, **changes) if changes else scope

    def scope_skills(self, session: Session, scope: Scope) -> list[str]:
        """Every skill of the items in the (subject/chapter/topic) scope, sorted."""
        return sorted(self._place(session, scope).skills)

    def taught_skills(self, session: Session, scope: Scope) -> list[str]:
        """The skills some item of the (subject/chapter/topic) scope tests alone, sorted."""
        return sorted(self._place(session, scope).taught)

    def _place(self, session: Session, scope: Scope) -> _Place:
        key = (scope.subject, scope.chapter, scope.topic)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] >= now:
            return entry[1]
        skills: set[str] = set()
        taught: set[str] = set()
        for (subject, chapter, topic), place in self._place_skills(session).items():
            # What `item_place_conditions` keeps: an empty or missing part is no condition.
            if (
                _same_name(subject, scope.subject)
                and _same_name(chapter, scope.chapter)
                and _same_name(topic, scope.topic)
            ):
                skills |= place.skills
                taught |= place.taught
        found = _Place(frozenset(skills), frozenset(taught))
        self._entries[key] = (now + self.ttl_seconds, found)
        return found

    def clear(self) -> None:
        self._entries.clear()
        self._places = None
        self._typical = None


@dataclass(frozen=True, slots=True)
class _Place:
    """The skills of a place's items, and those some item there tests alone (taught)."""

    skills: frozenset[str]
    taught: frozenset[str]


def _same_name(stored: str, wanted: str | None) -> bool:
    """Whether a place name matches a scope's, as `item_place_conditions` matches it: no
    condition when not given, else the same name whatever its case."""
    return not wanted or stored == wanted or stored.lower() == wanted.lower()


def _places(session: Session) -> dict[tuple[str, str, str], _Place]:
    """The skills of each (subject, chapter, topic) that has items, and which of them some
    item there tests alone, in one scan of the catalogue."""
    sizes = (
        select(ItemSkill.item_id, func.count().label("skills"))
        .group_by(ItemSkill.item_id)
        .subquery()
    )
    found: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for subject, chapter, topic, skill_id, fewest in session.execute(
        select(Item.subject, Item.chapter, Item.topic, ItemSkill.skill_id, func.min(sizes.c.skills))
        .join(ItemSkill, ItemSkill.item_id == Item.item_id)
        .join(sizes, sizes.c.item_id == Item.item_id)
        .group_by(Item.subject, Item.chapter, Item.topic, ItemSkill.skill_id)
    ):
        skills, taught = found.setdefault((subject, chapter, topic), (set(), set()))
        skills.add(skill_id)
        if fewest == 1:
            taught.add(skill_id)
    return {
        place: _Place(frozenset(skills), frozenset(taught))
        for place, (skills, taught) in found.items()
    }


def _taught_skills(session: Session, scope: Scope) -> list[str]:
    """The skills some item of the (subject/chapter/topic) scope tests alone, sorted."""
    other = aliased(ItemSkill)
    alone = ~exists().where(
        other.item_id == ItemSkill.item_id, other.skill_id != ItemSkill.skill_id
    )
    return sorted(
        session.scalars(_in_scope(select(ItemSkill.skill_id).distinct(), scope).where(alone))
    )


SCOPE_OVERFETCH = 4
"""Nearest items of a skill read before the scope filter, per item wanted: a skill's items
mostly sit in one topic, so a few times the limit leaves enough after filtering. PostgreSQL
and the in-memory view apply it; SQLite filters while walking the index, which gives the
same items unless more than this many times the limit lie nearer outside the scope."""


def _in_scope(query: Any, scope: Scope, item_id: Any = ItemSkill.item_id) -> Any:
    """Join `Item` on `item_id` and keep the rows in the scope's subject/chapter/topic."""
    conditions = item_place_conditions(
        subject=scope.subject, chapter=scope.chapter, topic=scope.topic
    )
    if conditions:
        query = query.join(Item, Item.item_id == item_id).where(*conditions)
    return query


# --- the statements of a pick -----------------------------------------------------------
#
# A pick reads the student's state in one statement (`_STUDENT_STATE`) and its candidates
# in another (`_candidates_statement`): on a networked database the round trips cost more
# than the scans. Both are plain SQL with bound parameters, built once per shape: a pick
# then costs no statement construction or compilation, and PostgreSQL (psycopg prepares a
# statement run five times) no planning. Within a statement, rows of different kinds share
# the columns; the first column says which kind a row is.

# `_STUDENT_STATE`: (kind, key, other, value, attempts, correct, at).
_KIND_STUDENT, _KIND_OFFSET, _KIND_PREREQUISITE, _KIND_RECENT, _KIND_PREDICTED = 0, 1, 2, 3, 4
# `_candidates_statement`: (kind, request, item_id, skill_id, value, at).
_KIND_CANDIDATE, _KIND_ANSWER = 0, 1

_STUDENT_STATE = """
SELECT 0 AS kind, CAST(NULL AS VARCHAR(200)) AS key, CAST(NULL AS VARCHAR(200)) AS other,
       s.ability AS value, s.attempts AS attempts, s.correct AS correct, s.last_at AS at
FROM students s WHERE s.student_id = :student
UNION ALL
SELECT 1, k.skill_id, NULL, k."offset", k.attempts, k.correct, k.last_at
FROM student_skills k WHERE k.student_id = :student
UNION ALL
SELECT 2, p.skill_id, p.prerequisite_id, NULL, NULL, NULL, NULL FROM skill_prerequisites p
UNION ALL
SELECT 3, d.skill_id, r.item_id, d.difficulty, r.applied_seq, r.performance, NULL
FROM item_skills d JOIN (
    SELECT e.item_id, e.applied_seq, e.performance FROM events e
    WHERE e.student_id = :student AND e.status = 'applied'
    ORDER BY e.applied_seq DESC LIMIT :window
) r ON r.item_id = d.item_id
UNION ALL
SELECT 4, NULL, NULL, r.predicted, r.applied_seq, NULL, NULL
FROM (
    SELECT e.applied_seq, e.predicted FROM events e
    WHERE e.student_id = :student AND e.status = 'applied'
    ORDER BY e.applied_seq DESC LIMIT :window
) r
"""

_PLACE_COLUMNS = ("subject", "chapter", "topic")

_Shape = tuple[str, bool, tuple[tuple[bool, tuple[str, ...]], ...]]
"""(dialect, with the student's history, per request: (has a window, place columns))."""

_STATEMENTS: dict[_Shape, Any] = {}
_STATEMENTS_MAX = 512

REQUESTS_PER_STATEMENT = 200
"""Nearest-item requests per statement (SQLite allows 500 terms in one compound SELECT)."""


def _nearest_sql(index: int, has_window: bool, places: tuple[str, ...], sqlite: bool) -> str:
    """The SQL of one `NearestRequest`: up to `limit` items nearest the target, nearest
    first (ties by item id), tagged with the request's index.

    Two scans of the (skill, difficulty) index walk away from the target, one each way, so
    the cost follows the limits, not the size of the bank. SQLite checks the scope per row
    while walking; PostgreSQL reads `SCOPE_OVERFETCH` times the limit first (a pure index
    range scan), then filters, because its planner given both at once joins a whole topic.
    """
    p = f"_{index}"
    scope = " AND ".join(f"m.{column} = :{column}{p}" for column in places)
    branches = []
    for ascending in (True, False):
        if ascending:
            where = f"k.difficulty >= :target{p}" + (
                f" AND k.difficulty <= :high{p}" if has_window else ""
            )
            order = "k.difficulty"
        else:
            where = f"k.difficulty < :target{p}" + (
                f" AND k.difficulty >= :low{p}" if has_window else ""
            )
            order = "k.difficulty DESC"
        near = "SELECT k.item_id, k.difficulty FROM item_skills k"
        if sqlite and scope:
            near += f" JOIN items m ON m.item_id = k.item_id WHERE k.skill_id = :skill{p}"
            near += f" AND {where} AND {scope} ORDER BY {order} LIMIT :limit{p}"
        elif scope:
            near += f" WHERE k.skill_id = :skill{p} AND {where} ORDER BY {order}"
            near += f" LIMIT :overfetch{p}"
            near = (
                f"SELECT k.item_id, k.difficulty FROM ({near}) k"
                f" JOIN items m ON m.item_id = k.item_id WHERE {scope}"
                f" ORDER BY {order} LIMIT :limit{p}"
            )
        else:
            near += f" WHERE k.skill_id = :skill{p} AND {where} ORDER BY {order} LIMIT :limit{p}"
        branches.append(f"SELECT * FROM ({near}) b")
    # The two walks merged, nearest first: only the items the request returns leave the
    # database (ties by item id in code-point order, as Python sorts strings).
    collate = "" if sqlite else ' COLLATE "C"'
    return (
        f"SELECT {index} AS request, x.item_id, x.difficulty FROM"
        f" ({branches[0]} UNION ALL {branches[1]}) x"
        f" ORDER BY abs(x.difficulty - :target{p}), x.item_id{collate} LIMIT :limit{p}"
    )


def _candidates_statement(shape: _Shape) -> Any:
    """Nearest items of every request, every skill of those items, and the student's
    answers to them: one statement."""
    found = _STATEMENTS.get(shape)
    if found is not None:
        return found
    dialect, with_history, requests = shape
    sqlite = dialect == "sqlite"
    near = " UNION ALL ".join(
        f"SELECT * FROM ({_nearest_sql(i, w, places, sqlite)}) n{i}"
        for i, (w, places) in enumerate(requests)
    )
    timestamp = "TIMESTAMP" if sqlite else "TIMESTAMP WITH TIME ZONE"
    # Each item found comes with every skill it tests, one row per skill: the row of the
    # request's skill gives its distance to the target.
    sql = (
        f"WITH near AS ({near})"
        " SELECT 0 AS kind, near.request, d.item_id, d.skill_id, d.difficulty AS value,"
        f" CAST(NULL AS {timestamp}) AS at"
        " FROM near JOIN item_skills d ON d.item_id = near.item_id"
    )
    if with_history:
        score = (
            "JSON_EXTRACT(e.payload, '$.\"score\"')"
            if sqlite
            else "CAST(e.payload ->> 'score' AS FLOAT)"
        )
        sql += (
            f" UNION ALL SELECT 1, NULL, e.item_id, NULL, {score}, e.occurred_at FROM events e"
            " WHERE e.student_id = :student AND e.item_id IN (SELECT item_id FROM near)"
        )
    statement = text(sql)
    if len(_STATEMENTS) >= _STATEMENTS_MAX:
        _STATEMENTS.clear()
    _STATEMENTS[shape] = statement
    return statement


def _request_parameters(index: int, request: NearestRequest) -> dict[str, Any]:
    p = f"_{index}"
    values: dict[str, Any] = {
        f"skill{p}": request.skill_id,
        f"target{p}": request.target,
        f"limit{p}": request.limit,
        f"overfetch{p}": request.limit * SCOPE_OVERFETCH,
    }
    if request.window is not None:
        values[f"high{p}"] = request.target + request.window
        values[f"low{p}"] = request.target - request.window
    for column_name in _PLACE_COLUMNS:
        value = getattr(request.scope, column_name)
        if value:
            values[f"{column_name}{p}"] = value
    return values


_STUDENT_STATE_STATEMENT = text(_STUDENT_STATE)


_UTC_DATETIME = UTCDateTime()


def _timestamps(dialect: Dialect) -> Callable[[Any], datetime]:
    """Turns a timestamp column as the driver returns it into an aware UTC datetime, as
    `UTCDateTime` does (the statements leave it untyped: most of their rows have none)."""
    processor = _UTC_DATETIME.dialect_impl(dialect).result_processor(dialect, None)
    assert processor is not None
    return cast(Callable[[Any], datetime], processor)


@dataclass(slots=True)
class _StudentState:
    student_id: str
    window: int
    ratings: StudentRatings | None
    prerequisites: dict[str, list[str]]
    recent: dict[str, float]
    recent_answers: list[RecentAnswer]


class SqlCatalogView:
    """The `CatalogView` of the service: one SQLAlchemy session (and an optional cache).

    Given the student a pick is for (`student_id`, and `recent_window` as the pick will
    ask), the view reads the student's ratings, the prerequisites and the recent
    difficulties in one statement on first use, and the answers of that student to the
    candidates together with the candidates; every answer is the same as without.
    """

    def __init__(
        self,
        session: Session,
        cache: ScopeSkillsCache | None = None,
        *,
        student_id: str | None = None,
        recent_window: int | None = None,
    ) -> None:
        self.session = session
        self.cache = cache
        self.student_id = student_id
        self.recent_window = recent_window
        dialect = session.get_bind().dialect
        self._dialect = dialect.name
        self._timestamp = _timestamps(dialect)
        self._state: _StudentState | None = None
        # Read along with the nearest items: each found item's skills, and the student's
        # answers (item, when, score) to the found items.
        self._skills: dict[str, dict[str, float]] = {}
        self._answers: dict[str, list[tuple[datetime, float]]] = {}

    # --- the student's state, in one statement ----------------------------------------------

    def _student_state(self, student_id: str) -> _StudentState | None:
        if self._state is not None and self._state.student_id == student_id:
            return self._state
        if student_id != self.student_id or self.recent_window is None:
            return None
        ability: RatingState | None = None
        offsets: dict[str, RatingState] = {}
        prerequisites: dict[str, list[str]] = {}
        recent: dict[str, list[float]] = {}
        answered: dict[int, tuple[str, float, list[str]]] = {}
        predicted: dict[int, float] = {}
        rows = self.session.execute(
            _STUDENT_STATE_STATEMENT, {"student": student_id, "window": self.recent_window}
        ).all()
        timestamp = self._timestamp
        for kind, key, other, value, attempts, correct, at in rows:
            if kind == _KIND_PREREQUISITE:
                prerequisites.setdefault(key, []).append(other)
            elif kind == _KIND_RECENT:
                recent.setdefault(key, []).append(value)
                answered.setdefault(attempts, (other, float(correct or 0.0), []))[2].append(key)
            elif kind == _KIND_PREDICTED:
                predicted[attempts] = float(value if value is not None else 0.5)
            else:
                state = RatingState(
                    value=value,
                    attempts=attempts,
                    correct=correct,
                    last_at=None if at is None else timestamp(at),
                )
                if kind == _KIND_OFFSET:
                    offsets[key] = state
                else:
                    ability = state
        self._state = _StudentState(
            student_id=student_id,
            window=self.recent_window,
            ratings=None if ability is None else StudentRatings(ability=ability, offsets=offsets),
            prerequisites=prerequisites,
            recent={skill_id: sum(v) / len(v) for skill_id, v in recent.items()},
            recent_answers=[
                RecentAnswer(
                    answered[seq][0],
                    tuple(sorted(answered[seq][2])),
                    answered[seq][1],
                    predicted.get(seq, 0.5),
                )
                for seq in sorted(answered, reverse=True)
            ],
        )
        return self._state

    def student_ratings(self, student_id: str) -> StudentRatings | None:
        state = self._student_state(student_id)
        if state is not None:
            return state.ratings
        return load_student_ratings(self.session, student_id)

    def prerequisites(self) -> Mapping[str, Sequence[str]]:
        state = self._student_state(self.student_id) if self.student_id is not None else None
        if state is not None:
            return state.prerequisites
        return prerequisite_map(self.session)

    def recent_difficulties(self, student_id: str, *, window: int) -> dict[str, float]:
        state = self._student_state(student_id)
        if state is not None and state.window == window:
            return state.recent
        recent = (
            select(Event.item_id)
            .where(Event.student_id == student_id, Event.status == "applied")
            .order_by(Event.applied_seq.desc())
            .limit(window)
            .subquery()
        )
        totals: dict[str, list[float]] = {}
        for skill_id, difficulty in self.session.execute(
            select(ItemSkill.skill_id, ItemSkill.difficulty).join(
                recent, recent.c.item_id == ItemSkill.item_id
            )
        ):
            totals.setdefault(skill_id, []).append(difficulty)
        return {skill_id: sum(v) / len(v) for skill_id, v in totals.items()}

    def recent_answers(self, student_id: str, *, window: int) -> list[RecentAnswer]:
        state = self._student_state(student_id)
        if state is not None and state.window >= window:
            return state.recent_answers[:window]
        rows = self.session.execute(
            select(Event.item_id, Event.performance, Event.predicted)
            .where(Event.student_id == student_id, Event.status == "applied")
            .order_by(Event.applied_seq.desc())
            .limit(window)
        ).all()
        skills = self.item_skills([item_id for item_id, _, _ in rows])
        return [
            RecentAnswer(
                item_id,
                tuple(sorted(skills.get(item_id, {}))),
                float(performance or 0.0),
                0.5 if predicted is None else float(predicted),
            )
            for item_id, performance, predicted in rows
        ]

    # --- the catalogue ----------------------------------------------------------------------

    def scope_skills(self, scope: Scope) -> list[str]:
        session = self.session
        if scope.skills:
            known = set(
                session.scalars(select(Skill.skill_id).where(Skill.skill_id.in_(scope.skills)))
            )
            unknown = [s for s in scope.skills if s not in known]
            if unknown:
                raise InvalidInput([{"loc": ["skills"], "msg": f"unknown skills {unknown}"}])
            return list(scope.skills)
        if self.cache is not None:
            return self.cache.scope_skills(session, scope)
        return sorted(session.scalars(_in_scope(select(ItemSkill.skill_id).distinct(), scope)))

    def taught_skills(self, scope: Scope) -> list[str]:
        if scope.skills:
            return self.scope_skills(scope)
        if self.cache is not None:
            return self.cache.taught_skills(self.session, scope)
        return _taught_skills(self.session, scope)

    def nearest_items(self, requests: Sequence[NearestRequest]) -> list[list[str]]:
        """All requests in one statement (up to `REQUESTS_PER_STATEMENT`), which also reads
        every skill of the items found and the student's answers to them."""
        if self.cache is not None:
            # The SQL compares names exactly (index-friendly): give it the stored spelling.
            requests = [
                replace(r, scope=self.cache.spelled(self.session, r.scope)) for r in requests
            ]
        found: list[list[tuple[float, str]]] = [[] for _ in requests]
        with_history = self.student_id is not None
        for start in range(0, len(requests), REQUESTS_PER_STATEMENT):
            chunk = requests[start : start + REQUESTS_PER_STATEMENT]
            shape: _Shape = (
                self._dialect,
                with_history,
                tuple(
                    (r.window is not None, tuple(c for c in _PLACE_COLUMNS if getattr(r.scope, c)))
                    for r in chunk
                ),
            )
            parameters: dict[str, Any] = {"student": self.student_id} if with_history else {}
            for index, request in enumerate(chunk):
                parameters.update(_request_parameters(index, request))
            answers: dict[str, list[tuple[datetime, float]]] = {}
            wanted = [(r.skill_id, r.target) for r in chunk]
            near = found[start : start + len(chunk)]
            skills = self._skills
            timestamp = self._timestamp
            for kind, index, item_id, skill_id, value, at in self.session.execute(
                _candidates_statement(shape), parameters
            ).all():
                if kind == _KIND_CANDIDATE:
                    item = skills.get(item_id)
                    if item is None:
                        item = skills[item_id] = {}
                    item[skill_id] = value
                    skill, target = wanted[index]
                    if skill_id == skill:
                        near[index].append((abs(value - target), item_id))
                else:
                    answers.setdefault(item_id, []).append((timestamp(at), value))
            if with_history:
                # The answers to every item found were read: no row means never answered.
                for rows in near:
                    for _, item_id in rows:
                        self._answers[item_id] = answers.get(item_id, [])
        return [
            [item for _, item in sorted(rows)[: requests[i].limit]] for i, rows in enumerate(found)
        ]

    def item_skills(self, item_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        known = self._skills
        wanted = [i for i in item_ids if i not in known]
        if wanted:
            rows: dict[str, list[tuple[str, float]]] = {}
            for item_id, skill_id, difficulty in self.session.execute(
                select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.difficulty).where(
                    ItemSkill.item_id.in_(wanted)
                )
            ):
                rows.setdefault(item_id, []).append((skill_id, difficulty))
            for item_id, skills in rows.items():
                known[item_id] = dict(skills)
        # Skills in id order, whatever order the rows came in: explanations are stable.
        return {i: dict(sorted(known[i].items())) for i in item_ids if i in known}

    def typical_difficulties(self, skill_ids: set[str]) -> dict[str, float]:
        if self.cache is not None:
            return self.cache.typical_difficulties(self.session, skill_ids)
        return typical_difficulties(self.session, skill_ids)

    # --- the student's past ----------------------------------------------------------------

    def history(self, student_id: str, item_ids: Sequence[str], *, now: datetime) -> ItemHistory:
        answers = self._answers if student_id == self.student_id else {}
        ids = list(dict.fromkeys(item_ids))
        wanted = [i for i in ids if i not in answers]
        rows = [(i, at, score) for i in ids if i in answers for at, score in answers[i]]
        if wanted:
            rows += self.session.execute(
                select(Event.item_id, Event.occurred_at, Event.payload["score"].as_float()).where(
                    Event.student_id == student_id, Event.item_id.in_(wanted)
                )
            ).tuples()
        last_seen: dict[str, datetime] = {}
        outcomes: dict[str, tuple[int, int]] = {}
        for item_id, occurred_at, score in rows:
            last_seen[item_id] = max(occurred_at, last_seen.get(item_id, occurred_at))
            wins, losses = outcomes.get(item_id, (0, 0))
            outcomes[item_id] = (wins + 1, losses) if score >= 0.5 else (wins, losses + 1)
        hours = {i: max(0.0, (now - t).total_seconds() / 3600.0) for i, t in last_seen.items()}
        return hours, outcomes


# --- the catalogue's store: upserts, listings, one item ----------------------------------

ITEM_COLUMNS = (
    "item_id",
    "source",
    "subject",
    "chapter",
    "topic",
    "grade",
    "difficulty_label",
    "expected_time_seconds",
    "marks",
    "text",
    "exam",
    "attempts",
)
"""The item's columns as the API shows them; a row of `_items_query` has them, then the
item's correct count, then one skill's id, difficulty, initial difficulty, attempts and
correct count (None when the item has no skill)."""


def _items_query() -> Select[Any]:
    items = cast(Table, Item.__table__)
    skills = cast(Table, ItemSkill.__table__)
    return (
        select(
            *(items.c[name] for name in ITEM_COLUMNS),
            items.c.correct,
            skills.c.skill_id,
            skills.c.difficulty,
            skills.c.initial_difficulty,
            skills.c.attempts,
            skills.c.correct,
        )
        .select_from(items.outerjoin(skills, skills.c.item_id == items.c.item_id))
        .order_by(items.c.item_id, skills.c.skill_id)
    )


def item_records(rows: Sequence[Sequence[Any]]) -> list[ItemRecord]:
    """The items of `_items_query` rows (an item's rows together, skills in id order)."""
    grouped: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    found = []
    for item_rows in grouped.values():
        first = item_rows[0]
        fields = dict(zip(ITEM_COLUMNS, first[: len(ITEM_COLUMNS)], strict=True))
        attempts, correct = first[len(ITEM_COLUMNS) - 1], first[len(ITEM_COLUMNS)]
        found.append(
            ItemRecord(
                **fields,
                success_rate=(correct / attempts) if attempts else None,
                skills={
                    skill_id: ItemSkillRecord(
                        difficulty=difficulty,
                        initial_difficulty=initial,
                        attempts=skill_attempts,
                        success_rate=(skill_correct / skill_attempts) if skill_attempts else None,
                    )
                    for *_, skill_id, difficulty, initial, skill_attempts, skill_correct in (
                        item_rows
                    )
                    if skill_id is not None
                },
            )
        )
    return found


def _filtered(query: Select[Any], where: ItemFilter) -> Select[Any]:
    query = query.where(
        *item_place_conditions(subject=where.subject, chapter=where.chapter, topic=where.topic)
    )
    if where.skill:
        query = query.where(
            Item.item_id.in_(select(ItemSkill.item_id).where(ItemSkill.skill_id == where.skill))
        )
    return query


class SqlCatalogStore:
    """`CatalogStore` on a session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def skill_ids(self) -> set[str]:
        return set(self.session.scalars(select(Skill.skill_id)).all())

    def prerequisites(self) -> dict[str, list[str]]:
        return prerequisite_map(self.session)

    def save_skills(self, skills: Sequence[SkillRecord]) -> None:
        session = self.session
        for skill in skills:
            session.merge(
                Skill(skill_id=skill.skill_id, name=skill.name, description=skill.description)
            )
        session.flush()
        batch_ids = [s.skill_id for s in skills]
        if batch_ids:
            session.execute(
                delete(SkillPrerequisite).where(SkillPrerequisite.skill_id.in_(batch_ids))
            )
        session.add_all(
            SkillPrerequisite(skill_id=s.skill_id, prerequisite_id=p)
            for s in skills
            for p in s.prerequisites
        )
        # Visible to the statements that follow in this transaction (an item import).
        session.flush()

    def save_items(self, items: Sequence[ItemContent]) -> None:
        session = self.session
        ids = sorted(i.item_id for i in items)
        # The workers' locks, in the workers' order (items' rows by id, then their skills by
        # (item, skill)): an import waits for a batch applying these items, or the batch for
        # the import, instead of deadlocking with it or overwriting a difficulty it just moved.
        session.execute(
            select(Item.item_id)
            .where(Item.item_id.in_(ids))
            .order_by(Item.item_id)
            .with_for_update(key_share=True)
        ).all()
        existing = {
            (row.item_id, row.skill_id): row
            for row in session.scalars(
                select(ItemSkill)
                .where(ItemSkill.item_id.in_(ids))
                .order_by(ItemSkill.item_id, ItemSkill.skill_id)
                .with_for_update()
            )
        }
        for item in items:
            fields = {name: getattr(item, name) for name in ITEM_COLUMNS if name != "attempts"}
            row = session.get(Item, item.item_id)
            if row is None:
                session.add(Item(**fields, attempts=0, correct=0))
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
            session.flush()
            for skill_id, initial in item.initial_difficulties.items():
                current = existing.pop((item.item_id, skill_id), None)
                if current is None:
                    session.add(
                        ItemSkill(
                            item_id=item.item_id,
                            skill_id=skill_id,
                            initial_difficulty=initial,
                            difficulty=initial,
                            attempts=0,
                            correct=0,
                        )
                    )
                else:
                    if current.attempts == 0:
                        current.difficulty = initial
                    current.initial_difficulty = initial
        for dropped in existing.values():
            session.delete(dropped)

    def count_items(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(Item)).scalar_one())

    def skills_page(self, *, offset: int, limit: int) -> tuple[list[SkillRecord], int]:
        total = int(self.session.execute(select(func.count()).select_from(Skill)).scalar_one())
        skills = self.session.scalars(
            select(Skill).order_by(Skill.skill_id).offset(offset).limit(limit)
        ).all()
        edges = prerequisite_map(self.session)
        return (
            [
                SkillRecord(
                    skill_id=s.skill_id,
                    name=s.name,
                    description=s.description,
                    prerequisites=sorted(edges.get(s.skill_id, [])),
                )
                for s in skills
            ],
            total,
        )

    def items_page(
        self, where: ItemFilter, *, offset: int, limit: int
    ) -> tuple[list[ItemRecord], int]:
        total = int(
            self.session.execute(
                _filtered(select(func.count()).select_from(Item), where)
            ).scalar_one()
        )
        ids = list(
            self.session.scalars(
                _filtered(select(Item.item_id), where)
                .order_by(Item.item_id)
                .offset(offset)
                .limit(limit)
            )
        )
        if not ids:
            return [], total
        rows = self.session.execute(_items_query().where(Item.item_id.in_(ids))).all()
        return item_records(rows), total

    def item(self, item_id: str) -> ItemRecord | None:
        rows = self.session.execute(_items_query().where(Item.item_id == item_id)).all()
        return item_records(rows)[0] if rows else None
