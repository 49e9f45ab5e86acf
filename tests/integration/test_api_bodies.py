"""Request bodies the API must explain: not JSON, a form, a bare list of attempts, and a
batch whose rows fail in different ways."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def _item(client: TestClient) -> str:
    item_id: str = client.get("/v1/items", params={"limit": 1}).json()["data"][0]["item_id"]
    return item_id


def _attempt(event_id: str, item_id: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "student_id": "stu-1", "item_id": item_id, "score": 1.0, **extra}


@pytest.mark.parametrize(
    ("content_type", "says"),
    [
        ("application/x-www-form-urlencoded", "a form body"),
        ("multipart/form-data; boundary=x", "a form body"),
        ("text/plain", "'text/plain'"),
        ("application/xml", "'application/xml'"),
    ],
)
def test_a_body_that_is_not_json_gets_a_415_that_says_so(
    client: TestClient, content_type: str, says: str
) -> None:
    for path in ("/v1/attempts", "/v1/skills", "/v1/items", "/v1/tutor-sessions"):
        response = client.post(path, content=b"event_id=e1", headers={"content-type": content_type})
        assert response.status_code == 415, path
        detail = response.json()["detail"]
        assert says in detail and "content-type: application/json" in detail


def test_a_form_post_from_a_client_library_is_refused_clearly(client: TestClient) -> None:
    response = client.post("/v1/attempts", data={"event_id": "e1", "score": "1"})
    assert response.status_code == 415
    assert response.json()["detail"].startswith("a form body")


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: TestClient) -> None:
    item = _item(client)
    for n, content_type in enumerate(["application/json; charset=utf-8", "application/vnd+json"]):
        response = client.post(
            "/v1/attempts",
            json=_attempt(f"ct-{n}", item),
            headers={"content-type": content_type},
        )
        assert response.status_code == 202, response.text


def test_attempts_accept_a_bare_list_like_skills_and_items(client: TestClient) -> None:
    item = _item(client)
    response = client.post("/v1/attempts", json=[_attempt("l-1", item), _attempt("l-2", item)])
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0, "event_ids": ["l-1", "l-2"]}
    bad = client.post("/v1/attempts", json=[_attempt("l-3", item, score=2)])
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "attempts", 0, "score"]


def test_a_batch_reports_every_bad_row_of_every_kind(client: TestClient) -> None:
    item = _item(client)
    rows = [
        _attempt("b-0", item),
        _attempt("b-1", item, score="high"),  # malformed
        _attempt("b-2", "no-such-item"),  # well formed, unknown item
        _attempt("b-3", item, skill_scores={"math:nope": 0.5}),  # a skill the item lacks
    ]
    response = client.post("/v1/attempts", json={"attempts": rows})
    assert response.status_code == 422
    located = {tuple(e["loc"][:3]) for e in response.json()["detail"]}
    assert located == {("body", "attempts", 1), ("body", "attempts", 2), ("body", "attempts", 3)}
    messages = " ".join(e["msg"] for e in response.json()["detail"])
    assert "unknown item 'no-such-item'" in messages
    assert "'math:nope' is not a skill of item" in messages
    assert client.get("/v1/attempts/b-0").status_code == 404  # nothing stored
