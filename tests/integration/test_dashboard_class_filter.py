"""The class view filtered by a student-id prefix: its default topic is the one the group
practised, and an empty view says why and offers the group's topics."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

POPULAR = "Derivatives"
GROUP_TOPIC = "Ionic equilibrium and pH"


def _answer(client: TestClient, student: str, topic: str, n: int) -> None:
    items = client.get("/v1/items", params={"topic": topic, "limit": n}).json()["data"]
    attempts = [
        {"event_id": f"{student}-{len(topic)}-{k}", "student_id": student, "item_id": i["item_id"],
         "score": 1.0 if k % 2 else 0.0}
        for k, i in enumerate(items)
    ]  # fmt: skip
    assert client.post("/v1/attempts", json=attempts).status_code == 202


@pytest.fixture
def classes(client: TestClient, drain: Any) -> TestClient:
    # Many answers on the popular topic by others; the group practises another topic.
    for student in ("other-1", "other-2", "other-3"):
        _answer(client, student, POPULAR, 8)
    for student in ("grp-1", "grp-2"):
        _answer(client, student, GROUP_TOPIC, 3)
    drain()
    return client


def _text(response: Any) -> str:
    assert response.status_code == 200
    return " ".join(html.unescape(response.text).split())


def test_the_default_topic_is_the_one_the_group_practised(classes: TestClient) -> None:
    page = _text(classes.get("/dashboard/class", params={"prefix": "grp-"}))
    assert f"2 students have practised {GROUP_TOPIC}" in page.replace("<strong>", "").replace(
        "</strong>", ""
    )
    # Without a prefix the most practised topic overall stays the default.
    everyone = _text(classes.get("/dashboard/class"))
    assert f"have practised <strong>{POPULAR}</strong>" in everyone


def test_an_empty_group_view_says_why_and_offers_the_groups_topics(classes: TestClient) -> None:
    page = _text(classes.get("/dashboard/class", params={"prefix": "grp-", "topic": POPULAR}))
    assert (
        f"No student whose id starts with “grp-” has practised <strong>{POPULAR}</strong>" in page
    )
    assert "Topics this group has practised:" in page
    assert (
        f"topic={GROUP_TOPIC.replace(' ', '+')}&amp;prefix=grp-"
        in classes.get("/dashboard/class", params={"prefix": "grp-", "topic": POPULAR}).text
    )
    assert f"{GROUP_TOPIC}</a> (grade" in page and "2 students" in page


def test_a_prefix_nobody_has_says_to_check_it(classes: TestClient) -> None:
    page = _text(classes.get("/dashboard/class", params={"prefix": "nobody-"}))
    assert "No student whose id starts with “nobody-”" in page
    assert "check the prefix" in page
