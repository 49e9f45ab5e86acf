"""`smartpractice evaluate` end to end: the CLI on a slice of ASSISTments 2009, the generic
CSV, the service's own event log, bad input, and the real data set when it is present."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartpractice.cli import app
from smartpractice.settings import Settings
from smartpractice_lab.evaluation.readers import load_q_matrix

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "assistments09_small"
TRAIN = FIXTURE / "preprocessed_data_train.csv"
TEST = FIXTURE / "preprocessed_data_test.csv"
REAL = ROOT.parent / "shared" / "data" / "assistments09"
METRICS = {"auc", "log_loss", "rmse", "accuracy", "ece", "seconds"}
RUNNABLE = ["smartpractice", "elo", "customer_sketch", "irt_1pl"]  # bkt needs pyBKT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


def as_generic_csv(source: Path, target: Path) -> Path:
    """The same responses in the generic CSV format (skills from the Q-matrix)."""
    skills_of = load_q_matrix(FIXTURE / "q_mat.npz").skills_of
    with source.open(newline="") as handle, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student_id", "item_id", "skills", "correct_or_score"])
        for row in csv.DictReader(handle, delimiter="\t"):
            skills = ";".join(skills_of[int(row["item_id"])])
            writer.writerow([row["user_id"], row["item_id"], skills, row["correct"]])
    return target


def test_json_report_on_the_assistments09_slice() -> None:
    code, out, err = run("--train", str(TRAIN), "--test", str(TEST), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"models", "rows"}
    assert report["rows"] == 270
    assert list(report["models"]) == RUNNABLE
    for name, metrics in report["models"].items():
        assert set(metrics) == METRICS, name
        assert 0.5 < metrics["auc"] < 1.0, (name, metrics)
        assert 0.0 < metrics["log_loss"] < 1.0
        assert 0.0 <= metrics["ece"] <= 1.0
    assert "bkt skipped: pyBKT" in err
    assert "rows/s" not in err  # no progress bar with --json


def test_generic_csv_gives_the_same_numbers(tmp_path: Path) -> None:
    train = as_generic_csv(TRAIN, tmp_path / "train.csv")
    test = as_generic_csv(TEST, tmp_path / "test.csv")
    folder = json.loads(run("--train", str(TRAIN), "--test", str(TEST), "--json")[1])
    code, out, err = run("--train", str(train), "--test", str(test), "--json")
    assert code == 0, err
    generic = json.loads(out)
    for name in RUNNABLE:
        for metric in ("auc", "log_loss", "rmse", "accuracy", "ece"):
            assert generic["models"][name][metric] == folder["models"][name][metric]


def test_text_report_with_plot_and_per_skill_table(tmp_path: Path) -> None:
    plot = tmp_path / "plots" / "reliability.png"
    code, out, err = run(
        "--train", str(TRAIN), "--test", str(TEST), "--models", "smartpractice,elo",
        "--plot", str(plot), "--per-skill",
    )  # fmt: skip
    assert code == 0, err
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    lines = out.splitlines()
    assert lines[0] == f"270 test responses from {TEST}"
    assert lines[1].split() == ["model", "auc", "log_loss", "rmse", "accuracy", "ece", "seconds"]
    assert lines[2].startswith("smartpractice ")
    assert lines[3].startswith("elo ")
    assert "AUC per skill" in out
    assert f"reliability diagram: {plot}" in out


def test_per_skill_rows_are_added_to_the_json_on_request() -> None:
    code, out, _ = run(
        "--train", str(TRAIN), "--test", str(TEST), "--models", "elo", "--json", "--per-skill"
    )
    assert code == 0
    report = json.loads(out)
    assert report["per_skill"][0]["responses"] >= report["per_skill"][-1]["responses"]
    assert set(report["per_skill"][0]["models"]["elo"]) == {"auc", "log_loss"}


def test_one_file_split_by_users(tmp_path: Path) -> None:
    code, out, err = run("--data", str(TRAIN), "--split", "users:0.25", "--seed", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    again = json.loads(
        run("--data", str(TRAIN), "--split", "users:0.25", "--seed", "1", "--json")[1]
    )
    assert report["rows"] == again["rows"] > 0
    assert report["models"]["elo"]["auc"] == again["models"]["elo"]["auc"]


def test_validation_scores_held_out_train_users_and_never_the_test_users() -> None:
    # --validation splits the train users again (--split/--seed) and leaves the test users
    # out: the very run `--data TRAIN --split users:0.2 --seed 0` gives.
    code, out, err = run("--train", str(TRAIN), "--test", str(TEST), "--validation", "--json")
    assert code == 0, err
    validation = json.loads(out)
    code, out, err = run("--data", str(TRAIN), "--split", "users:0.2", "--seed", "0", "--json")
    assert code == 0, err
    train_only = json.loads(out)
    assert validation["rows"] == train_only["rows"] > 0
    for name, metrics in validation["models"].items():
        same = {key: value for key, value in metrics.items() if key != "seconds"}
        assert same == {k: v for k, v in train_only["models"][name].items() if k != "seconds"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --train/--test, --data, --from-db"),
        (["--train", str(TRAIN)], "--train and --test go together"),
        (["--data", str(TRAIN), "--split", "items:0.2"], "users:0.2"),
        (["--data", str(TRAIN), "--models", "elo,dkt"], "unknown ['dkt']"),
    ],
)
def test_bad_options_are_clear_errors(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert message in err


def test_bad_rows_name_the_file_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(TRAIN.read_text().replace("\t1\t", "\t2\t", 1))
    (tmp_path / "q_mat.npz").write_bytes((FIXTURE / "q_mat.npz").read_bytes())
    code, _, err = run("--train", str(bad), "--test", str(TEST))
    assert code == 1
    assert f"{bad} row " in err
    assert ", column correct: must be 0 or 1, not '2'" in err
    empty = tmp_path / "empty.csv"
    empty.write_text(TEST.read_text().splitlines()[0] + "\n")
    code, _, err = run("--train", str(TRAIN), "--test", str(empty))
    assert code == 1
    assert "the test set is empty" in err


def _attempts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = random.Random(5)
    attempts = []
    for student in range(8):
        strength = student / 8
        for n in range(12):
            item = items[rng.randrange(len(items))]
            attempts.append(
                {
                    "event_id": f"ev-{student}-{n}",
                    "student_id": f"stu-{student}",
                    "item_id": item["item_id"],
                    "score": 1.0 if rng.random() < 0.2 + 0.7 * strength else 0.0,
                    "hints_used": n % 2,
                }
            )
    return attempts


def test_evaluate_on_the_services_own_event_log(
    client: TestClient, drain: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = client.get("/v1/items", params={"limit": 40}).json()["data"]
    assert client.post("/v1/attempts", json={"attempts": _attempts(items)}).status_code == 202
    drain()
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", settings.database_url)
    code, out, err = run(
        "--from-db", "--split", "users:0.25", "--json", "--models", "smartpractice,elo"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == 2 * 12  # 2 of the 8 students are test users
    assert set(report["models"]) == {"smartpractice", "elo"}


def test_evaluate_from_db_reads_the_named_tenants_event_log(
    client: TestClient,
    drain: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    items = client.get("/v1/items", params={"limit": 40}).json()["data"]
    assert client.post("/v1/attempts", json={"attempts": _attempts(items)}).status_code == 202
    drain()
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", settings.database_url)
    code, _, err = run("--from-db", "--tenant", "nosuch", "--models", "elo")
    assert code == 1
    assert "(tenant nosuch)" in err
    code, _, err = run("--data", str(TRAIN), "--tenant", "school_b")
    assert code == 1 and "add --from-db" in err
    if not settings.database_url.startswith("sqlite"):
        return
    # On SQLite a tenant's data is a file beside the main one: this log becomes school_b's,
    # under a main database that does not exist, so only the tenant's log can be read.
    source = settings.database_url.removeprefix("sqlite:///")
    with (
        sqlite3.connect(source) as live,
        sqlite3.connect(tmp_path / "main.tenant-school_b.db") as copy,
    ):
        live.backup(copy)
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", f"sqlite:///{tmp_path / 'main.db'}")
    args = ("--from-db", "--split", "users:0.25", "--json", "--models", "elo")
    code, out, err = run(*args, "--tenant", "school_b")
    assert code == 0, err
    assert json.loads(out)["rows"] == 2 * 12
    code, _, err = run(*args)
    assert code == 1 and "no such database file" in err


def test_from_db_without_applied_events_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "none.db"
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", f"sqlite:///{missing}")
    code, _, err = run("--from-db")
    assert code == 1
    assert "no such database file" in err
    assert not missing.exists()  # not created as a side effect
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", f"sqlite:///{empty}")
    code, _, err = run("--from-db")
    assert code == 1
    assert "cannot read the event log" in err


@pytest.mark.skipif(
    not REAL.is_dir(), reason=f"the real data set is not at {REAL} (CI has it beside the repo)"
)
def test_real_assistments09_test_split() -> None:
    code, out, err = run(
        "--train", str(REAL / "preprocessed_data_train.csv"),
        "--test", str(REAL / "preprocessed_data_test.csv"),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == 58_266
    models = report["models"]
    # NOTES.md: plain Elo about 0.756, the customer's sketch about 0.717 on this split.
    assert models["elo"]["auc"] == pytest.approx(0.756, abs=0.003)
    assert models["customer_sketch"]["auc"] == pytest.approx(0.717, abs=0.003)
    # The production model beats every other model of the run on AUC and log-loss
    # (docs/reference/evaluation.md: 0.7682 / 0.5336 against plain Elo's 0.7561 / 0.5479).
    ours = models.pop("smartpractice")
    assert ours["auc"] >= 0.767
    for name, other in models.items():
        assert ours["auc"] > other["auc"], name
        assert ours["log_loss"] < other["log_loss"], name
