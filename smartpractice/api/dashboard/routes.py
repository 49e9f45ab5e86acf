"""The `/dashboard` pages: thin adapters that call one read model and render a template."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from smartpractice.api.dashboard import experiments
from smartpractice.api.dashboard.charts import calibration_chart, line_chart
from smartpractice.api.dashboard.render import STATIC_DIR, render
from smartpractice.api.deps import SettingsDep
from smartpractice.api.security import (
    DASHBOARD_COOKIE,
    PUBLIC,
    KeyChecker,
    ReadDatabase,
    is_https,
    limit_address,
)
from smartpractice.services.access import Scope as KeyScope
from smartpractice.services.access import close_dashboard_session, open_dashboard_session
from smartpractice.services.analytics import (
    CohortFilter,
    CohortView,
    cohort_view,
    item_detail,
    item_overview,
    ops_figures,
    student_overview,
)
from smartpractice.services.catalog import get_item
from smartpractice.services.exams import class_readiness, exam_readiness, list_exams
from smartpractice.services.ports import NotFound, PractisedTopic
from smartpractice.services.practice import Scope, student_learning_path
from smartpractice.services.students import knowledge_profile
from smartpractice.services.tutoring import struggles_for_attempts, student_misconceptions
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.sql_access import SqlAccessStore
from smartpractice.storage.sql_analytics import SqlAnalyticsStore
from smartpractice.storage.sql_catalog import SqlCatalogStore
from smartpractice.storage.sql_exams import SqlExamStore
from smartpractice.storage.sql_practice import SqlPickLog
from smartpractice.storage.sql_students import SqlStudentStore
from smartpractice.storage.sql_tutoring import SqlTutoringStore

__all__ = ["install_dashboard", "router"]

router = APIRouter(prefix="/dashboard", include_in_schema=False)

Page = Annotated[int, Query(ge=0, le=1_000_000)]
Blank = Annotated[str | None, Query(max_length=200)]


def _grade(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _not_found(request: Request, what: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, title="Not found", nav="", what=what)


def _page_link(request: Request, **changes: Any) -> str:
    query = {k: v for k, v in request.query_params.items() if v}
    query.update({k: str(v) for k, v in changes.items()})
    return f"{request.url.path}?{urlencode(query)}"


@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: ReadDatabase) -> HTMLResponse:
    """Recent students, a student finder and the way to every view."""
    with db.transaction() as session:
        store = SqlAnalyticsStore(session)
        students = store.recent_students(limit=20)
        total = store.student_count()
    return render(
        request, "index.html", title="Overview", nav="home", students=students, total=total
    )


@router.get("/students", response_class=HTMLResponse, response_model=None)
def find_student(request: Request, db: ReadDatabase, q: Blank = None) -> Response:
    """A student by id, or the students whose ids start with `q`."""
    text = (q or "").strip()
    with db.transaction() as session:
        store = SqlAnalyticsStore(session)
        if text and store.student_exists(text):
            return RedirectResponse(f"/dashboard/students/{quote(text, safe='')}", 303)
        matches = store.students_starting(text, limit=50)
    return render(
        request, "search.html", title="Find a student", nav="home", q=text, matches=matches
    )


@router.get("/students/{student_id}", response_class=HTMLResponse)
def student_page(
    request: Request, student_id: str, db: ReadDatabase, settings: SettingsDep
) -> HTMLResponse:
    """Knowledge map, mastery curves, recent evidence and explained picks."""
    now = datetime.now(UTC)
    try:
        with db.transaction() as session:
            profile = asdict(
                knowledge_profile(
                    SqlStudentStore(session),
                    student_id,
                    config=settings.model,
                    now=now,
                    misconceptions=student_misconceptions(SqlTutoringStore(session), student_id),
                )
            )
            data = student_overview(
                SqlAnalyticsStore(session),
                student_id,
                profile=profile,
                struggles=lambda pairs: struggles_for_attempts(SqlTutoringStore(session), pairs),
            )
            paths = [
                asdict(
                    student_learning_path(
                        SqlPickLog(session),
                        student_id,
                        Scope(subject=subject, chapter=chapter, topic=topic),
                        config=settings.model,
                        now=now,
                    )
                )
                for subject, chapters in profile["knowledge_profile"].items()
                for chapter, topics in chapters.items()
                for topic in topics
            ]
            exams = SqlExamStore(session)
            view = SqlPickLog(session).view(
                student_id, recent_window=settings.model.selection.recent_window
            )
            readiness = [
                exam_readiness(view, exams, student_id, e.exam_id, config=settings.model, now=now)
                for e in list_exams(exams)
            ]
    except NotFound:
        return _not_found(request, f"No applied attempt yet for student {student_id!r}.")
    curves = line_chart(
        data.curves,
        x="n",
        y="rating",
        names=data.skill_names,
        x_title="Answer number",
        y_title="Rating (Elo points)",
    )
    return render(
        request,
        "student.html",
        title=f"Student {student_id}",
        nav="home",
        s=data,
        sid=student_id,
        paths=paths,
        readiness=readiness,
        curves_chart=curves,
    )


@router.get("/exams", response_class=HTMLResponse)
def exams_page(
    request: Request, db: ReadDatabase, settings: SettingsDep, exam: Blank = None
) -> HTMLResponse:
    """Readiness of the recently active students against an exam's date."""
    with db.transaction() as session:
        store = SqlExamStore(session)
        exams = list_exams(store)
        chosen = exam or (exams[0].exam_id if exams else None)
        view = None
        if chosen is not None:
            try:
                students = SqlAnalyticsStore(session).recent_students(limit=50)
                view = class_readiness(
                    SqlPickLog(session),
                    store,
                    [s.student_id for s in students],
                    chosen,
                    config=settings.model,
                    now=datetime.now(UTC),
                )
            except NotFound:
                return _not_found(request, f"No exam {chosen!r}.")
    return render(request, "exams.html", title="Exams", nav="exams", exams=exams, v=view)


def _topic_link(where: CohortFilter, topic: str) -> str:
    query = {"grade": where.grade, "subject": where.subject, "topic": topic, "prefix": where.prefix}
    return "/dashboard/class?" + urlencode({k: v for k, v in query.items() if v is not None})


@router.get("/class", response_class=HTMLResponse)
def cohort_page(
    request: Request,
    db: ReadDatabase,
    settings: SettingsDep,
    grade: Blank = None,
    subject: Blank = None,
    topic: Blank = None,
    prefix: Blank = None,
    offset: Page = 0,
) -> HTMLResponse:
    """Students x skills heat map of a topic, weakest skills, stuck students."""
    where = CohortFilter(
        grade=_grade(grade), subject=subject or None, topic=topic or None, prefix=prefix or None
    )
    view: CohortView | None = None
    with db.transaction() as session:
        store = SqlAnalyticsStore(session)
        options = store.filter_options()
        practised: list[PractisedTopic] = []
        if where.prefix:
            # The group's own topics: the default is the one most of its students practised,
            # and an empty view offers the others.
            practised = store.practised_topics(where)
            if where.topic is None and practised:
                top = practised[0]
                where = CohortFilter(where.grade, where.subject, top.topic, where.prefix)
        elif where.topic is None:
            # The most practised topic that matches the other filters.
            fitting = [
                o
                for o in options
                if (where.grade is None or o.grade == where.grade)
                and (where.subject is None or o.subject == where.subject)
                and o.attempts
            ]
            if fitting:
                best = max(fitting, key=lambda o: o.attempts)
                where = CohortFilter(where.grade, where.subject, best.topic, where.prefix)
        if where.topic is not None:
            view = cohort_view(
                store, where, config=settings.model, now=datetime.now(UTC), offset=offset
            )
    return render(
        request,
        "cohort.html",
        title="Class",
        nav="class",
        options=options,
        where=where,
        v=view,
        practised=practised,
        topic_link=lambda t: _topic_link(where, t),
        page_link=lambda o: _page_link(request, offset=o),
    )


@router.get("/items", response_class=HTMLResponse)
def items_page(
    request: Request,
    db: ReadDatabase,
    settings: SettingsDep,
    subject: Blank = None,
    grade: Blank = None,
    offset: Page = 0,
) -> HTMLResponse:
    """Flagged items, then the most attempted items with their difficulty movement."""
    with db.transaction() as session:
        store = SqlAnalyticsStore(session)
        options = store.filter_options()
        data = item_overview(
            store,
            config=settings.model,
            subject=subject or None,
            grade=_grade(grade),
            offset=offset,
        )
    return render(
        request,
        "items.html",
        title="Items",
        nav="items",
        options=options,
        subject=subject or "",
        grade=_grade(grade),
        d=data,
        page_link=lambda o: _page_link(request, offset=o),
    )


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str, db: ReadDatabase) -> HTMLResponse:
    """One item's per-skill difficulty history and recent calibration."""
    try:
        with db.transaction() as session:
            item = asdict(get_item(SqlCatalogStore(session), item_id))
            data = item_detail(
                SqlAnalyticsStore(session),
                item_id,
                item=item,
                initial={s: v["initial_difficulty"] for s, v in item["skills"].items()},
            )
    except NotFound:
        return _not_found(request, f"No item {item_id!r} in the catalogue.")
    chart = line_chart(
        data.history,
        x="n",
        y="difficulty",
        names={},
        x_title="Attempt number",
        y_title="Difficulty (Elo points)",
    )
    return render(
        request, "item.html", title=f"Item {item_id}", nav="items", d=data, difficulty_chart=chart
    )


def _ops(request: Request, db: ReadDatabase) -> dict[str, Any]:
    with db.transaction() as session:
        # A plain dict: the page and its JSON add the process's own figures to it.
        figures = asdict(ops_figures(SqlAnalyticsStore(session), now=datetime.now(UTC)))
    metrics = getattr(request.app.state, "metrics", None)
    figures["next_question"] = (
        metrics.next_question_latency() if metrics is not None else {"count": 0}
    )
    figures["apply_errors"] = metrics.apply_error_count if metrics is not None else None
    return figures


@router.get("/ops", response_class=HTMLResponse)
def ops_page(request: Request, db: ReadDatabase) -> HTMLResponse:
    """Throughput, queue, latency and calibration, as also exposed at /metrics."""
    figures = _ops(request, db)
    return render(
        request,
        "ops.html",
        title="Operations",
        nav="ops",
        o=figures,
        calibration_chart=calibration_chart(figures["calibration"]),
    )


@router.get("/ops.json")
def ops_json(request: Request, db: ReadDatabase) -> JSONResponse:
    """The operations figures as JSON, for the page's live update."""
    return JSONResponse(jsonable_encoder(_ops(request, db)))


@router.get("/login", response_class=HTMLResponse, openapi_extra=PUBLIC)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", title="Sign in", nav="", error=None)


@router.post("/login", response_class=HTMLResponse, response_model=None, openapi_extra=PUBLIC)
async def login(request: Request) -> Response:
    """Check the pasted key (read or admin scope) and open a server-side session for it;
    the browser's HttpOnly cookie holds only the session's random id."""
    state = request.app.state
    limit_address(request, "login", state.login_limit)
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
    token = (form.get("key") or [""])[0].strip()
    checker: KeyChecker = state.key_checker
    principal = checker.principal(token) if token else None
    if principal is None or not principal.scope.allows(KeyScope.read):
        return render(
            request,
            "login.html",
            status_code=401,
            title="Sign in",
            nav="",
            error="That key is not valid for the dashboard (it needs the read scope).",
        )
    settings: Settings = state.settings
    lifetime = timedelta(hours=settings.dashboard_session_hours)
    root: Database = state.db
    with root.transaction() as session:
        session_id = open_dashboard_session(
            SqlAccessStore(session), principal, now=datetime.now(UTC), lifetime=lifetime
        )
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        DASHBOARD_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/dashboard",
        max_age=int(lifetime.total_seconds()),
    )
    return response


@router.get("/logout", openapi_extra=PUBLIC)
def logout(request: Request) -> RedirectResponse:
    session_id = request.cookies.get(DASHBOARD_COOKIE)
    if session_id:
        root: Database = request.app.state.db
        with root.transaction() as session:
            close_dashboard_session(SqlAccessStore(session), session_id)
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(DASHBOARD_COOKIE, path="/dashboard")
    return response


def install_dashboard(app: FastAPI) -> None:
    """Serve the pages at /dashboard and their static files at /dashboard/static."""
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    app.include_router(router)
    app.include_router(experiments.router)
