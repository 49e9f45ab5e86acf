"""Python client for the smartpractice HTTP API, for the customer's backend.

Every call retries transient failures (connection errors, timeouts, 429, 502, 503, 504)
with exponential backoff, honouring ``Retry-After``. Attempts are safe to re-send because
the service is idempotent on ``event_id``: the client gives every attempt an event id before
the first try, so a retried batch is recognised as a duplicate and never applied twice.

Example:
    >>> with SmartPracticeClient("http://localhost:8000", api_key="secret") as sp:
    ...     sp.post_attempts([{"student_id": "s1", "item_id": "q1", "score": 1.0}])
    ...     sp.next_question("s1", subject="Mathematics", seed=7)
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from smartpractice import __version__
from smartpractice.api.schemas import AttemptsAccepted, EventStatusOut
from smartpractice.services.schemas import AttemptIn, ExamIn, ItemIn, SkillIn

__all__ = [
    "MAX_ATTEMPTS_PER_BATCH",
    "MAX_ITEMS_PER_BATCH",
    "RETRY_STATUSES",
    "AttemptsAccepted",
    "EventConflict",
    "EventStatusOut",
    "InvalidRequest",
    "NotFoundError",
    "ServiceUnavailable",
    "SmartPracticeClient",
    "SmartPracticeError",
]

MAX_ATTEMPTS_PER_BATCH: Final = 1000
"""Largest batch ``POST /v1/attempts`` accepts; longer lists are split."""

MAX_ITEMS_PER_BATCH: Final = 10_000
"""Largest batch ``POST /v1/items`` accepts; longer lists are split."""

RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
"""HTTP statuses retried with backoff; every other error status is raised at once."""

_TRANSIENT_ERRORS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_MAX_BACKOFF_SECONDS: Final = 30.0
_MAX_RETRY_AFTER_SECONDS: Final = 60.0

JsonObject = dict[str, Any]
Record = Mapping[str, object]


class SmartPracticeError(Exception):
    """The service refused a request or could not be reached.

    Attributes:
        status_code: The HTTP status, or None when no response arrived.
        detail: The server's ``detail``: a message, or a list of ``{"loc", "msg"}`` errors.
    """

    def __init__(self, status_code: int | None, detail: object) -> None:
        prefix = f"HTTP {status_code}" if status_code is not None else "no response"
        super().__init__(f"{prefix}: {_describe(detail)}")
        self.status_code = status_code
        self.detail = detail


class InvalidRequest(SmartPracticeError):
    """422: a field is malformed, or names an unknown item or skill."""

    @property
    def fields(self) -> list[str]:
        """The dotted location of each rejected field, e.g. ``body.attempts.0.score``."""
        return [loc for loc, _ in _field_errors(self.detail)]


class EventConflict(SmartPracticeError):
    """409: an event id was already used for an attempt with different content."""

    @property
    def event_ids(self) -> list[str]:
        """The conflicting event ids."""
        if not isinstance(self.detail, list):
            return []
        return [str(e["input"]) for e in self.detail if isinstance(e, dict) and "input" in e]


class NotFoundError(SmartPracticeError):
    """404: no such student, item or event."""


class ServiceUnavailable(SmartPracticeError):
    """A transient failure (429, 502, 503, 504, timeout, connection error) outlasted retries."""


_ERRORS: Final[Mapping[int, type[SmartPracticeError]]] = {
    404: NotFoundError,
    409: EventConflict,
    422: InvalidRequest,
}


def _field_errors(detail: object) -> list[tuple[str, str]]:
    if not isinstance(detail, list):
        return []
    return [
        (".".join(map(str, e.get("loc", ()))), str(e.get("msg", "")))
        for e in detail
        if isinstance(e, dict)
    ]


def _describe(detail: object) -> str:
    errors = _field_errors(detail)
    if errors:
        return "; ".join(f"{loc}: {msg}" for loc, msg in errors)
    return str(detail)


def _error_for(response: httpx.Response) -> SmartPracticeError:
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body["detail"] if isinstance(body, dict) and "detail" in body else response.text
    if response.status_code in RETRY_STATUSES:
        return ServiceUnavailable(response.status_code, detail)
    return _ERRORS.get(response.status_code, SmartPracticeError)(response.status_code, detail)


def _retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_SECONDS)


def _path(*segments: str) -> str:
    """Join segments into a path, URL-quoting each (``/`` included)."""
    return "/" + "/".join(quote(s, safe="") for s in segments)


def _as_json(record: BaseModel | Record) -> JsonObject:
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json")
    encoded: JsonObject = to_jsonable_python(dict(record))
    return encoded


def _attempt_json(attempt: AttemptIn | Record) -> JsonObject:
    """The attempt as JSON, with a new uuid4 ``event_id`` if it has none."""
    payload = _as_json(attempt)
    if payload.get("event_id") is None:
        payload["event_id"] = str(uuid.uuid4())
    return payload


def _object(response: httpx.Response) -> JsonObject:
    body = response.json()
    if not isinstance(body, dict):
        raise SmartPracticeError(response.status_code, f"expected a JSON object, got {body!r}")
    return body


class SmartPracticeClient:
    """A synchronous client; use it as a context manager or call :meth:`close`.

    Args:
        base_url: Where the service listens, e.g. ``http://smartpractice:8000``.
        api_key: Sent as ``Authorization: Bearer <api_key>`` when given.
        timeout: Seconds allowed for connecting, sending and reading each request.
        max_retries: Retries after the first try of a request (0 disables retrying).
        backoff_seconds: Wait before the first retry; doubled for each further retry
            (capped at 30 s) unless the response carries ``Retry-After`` (capped at 60 s).
        transport: An httpx transport to use instead of the network (tests, proxies).
        sleep: Waits between retries and polls; replace it to test without waiting.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 5,
        backoff_seconds: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0 or backoff_seconds < 0:
            raise ValueError("max_retries and backoff_seconds must not be negative")
        headers = {"user-agent": f"smartpractice-client/{__version__}"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )
        self._max_retries = max_retries
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Attempts

    def post_attempts(self, attempts: Sequence[AttemptIn | Record]) -> list[AttemptsAccepted]:
        """Send graded attempts in batches of at most 1,000, one result per batch.

        A mapping without ``event_id`` gets a uuid4 before the first try, and retries
        re-send the same ids. Batches are sent in order; when one fails, the ones before it
        stay accepted (a note on the error says which batch failed), so give attempts your
        own event ids if you may re-send the whole list.

        Raises:
            InvalidRequest: a batch was rejected (unknown item, malformed field); the
                ``loc`` indices count from the start of the failing batch.
            EventConflict: an event id was already used with different content.
            ServiceUnavailable: transient failures outlasted the retries.
        """
        payloads = [_attempt_json(a) for a in attempts]
        results: list[AttemptsAccepted] = []
        for start in range(0, len(payloads), MAX_ATTEMPTS_PER_BATCH):
            batch = payloads[start : start + MAX_ATTEMPTS_PER_BATCH]
            try:
                response = self._request("POST", "/v1/attempts", json={"attempts": batch})
            except SmartPracticeError as error:
                error.add_note(
                    f"failing batch: attempts[{start}:{start + len(batch)}]; "
                    f"{len(results)} earlier batch(es) were accepted"
                )
                raise
            results.append(AttemptsAccepted.model_validate_json(response.content))
        return results

    def attempt_status(self, event_id: str) -> EventStatusOut:
        """Whether an attempt is pending, applied or rejected (with the reason).

        Raises:
            NotFoundError: the service never accepted this event id.
        """
        response = self._request("GET", _path("v1", "attempts", event_id))
        return EventStatusOut.model_validate_json(response.content)

    def wait_until_applied(
        self, event_ids: Sequence[str], timeout: float = 10.0, poll: float = 0.05
    ) -> list[EventStatusOut]:
        """Poll until every event is applied or rejected; statuses in the order given.

        Raises:
            TimeoutError: some events were still pending after `timeout` seconds.
            NotFoundError: an event id is unknown.
        """
        deadline = time.monotonic() + timeout
        done: dict[str, EventStatusOut] = {}
        waiting = list(dict.fromkeys(event_ids))
        while True:
            for event_id in waiting:
                status = self.attempt_status(event_id)
                if status.status != "pending":
                    done[event_id] = status
            waiting = [e for e in waiting if e not in done]
            if not waiting:
                return [done[e] for e in event_ids]
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(waiting)} event(s) still pending after {timeout} s, e.g. {waiting[0]!r}"
                )
            self._sleep(poll)

    # Students

    def next_question(
        self,
        student_id: str,
        *,
        subject: str | None = None,
        chapter: str | None = None,
        topic: str | None = None,
        skills: Sequence[str] = (),
        seed: int | None = None,
    ) -> JsonObject:
        """The next Smart Practice item for a student within the scope, with why."""
        skill_list = [skills] if isinstance(skills, str) else list(skills)
        params = {
            "subject": subject,
            "chapter": chapter,
            "topic": topic,
            "skills": ",".join(skill_list) or None,
            "seed": seed,
        }
        query = {k: v for k, v in params.items() if v is not None}
        path = _path("v1", "students", student_id, "next-question")
        return _object(self._request("GET", path, params=query))

    def profile(self, student_id: str) -> JsonObject:
        """The knowledge profile (subject > chapter > topic).

        Raises:
            NotFoundError: the student has no applied attempt yet.
        """
        return _object(self._request("GET", _path("v1", "students", student_id, "profile")))

    def skills(self, student_id: str) -> JsonObject:
        """Ability and each practised skill's rating, uncertainty, proficiency and counts.

        Raises:
            NotFoundError: the student has no applied attempt yet.
        """
        return _object(self._request("GET", _path("v1", "students", student_id, "skills")))

    # Catalogue

    def upsert_skills(self, skills: Sequence[SkillIn | Record]) -> int:
        """Create or replace skills in one all-or-nothing request; returns the count.

        Raises:
            InvalidRequest: an unknown prerequisite, a repeated id or a prerequisite cycle.
        """
        body = {"skills": [_as_json(s) for s in skills]}
        return int(_object(self._request("POST", "/v1/skills", json=body))["upserted"])

    def upsert_items(self, items: Sequence[ItemIn | Record]) -> int:
        """Create or update items in batches of at most 10,000; returns the count.

        Raises:
            InvalidRequest: an item names an unknown skill or repeats an item id.
        """
        payloads = [_as_json(i) for i in items]
        upserted = 0
        for start in range(0, len(payloads), MAX_ITEMS_PER_BATCH):
            body = {"items": payloads[start : start + MAX_ITEMS_PER_BATCH]}
            upserted += int(_object(self._request("POST", "/v1/items", json=body))["upserted"])
        return upserted

    def item(self, item_id: str) -> JsonObject:
        """One item with per-skill difficulty, attempt count and success rate.

        Raises:
            NotFoundError: no such item.
        """
        return _object(self._request("GET", _path("v1", "items", item_id)))

    # Exams

    def upsert_exams(self, exams: Sequence[ExamIn | Record]) -> int:
        """Create or replace exam blueprints in one all-or-nothing request (admin key);
        returns the count. The fields are those of `POST /v1/exams` (docs/reference/exams.md).

        Raises:
            InvalidRequest: weights that do not add up to the paper, a chapter or topic the
                bank does not have, an exam date in the past.
        """
        body = {"exams": [_as_json(e) for e in exams]}
        return int(_object(self._request("POST", "/v1/exams", json=body))["upserted"])

    def exams(self) -> list[JsonObject]:
        """Every exam blueprint of this key's tenant, by exam date then id."""
        exams: list[JsonObject] = _object(self._request("GET", "/v1/exams"))["data"]
        return exams

    def exam(self, exam_id: str) -> JsonObject:
        """One exam blueprint.

        Raises:
            NotFoundError: no such exam.
        """
        return _object(self._request("GET", _path("v1", "exams", exam_id)))

    def readiness(self, student_id: str, exam_id: str) -> JsonObject:
        """The student's expected marks on the exam's paper, its 80% interval and the
        marks at stake per chapter.

        Raises:
            NotFoundError: no such exam.
        """
        path = _path("v1", "students", student_id, "readiness")
        return _object(self._request("GET", path, params={"exam": exam_id}))

    def exam_next_question(
        self, student_id: str, exam_id: str, *, seed: int | None = None
    ) -> JsonObject:
        """The next question in exam mode: from the skill worth the most expected marks per
        hour before the exam's date, with why (no scope, outside any experiment).

        Raises:
            NotFoundError: no such exam.
        """
        params: dict[str, str | int] = {"mode": "exam", "exam": exam_id}
        if seed is not None:
            params["seed"] = seed
        path = _path("v1", "students", student_id, "next-question")
        return _object(self._request("GET", path, params=params))

    def create_mock_test(
        self,
        student_id: str,
        exam_id: str,
        *,
        seed: int | None = None,
        exclude_days: float | None = None,
    ) -> JsonObject:
        """Assemble a mock test to the exam's blueprint; the same seed gives the same
        paper. Questions the student answered in the last `exclude_days` days (the
        service's default: 30) are left out. Answer it with :meth:`post_attempts`, each
        attempt carrying ``mode="mock_test"`` and the paper's ``paper_id``.

        Raises:
            NotFoundError: no such exam.
            InvalidRequest: the bank cannot fill the blueprint (the message says what is
                missing; nothing is stored).
        """
        params: dict[str, str | int | float] = {"exam": exam_id}
        if seed is not None:
            params["seed"] = seed
        if exclude_days is not None:
            params["exclude_days"] = exclude_days
        path = _path("v1", "students", student_id, "mock-tests")
        return _object(self._request("POST", path, params=params))

    def mock_test_report(self, paper_id: str) -> JsonObject:
        """A mock test's score so far (unanswered questions count as left out), per
        chapter or topic, against the forecast at creation; ``complete`` once every
        question is answered.

        Raises:
            NotFoundError: no such paper.
        """
        return _object(self._request("GET", _path("v1", "mock-tests", paper_id)))

    # Experiments

    def create_experiment(self, plan: JsonObject) -> JsonObject:
        """Create an experiment as a draft (admin key); the plan's fields are those of
        `POST /v1/experiments` (docs/reference/experiments.md).

        Raises:
            InvalidRequest: an unknown setting, shares not summing to 1, a used id...
        """
        return _object(self._request("POST", "/v1/experiments", json=plan))

    def start_experiment(self, experiment_id: str) -> JsonObject:
        """Start serving a draft experiment's arms (admin key).

        Raises:
            InvalidRequest: not a draft, or a running experiment overlaps its scope.
        """
        return _object(self._request("POST", _path("v1", "experiments", experiment_id, "start")))

    def stop_experiment(self, experiment_id: str) -> JsonObject:
        """Stop a running experiment (admin key); its results stay readable."""
        return _object(self._request("POST", _path("v1", "experiments", experiment_id, "stop")))

    def experiment(self, experiment_id: str) -> JsonObject:
        """An experiment's plan, state and live results (checks its guardrails).

        Raises:
            NotFoundError: no such experiment in this key's tenant.
        """
        return _object(self._request("GET", _path("v1", "experiments", experiment_id)))

    def experiment_outcomes_csv(self, experiment_id: str) -> str:
        """Every exposed student's outcome as CSV text."""
        path = _path("v1", "experiments", experiment_id, "outcomes.csv")
        return self._request("GET", path).text

    def health(self) -> JsonObject:
        """Liveness: the service answers and its database is reachable (needs no key)."""
        return _object(self._request("GET", "/healthz"))

    # Transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: JsonObject | None = None,
        params: Mapping[str, str | int | float] | None = None,
    ) -> httpx.Response:
        """Send one request, retrying transient failures; a non-2xx answer is raised."""
        retry = 0
        while True:
            final = retry >= self._max_retries
            try:
                response = self._http.request(method, path, json=json, params=params)
            except _TRANSIENT_ERRORS as error:
                if final:
                    detail = f"{type(error).__name__}: {error}"
                    raise ServiceUnavailable(None, detail) from error
                self._sleep(self._backoff(retry))
            else:
                if response.is_success:
                    return response
                if final or response.status_code not in RETRY_STATUSES:
                    raise _error_for(response)
                header = response.headers.get("retry-after")
                wait = _retry_after(header, now=datetime.now(UTC))
                self._sleep(self._backoff(retry) if wait is None else wait)
            retry += 1

    def _backoff(self, retry: int) -> float:
        return float(min(self._backoff_seconds * 2**retry, _MAX_BACKOFF_SECONDS))
