"""Place names (subject, chapter, topic) match whatever their case, in the item list and
in a next-question scope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("spelling", ["Derivatives", "derivatives", "DERIVATIVES"])
def test_topic_names_are_case_insensitive(client: TestClient, spelling: str) -> None:
    exact = client.get("/v1/items", params={"topic": "Derivatives", "limit": 1000}).json()
    found = client.get("/v1/items", params={"topic": spelling, "limit": 1000}).json()
    assert found["total"] == exact["total"] > 0
    pick = client.get("/v1/students/stu-case/next-question", params={"topic": spelling, "seed": 1})
    assert pick.status_code == 200, pick.text
    assert pick.json()["item"]["topic"] == "Derivatives"


def test_subject_and_chapter_match_whatever_their_case(client: TestClient) -> None:
    item = client.get("/v1/items", params={"topic": "Derivatives", "limit": 1}).json()["data"][0]
    found = client.get(
        "/v1/items",
        params={"subject": item["subject"].upper(), "chapter": item["chapter"].lower()},
    ).json()
    assert found["total"] > 0
