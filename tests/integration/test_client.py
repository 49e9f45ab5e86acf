"""SmartPracticeClient against the real app in-process, with flaky transports in between."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import smartpractice.client as client_module
from smartpractice.client import (
    MAX_ATTEMPTS_PER_BATCH,
    EventConflict,
    InvalidRequest,
    NotFoundError,
    ServiceUnavailable,
    SmartPracticeClient,
    SmartPracticeError,
)
from smartpractice.services.events import pending_count
from smartpractice.services.schemas import AttemptIn
from smartpractice.storage.db import Database
from smartpractice.storage.sql_events import SqlEventStore

pytestmark = pytest.mark.integration

BASE_URL = "http://testserver"
Drain = Callable[[], int]
Handler = Callable[[httpx.Request], httpx.Response]


class AppTransport(httpx.BaseTransport):
    """Forwards httpx requests to the app through the TestClient.

    Starlette's TestClient is built on `httpx2`, not `httpx`, so its own transport cannot be
    handed to an `httpx.Client`; this bridge re-sends each request through it instead.
    """

    def __init__(self, app_client: TestClient) -> None:
        self._app_client = app_client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._app_client.request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.read(),
        )
        dropped = {"content-encoding", "content-length", "transfer-encoding"}
        headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in dropped]
        return httpx.Response(
            answer.status_code, headers=headers, content=answer.content, request=request
        )


class Flaky:
    """A MockTransport handler: fails the calls named in `script`, forwards the rest.

    Script steps: ``"503"`` answers 503 with ``Retry-After: 0``; ``"connect"`` raises
    ConnectError before the app sees the request; ``"lost"`` lets the app handle the
    request, then raises ReadTimeout as if the response were lost; ``"ok"`` forwards.
    """

    def __init__(self, forward: Handler, script: list[str]) -> None:
        self.forward = forward
        self.script = list(script)
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        step = self.script.pop(0) if self.script else "ok"
        if step == "503":
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"detail": "busy"})
        if step == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        response = self.forward(request)
        if step == "lost":
            raise httpx.ReadTimeout("response lost", request=request)
        return response

    def posted_event_ids(self) -> list[list[str]]:
        """The event ids of each POST /v1/attempts body, in call order."""
        return [
            [a["event_id"] for a in json.loads(r.content)["attempts"]]
            for r in self.calls
            if r.method == "POST" and r.url.path == "/v1/attempts"
        ]


@pytest.fixture
def app_transport(client: TestClient) -> AppTransport:
    return AppTransport(client)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(
    app_transport: AppTransport, sleeps: list[float]
) -> Iterator[Callable[..., SmartPracticeClient]]:
    """Builds clients whose waits are recorded in `sleeps` instead of slept."""
    made: list[SmartPracticeClient] = []

    def make(transport: httpx.BaseTransport | None = None, **options: Any) -> SmartPracticeClient:
        options.setdefault("sleep", sleeps.append)
        built = SmartPracticeClient(BASE_URL, transport=transport or app_transport, **options)
        made.append(built)
        return built

    yield make
    for built in made:
        built.close()


@pytest.fixture
def items(client: TestClient) -> list[dict[str, Any]]:
    """Five items of the sample bank, each with its skills."""
    data: list[dict[str, Any]] = client.get("/v1/items", params={"limit": 5}).json()["data"]
    assert len(data) == 5
    return data


def pending(db: Database) -> int:
    with db.transaction() as session:
        return pending_count(SqlEventStore(session))


def attempts_for(
    student_id: str, items: list[dict[str, Any]], *, prefix: str | None = None
) -> list[dict[str, Any]]:
    """One attempt per item; with `prefix` they carry event ids, else the client assigns."""
    made: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        attempt: dict[str, Any] = {
            "student_id": student_id,
            "item_id": item["item_id"],
            "score": n % 2,
        }
        if prefix is not None:
            attempt["event_id"] = f"{prefix}-{n}"
        made.append(attempt)
    return made


def expected_counts(items: list[dict[str, Any]]) -> dict[str, int]:
    """Skill -> how many of the items test it (one attempt per item)."""
    return dict(Counter(skill for item in items for skill in item["skills"]))


def attempted(sp: SmartPracticeClient, student_id: str) -> dict[str, int]:
    return {s["skill_id"]: s["questions_attempted"] for s in sp.skills(student_id)["skills"]}


def test_round_trip_over_the_real_app(
    make_client: Callable[..., SmartPracticeClient],
    items: list[dict[str, Any]],
    drain: Drain,
    db: Database,
) -> None:
    sp = make_client()
    typed = AttemptIn(event_id="typed-1", student_id="s1", item_id=items[0]["item_id"], score=1)
    untyped = attempts_for("s1", items[1:])
    untyped[0]["occurred_at"] = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # encoded by the client

    [result] = sp.post_attempts([typed, *untyped])

    assert (result.accepted, result.duplicates) == (5, 0)
    assert result.event_ids[0] == "typed-1"
    assert len(set(result.event_ids)) == 5
    assert pending(db) == 5
    drain()
    statuses = sp.wait_until_applied(result.event_ids, timeout=5)
    assert [s.event_id for s in statuses] == result.event_ids
    assert {s.status for s in statuses} == {"applied"}
    assert attempted(sp, "s1") == expected_counts(items)
    assert sp.profile("s1")["student_id"] == "s1"
    assert sp.item(items[0]["item_id"])["attempts"] == 1
    assert pending(db) == 0
    assert sp.health() == {"status": "ok", "database": "ok"}


def test_next_question_sends_scope_and_joins_skills(
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
) -> None:
    recorder = Flaky(app_transport.handle_request, [])
    sp = make_client(httpx.MockTransport(recorder))
    skills = sorted({s for item in items for s in item["skills"]})[:2]

    first = sp.next_question("s1", skills=skills, seed=7)
    again = sp.next_question("s1", skills=skills, seed=7)

    params = recorder.calls[0].url.params
    assert params["skills"] == ",".join(skills)
    assert params["seed"] == "7"
    assert "subject" not in params
    assert set(first["item"]["skills"]) & set(skills)
    assert again["item"]["item_id"] == first["item"]["item_id"]
    subject = items[0]["subject"]
    assert sp.next_question("s1", subject=subject)["item"]["subject"] == subject


def test_path_parameters_are_quoted(
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
    drain: Drain,
) -> None:
    recorder = Flaky(app_transport.handle_request, [])
    sp = make_client(httpx.MockTransport(recorder))
    student = "s:ü+1"
    [result] = sp.post_attempts(attempts_for(student, items[:1], prefix="ev:ü+"))
    drain()

    assert sp.skills(student)["student_id"] == student
    assert sp.attempt_status(result.event_ids[0]).status == "applied"
    # "%" is only checked on the wire: Starlette's TestClient unquotes paths twice
    # (Kludex/starlette#2587), so the app would see "s x" here, though not under uvicorn.
    with pytest.raises(NotFoundError):
        sp.profile("s%20x")
    sent = [r.url.raw_path for r in recorder.calls[1:]]
    assert sent == [
        b"/v1/students/s%3A%C3%BC%2B1/skills",
        b"/v1/attempts/ev%3A%C3%BC%2B-0",
        b"/v1/students/s%2520x/profile",
    ]


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(["503", "503"], id="503-retry-after-0"),
        pytest.param(["connect", "connect", "connect"], id="connect-error"),
        pytest.param(["lost", "503", "lost"], id="response-lost-after-apply"),
    ],
)
def test_retries_apply_each_attempt_exactly_once(
    script: list[str],
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
    drain: Drain,
    sleeps: list[float],
) -> None:
    flaky = Flaky(app_transport.handle_request, script)
    sp = make_client(httpx.MockTransport(flaky), backoff_seconds=0.01)

    [result] = sp.post_attempts(attempts_for("s1", items))  # no event ids: client assigns
    drain()

    sent = flaky.posted_event_ids()
    assert len(sent) == len(script) + 1
    assert all(ids == sent[0] for ids in sent), "retries must re-send the same event ids"
    assert result.event_ids == sent[0]
    assert len(sleeps) == len(script)
    if "lost" in script:  # the app stored the batch on a try whose answer never arrived
        assert (result.accepted, result.duplicates) == (0, 5)
    else:
        assert (result.accepted, result.duplicates) == (5, 0)
    assert attempted(sp, "s1") == expected_counts(items)
    statuses = sp.wait_until_applied(result.event_ids, timeout=5)
    assert {s.status for s in statuses} == {"applied"}


def test_backoff_doubles_and_honours_retry_after(
    make_client: Callable[..., SmartPracticeClient], sleeps: list[float]
) -> None:
    answers = iter(
        [
            httpx.Response(502),
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(504),
            httpx.Response(503, headers={"Retry-After": "not a number"}),
            httpx.Response(200, json={"status": "ok"}),
        ]
    )
    sp = make_client(httpx.MockTransport(lambda _: next(answers)), backoff_seconds=0.2)

    assert sp.health() == {"status": "ok"}
    assert sleeps == pytest.approx([0.2, 2.0, 0.8, 1.6])


def test_gives_up_after_max_retries(
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
) -> None:
    flaky = Flaky(app_transport.handle_request, ["503"] * 10)
    sp = make_client(httpx.MockTransport(flaky), max_retries=3)

    with pytest.raises(ServiceUnavailable) as raised:
        sp.post_attempts(attempts_for("s1", items, prefix="e"))

    assert raised.value.status_code == 503
    assert raised.value.detail == "busy"
    assert len(flaky.calls) == 4


def test_connection_errors_outlasting_retries_raise_service_unavailable(
    make_client: Callable[..., SmartPracticeClient],
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sp = make_client(httpx.MockTransport(refuse), max_retries=2)
    with pytest.raises(ServiceUnavailable, match="ConnectError") as raised:
        sp.health()
    assert raised.value.status_code is None
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_batches_of_at_most_1000(
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
    db: Database,
) -> None:
    flaky = Flaky(app_transport.handle_request, [])
    sp = make_client(httpx.MockTransport(flaky))
    attempts = [
        {"student_id": f"s{n % 50}", "item_id": items[n % 5]["item_id"], "score": 1.0}
        for n in range(2500)
    ]

    results = sp.post_attempts(attempts)

    assert [len(ids) for ids in flaky.posted_event_ids()] == [1000, 1000, 500]
    assert max(len(ids) for ids in flaky.posted_event_ids()) <= MAX_ATTEMPTS_PER_BATCH
    assert [r.accepted for r in results] == [1000, 1000, 500]
    all_ids = [e for r in results for e in r.event_ids]
    assert len(set(all_ids)) == 2500
    assert pending(db) == 2500


def test_unknown_item_is_invalid_and_not_retried(
    make_client: Callable[..., SmartPracticeClient],
    app_transport: AppTransport,
    items: list[dict[str, Any]],
    db: Database,
) -> None:
    flaky = Flaky(app_transport.handle_request, [])
    sp = make_client(httpx.MockTransport(flaky))
    attempts = attempts_for("s1", items, prefix="e")
    attempts[3]["item_id"] = "no-such-item"

    with pytest.raises(InvalidRequest, match="unknown item 'no-such-item'") as raised:
        sp.post_attempts(attempts)

    assert raised.value.status_code == 422
    assert raised.value.fields == ["body.attempts.3.item_id"]
    assert "failing batch: attempts[0:5]" in "".join(raised.value.__notes__)
    assert len(flaky.calls) == 1
    assert pending(db) == 0


def test_malformed_field_is_invalid(make_client: Callable[..., SmartPracticeClient]) -> None:
    sp = make_client()
    with pytest.raises(InvalidRequest) as raised:
        sp.post_attempts([{"student_id": "s1", "item_id": "x", "score": 2}])
    assert raised.value.fields == ["body.attempts.0.score"]


def test_reused_event_id_with_other_content_conflicts(
    make_client: Callable[..., SmartPracticeClient], items: list[dict[str, Any]]
) -> None:
    sp = make_client()
    [attempt] = attempts_for("s1", items[:1], prefix="same")
    assert sp.post_attempts([attempt])[0].accepted == 1
    assert sp.post_attempts([attempt])[0].duplicates == 1

    with pytest.raises(EventConflict) as raised:
        sp.post_attempts([{**attempt, "score": 0.5}])

    assert raised.value.status_code == 409
    assert raised.value.event_ids == ["same-0"]


def test_not_found(make_client: Callable[..., SmartPracticeClient]) -> None:
    sp = make_client()
    with pytest.raises(NotFoundError) as raised:
        sp.attempt_status("never-sent")
    assert raised.value.status_code == 404
    assert raised.value.detail == "unknown event_id"
    with pytest.raises(NotFoundError):
        sp.profile("nobody")
    with pytest.raises(NotFoundError):
        sp.item("no-such-item")


def test_other_errors_raise_the_base_error_without_retry(
    make_client: Callable[..., SmartPracticeClient],
) -> None:
    calls: list[httpx.Request] = []

    def forbid(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(403, text="forbidden")

    sp = make_client(httpx.MockTransport(forbid))
    with pytest.raises(SmartPracticeError, match="HTTP 403: forbidden") as raised:
        sp.health()
    assert type(raised.value) is SmartPracticeError
    assert len(calls) == 1


def test_wait_until_applied_times_out_while_pending(
    make_client: Callable[..., SmartPracticeClient], items: list[dict[str, Any]]
) -> None:
    sp = make_client()
    [result] = sp.post_attempts(attempts_for("s1", items[:1], prefix="e"))
    with pytest.raises(TimeoutError, match="1 event"):
        sp.wait_until_applied(result.event_ids, timeout=0.0)


@pytest.mark.parametrize("api_key", ["secret-key", None])
def test_bearer_token_only_when_a_key_is_given(api_key: str | None) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    with SmartPracticeClient(
        BASE_URL, api_key=api_key, transport=httpx.MockTransport(answer)
    ) as sp:
        sp.health()

    expected = f"Bearer {api_key}" if api_key else None
    assert seen[0].headers.get("authorization") == expected


def test_catalogue_upserts(
    make_client: Callable[..., SmartPracticeClient], items: list[dict[str, Any]]
) -> None:
    sp = make_client()
    assert sp.upsert_skills([{"skill_id": "test:new_skill", "name": "New skill"}]) == 1
    item = {
        "item_id": "new-item",
        "source": "test",
        "subject": "Testing",
        "chapter": "One",
        "topic": "Two",
        "skills": {"test:new_skill": 1500.0},
    }
    assert sp.upsert_items([item]) == 1
    assert sp.item("new-item")["skills"]["test:new_skill"]["difficulty"] == 1500.0
    with pytest.raises(InvalidRequest) as raised:
        sp.upsert_items([{**item, "skills": {"test:unknown": None}}])
    assert raised.value.fields == ["body.items.0.skills.test:unknown"]


def test_exported_members_exist() -> None:
    assert sorted(client_module.__all__) == sorted(set(client_module.__all__))
    for name in client_module.__all__:
        assert hasattr(client_module, name), name


def test_experiments_through_the_client(make_client: Callable[..., SmartPracticeClient]) -> None:
    sp = make_client()
    plan = {
        "experiment_id": "client-exp",
        "hypothesis": "a higher target helps",
        "arms": [
            {"name": "control", "share": 0.5},
            {"name": "easier", "share": 0.5, "overrides": {"selection": {"target_success": 0.8}}},
        ],
        "minimum_detectable_effect": 0.05,
        "planned_students": 100,
    }
    assert sp.create_experiment(plan)["status"] == "draft"
    assert sp.start_experiment("client-exp")["status"] == "running"
    assert sp.next_question("s1", subject="Mathematics")["experiment"] == "client-exp"
    assert sp.experiment("client-exp")["experiment"]["status"] == "running"
    assert sp.experiment_outcomes_csv("client-exp").startswith("student_id,arm")
    assert sp.stop_experiment("client-exp")["status"] == "stopped"
    with pytest.raises(InvalidRequest):
        sp.start_experiment("client-exp")
    with pytest.raises(NotFoundError):
        sp.experiment("nope")


def _sample_exam(exam_id: str) -> dict[str, Any]:
    text = (resources.files("smartpractice") / "data" / "sample_exams.json").read_text("utf-8")
    found: dict[str, Any] = next(e for e in json.loads(text)["exams"] if e["exam_id"] == exam_id)
    return found


def test_exams_through_the_client(
    make_client: Callable[..., SmartPracticeClient], app_transport: AppTransport, drain: Drain
) -> None:
    recorder = Flaky(app_transport.handle_request, [])
    sp = make_client(httpx.MockTransport(recorder))
    cbse = _sample_exam("sample-cbse-12-board-2027")
    # A date object, encoded by the client.
    cbse["exam_date"] = datetime.now(UTC).date() + timedelta(days=60)
    assert sp.upsert_exams([cbse]) == 1
    with pytest.raises(InvalidRequest) as raised:
        sp.upsert_exams([{**cbse, "exam_id": "past", "exam_date": date(2020, 1, 1)}])
    assert raised.value.fields == ["body.exams.0.exam_date"]
    assert [e["exam_id"] for e in sp.exams()] == [cbse["exam_id"]]
    assert sp.exam(cbse["exam_id"])["total_marks"] == 76
    with pytest.raises(NotFoundError):
        sp.exam("nope")

    readiness = sp.readiness("s-exam", cbse["exam_id"])
    assert readiness["low"] <= readiness["expected"] <= readiness["high"] <= 76
    with pytest.raises(NotFoundError):
        sp.readiness("s-exam", "nope")

    picked = sp.exam_next_question("s-exam", cbse["exam_id"], seed=3)
    assert dict(recorder.calls[-1].url.params) == {
        "mode": "exam",
        "exam": cbse["exam_id"],
        "seed": "3",
    }
    assert picked["explanation"]["mode"] == "exam"
    assert sp.exam_next_question("s-exam", cbse["exam_id"], seed=3)["item"] == picked["item"]

    paper = sp.create_mock_test("s-mock", cbse["exam_id"], seed=7, exclude_days=0)
    assert recorder.calls[-1].url.params["exclude_days"] == "0"
    again = sp.create_mock_test("s-mock", cbse["exam_id"], seed=7)
    assert again["questions"] == paper["questions"]
    answers = [
        {
            "student_id": "s-mock",
            "item_id": q["item_id"],
            "score": 1.0,
            "mode": "mock_test",
            "paper_id": paper["paper_id"],
        }
        for q in paper["questions"][:3]
    ]
    sp.post_attempts(answers)
    drain()
    report = sp.mock_test_report(paper["paper_id"])
    assert report["paper_id"] == paper["paper_id"]
    assert report["complete"] is False
    assert report["marks"] == pytest.approx(sum(q["right"] for q in paper["questions"][:3]))
    with pytest.raises(NotFoundError):
        sp.mock_test_report("nope")
