"""`smartpractice simulate` end to end, and proof that its smart_practice policy runs the
service's own next-question code: the same state and seed give the same pick, reasons and
scores through the database's view and through the simulator's in-memory view."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartpractice.cli import app
from smartpractice.services.ports import Scope
from smartpractice.services.practice import next_question, pick_next_item
from smartpractice.services.sample_bank import read_sample_bank
from smartpractice.services.schemas import StoredAttempt
from smartpractice.settings import Settings
from smartpractice.storage.db import Database
from smartpractice.storage.models import Event
from smartpractice.storage.sql_catalog import SqlCatalogView
from smartpractice.storage.sql_practice import SqlPickLog
from smartpractice_lab.simulation.catalog import CatalogItem, MemoryCatalogView, new_rating_store
from smartpractice_lab.simulation.config import POLICY_NAMES
from smartpractice_lab.simulation.family_config import FAMILY_NAMES
from smartpractice_lab.simulation.plots import PLOT_FILES

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["simulate", *args])
    return result.exit_code, result.stdout, result.stderr


SMALL = ("--students", "20", "--questions", "30", "--cohort-size", "10", "--jobs", "1")


def _check_policies(policies: dict[str, Any], budget: int) -> None:
    assert list(policies) == list(POLICY_NAMES)
    for entry in policies.values():
        assert set(entry) == {
            "questions_to_mastery",
            "mastered_share",
            "in_band_share",
            "frustration_rate",
            "boredom_rate",
        }
        interval = entry["questions_to_mastery"]
        assert set(interval) == {"mean", "ci95_low", "ci95_high"}
        assert interval["ci95_low"] <= interval["mean"] <= interval["ci95_high"] <= budget
        for key in ("mastered_share", "in_band_share", "frustration_rate", "boredom_rate"):
            assert 0.0 <= entry[key] <= 1.0


def test_json_has_the_issue_shape_for_every_policy() -> None:
    code, out, err = _run(*SMALL, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert list(document) == ["policies"]
    _check_policies(document["policies"], 30)


def test_all_learner_families_report_every_policy() -> None:
    code, out, err = _run(*SMALL, "--learners", "all", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert list(document) == ["policies", "families"]
    assert list(document["families"]) == list(FAMILY_NAMES)
    for family in document["families"].values():
        assert list(family) == ["policies"]
        _check_policies(family["policies"], 30)
    # The top level is the elo family, as without --learners.
    assert document["policies"] == document["families"]["elo"]["policies"]
    families = document["families"]
    assert families["bkt"] != families["compensatory"] != families["elo"]


def test_one_family_prints_one_table_and_the_planner_skips_what_it_cannot_model() -> None:
    few = ("--students", "4", "--questions", "10", "--cohort-size", "4", "--jobs", "1")
    code, out, err = _run(*few, "--learners", "bkt", "--policies", "random,planner,oracle")
    assert code == 0, err
    assert "note: planner does not model bkt learners; skipped" in err
    assert out.startswith("learners: bkt\n")
    assert "| oracle |" in out and "| planner |" not in out
    assert out.count("| policy |") == 1


def test_the_result_does_not_depend_on_the_number_of_processes() -> None:
    args = ("--students", "12", "--questions", "20", "--cohort-size", "4", "--json")
    one = _run(*args, "--jobs", "1", "--policies", "textbook,smart_practice")
    two = _run(*args, "--jobs", "2", "--policies", "textbook,smart_practice")
    assert one[0] == two[0] == 0
    assert json.loads(one[1]) == json.loads(two[1])
    other_seed = _run(*args, "--jobs", "1", "--policies", "textbook,smart_practice", "--seed", "3")
    assert json.loads(other_seed[1]) != json.loads(one[1])


def test_table_and_plots(tmp_path: Path) -> None:
    code, out, err = _run(*SMALL, "--policies", "random,smart_practice", "--plots", str(tmp_path))
    assert code == 0, err
    assert out.startswith("| policy | questions to mastery |")
    assert "| random |" in out and "| smart_practice |" in out and "| textbook |" not in out
    for name in PLOT_FILES:
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) < 200_000


def test_the_diagnostic_policies_run_beside_smart_practice() -> None:
    code, out, err = _run(*SMALL, "--policies", "smart_practice,oracle,mastery_informed")
    assert code == 0, err
    assert "| no progress % |" in out.splitlines()[0]
    assert "| oracle |" in out and "| mastery_informed |" in out


def test_a_topic_and_learner_options_narrow_the_run() -> None:
    code, out, err = _run(
        *SMALL,
        "--topic",
        "Solving linear equations",
        "--learners",
        "forgetful",
        "--learner-param",
        "guess=0.2",
        "--selection",
        "target_success=0.6",
        "--json",
    )
    assert code == 0, err
    assert set(json.loads(out)["policies"]) == set(POLICY_NAMES)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--policies", "random,clever"), "--policies"),
        (("--learners", "lazy"), "--learners"),
        (("--learners", "bkt", "--learner-param", "learn=2"), "--learner-param learn"),
        (("--learners", "compensatory", "--policies", "planner"), "--policies"),
        (("--learner-param", "guess=2"), "--learner-param guess"),
        (("--learner-param", "slip"), "--learner-param"),
        (("--selection", "target_success=-1"), "--selection target_success"),
        (("--bank", "/nonexistent/bank.json"), "--bank"),
        (("--subject", "Biology"), "--subject"),
        (("--chapter", "Integrals", "--topic", "Limits"), "--topic"),
        (("--students", "0"), "--students"),
        (("--jobs", "-1"), "--jobs"),
    ],
)
def test_bad_options_fail_with_an_error_naming_the_option(
    args: tuple[str, ...], option: str
) -> None:
    code, out, err = _run(*SMALL, *args)
    assert code == 1
    assert err.startswith(f"error: {option}")
    assert out == ""


def test_an_imported_bank_is_simulated(tmp_path: Path) -> None:
    skills, items = read_sample_bank()
    chosen = [i for i in items if i.topic == "Limits"]
    needed = {s for i in chosen for s in i.skills}
    closure = {s.skill_id: s for s in skills}
    stack = list(needed)
    while stack:
        for p in closure[stack.pop()].prerequisites:
            if p not in needed:
                needed.add(p)
                stack.append(p)
    bank = {
        "skills": [s.model_dump() for s in skills if s.skill_id in needed],
        "items": [i.model_dump() for i in chosen],
    }
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(bank))
    code, out, err = _run(*SMALL, "--bank", str(path), "--json")
    assert code == 0, err
    assert set(json.loads(out)["policies"]) == set(POLICY_NAMES)


def test_help_has_an_example() -> None:
    code, out, _ = _run("--help")
    assert code == 0
    assert "Example: smartpractice simulate" in out


# --- the same code path as next-question ----------------------------------------------------


def _history(client: TestClient) -> None:
    """Three students answer items of two topics and a prerequisite, some twice."""
    _, items = read_sample_bank()
    pool = [
        i.item_id
        for i in items
        if i.topic in ("Limits", "Solving quadratic equations", "Derivatives")
    ]
    rng = random.Random(5)
    attempts = []
    for n in range(90):
        attempts.append(
            {
                "event_id": f"sim-eq-{n}",
                "student_id": f"stu-{n % 3}",
                "item_id": rng.choice(pool),
                "score": rng.choice([0.0, 0.0, 0.5, 1.0, 1.0]),
                "occurred_at": (T0 + timedelta(minutes=7 * n)).isoformat(),
                "time_spent_seconds": rng.uniform(30, 500),
                "hints_used": rng.randrange(2),
            }
        )
    # A fourth student keeps failing standard limits: clearly weak there, so the service
    # adds items of its unmastered prerequisites (remediation).
    weak = [i.item_id for i in items if "math:calculus:limits:standard_limits" in i.skills]
    for n in range(20):
        attempts.append(
            {
                "event_id": f"sim-eq-weak-{n}",
                "student_id": "stu-weak",
                "item_id": weak[n % len(weak)],
                "score": 0.0,
                "occurred_at": (T0 + timedelta(minutes=5 * n)).isoformat(),
            }
        )
    response = client.post("/v1/attempts", json={"attempts": attempts})
    assert response.status_code == 202


def _memory_view(db: Database, settings: Settings) -> MemoryCatalogView:
    """The simulator's view of the same catalogue, fed the applied events in the order the
    worker applied them (as replay does)."""
    skills, items = read_sample_bank()
    elo = settings.model.elo
    store = new_rating_store(
        {
            i.item_id: {
                s: (d if d is not None else elo.label_difficulty(i.difficulty_label))
                for s, d in i.skills.items()
            }
            for i in items
        },
        {i.item_id: i.expected_time_seconds for i in items},
        initial_ability=elo.initial_student_rating,
    )
    view = MemoryCatalogView(
        [CatalogItem(i.item_id, i.subject, i.chapter, i.topic, tuple(i.skills)) for i in items],
        {s.skill_id: s.prerequisites for s in skills},
        store,
        skills=[s.skill_id for s in skills],
    )
    with db.transaction() as session:
        events = session.scalars(
            select(Event).where(Event.status == "applied").order_by(Event.applied_seq)
        ).all()
        for event in events:
            view.apply_answer(
                StoredAttempt.model_validate(event.payload),
                occurred_at=event.occurred_at,
                config=settings.model,
            )
    assert len(events) == 110
    return view


def _assert_same(sql: Any, memory: Any, where: str = "") -> None:
    if isinstance(sql, float) or isinstance(memory, float):
        assert math.isclose(sql, memory, rel_tol=1e-9, abs_tol=1e-9), (where, sql, memory)
    elif isinstance(sql, dict):
        assert set(sql) == set(memory), where
        for key in sql:
            _assert_same(sql[key], memory[key], f"{where}.{key}")
    elif isinstance(sql, list):
        assert len(sql) == len(memory), where
        for n, (a, b) in enumerate(zip(sql, memory, strict=True)):
            _assert_same(a, b, f"{where}[{n}]")
    else:
        assert sql == memory, (where, sql, memory)


CASES = [
    ("stu-0", Scope(topic="Limits"), 1),
    ("stu-1", Scope(topic="Limits"), 2),
    ("stu-2", Scope(chapter="Limits and Derivatives"), 3),
    ("stu-0", Scope(subject="Mathematics"), 4),
    ("stu-1", Scope(skills=("math:calculus:limits:standard_limits",)), 5),
    ("stu-2", Scope(topic="Solving quadratic equations", subject="Mathematics"), 6),
    ("new-student", Scope(topic="Derivatives"), 7),
    ("stu-weak", Scope(topic="Limits"), 8),
    ("stu-weak", Scope(skills=("math:calculus:limits:standard_limits",)), 9),
]


def test_smart_practice_runs_the_same_selection_code_as_next_question(
    client: TestClient, db: Database, settings: Settings, drain: Any
) -> None:
    _history(client)
    assert drain() == 110
    view = _memory_view(db, settings)
    now = T0 + timedelta(days=2)
    chosen: set[str] = set()
    remediation = 0
    for student, scope, seed in CASES:
        memory = pick_next_item(view, student, scope, config=settings.model, now=now, seed=seed)
        with db.transaction() as session:
            sql = pick_next_item(
                SqlCatalogView(session), student, scope, config=settings.model, now=now, seed=seed
            )
            served = next_question(
                SqlPickLog(session), student, scope, config=settings.model, now=now, seed=seed
            )
        _assert_same(sql.explanation, memory.explanation, f"{student} {scope}")
        _assert_same(served.explanation, memory.explanation, f"{student} {scope}")
        assert served.item.item_id == memory.selection.chosen.item_id
        chosen.add(memory.selection.chosen.item_id)
        remediation += sum(
            1
            for pick in (memory.explanation, memory.explanation["runner_up"])
            if pick is not None and pick["remediation_for"] is not None
        )
    # The cases exercise different picks, including remediation candidates.
    assert len(chosen) >= 5
    assert remediation >= 1
