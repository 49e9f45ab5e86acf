"""The `smartpractice` command: import with per-row errors, replay, help everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartpractice.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", f"sqlite:///{db}")
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help_with_an_example() -> None:
    for command in ("serve", "import", "replay", "worker"):
        code, out, _ = _run(command, "--help")
        assert code == 0
        assert "Example: smartpractice" in out


def test_import_csv_with_bad_rows_reports_each_and_imports_nothing(env: Path) -> None:
    (env / "skills.csv").write_text(
        "skill_id,name,description,prerequisites\nm:a,Adding,,\nm:b,Bridging,,m:a\nM B,Bad id,,\n"
    )
    code, _, err = _run("import", "--kind", "skills", str(env / "skills.csv"))
    assert code == 1
    assert "skills.csv row 4: skill_id:" in err
    assert "nothing imported" in err
    (env / "skills.csv").write_text(
        "skill_id,name,description,prerequisites\nm:a,Adding,,\nm:b,Bridging,,m:a\n"
    )
    code, out, _ = _run("import", "--kind", "skills", str(env / "skills.csv"))
    assert code == 0, out
    (env / "items.csv").write_text(
        "item_id,source,subject,chapter,topic,grade,difficulty_label,expected_time_seconds,marks,text,skills\n"
        "i1,ncert_exercise,Maths,Ch1,T1,6,Easy,60,1,What is 2+2?,m:a\n"
        "i2,pyq,Maths,Ch1,T1,6,Hard,60,1,,m:a;m:b=1300\n"
        "i3,pyq,Maths,Ch1,T1,6,Hard,-1,1,,m:zzz\n"
    )
    code, _, err = _run("import", "--kind", "items", str(env / "items.csv"))
    assert code == 1
    assert "items.csv row 4: expected_time_seconds" in err
    (env / "items.csv").write_text(
        "item_id,source,subject,chapter,topic,grade,difficulty_label,expected_time_seconds,marks,text,skills\n"
        "i1,ncert_exercise,Maths,Ch1,T1,6,Easy,60,1,What is 2+2?,m:a\n"
        "i3,pyq,Maths,Ch1,T1,6,Hard,60,1,,m:zzz\n"
    )
    code, _, err = _run("import", "--kind", "items", str(env / "items.csv"))
    assert code == 1
    assert "unknown skill" in err
    code, out, _ = _run("replay", "--check")
    assert code == 0
    assert "replayed 0 events" in out


def test_import_json_bank_then_replay(env: Path) -> None:
    bank = {
        "skills": [{"skill_id": "m:a", "name": "A"}],
        "items": [
            {
                "item_id": "q1",
                "source": "pyq",
                "subject": "Maths",
                "chapter": "C",
                "topic": "T",
                "difficulty_label": "Medium",
                "skills": {"m:a": None},
            }
        ],
    }
    (env / "bank.json").write_text(json.dumps(bank))
    code, out, _ = _run("import", str(env / "bank.json"))
    assert (code, out.strip()) == (0, "imported 1 skills and 1 items")
    code, out, _ = _run("replay")
    assert code == 0
    assert "replayed 0 events" in out
    code, _, _ = _run("import", str(env / "missing.json"))
    assert code != 0


def test_keys_and_tenants_from_the_shell(env: Path) -> None:
    code, _, err = _run("keys", "create", "--scope", "superuser", "--name", "x")
    assert (code, "--scope: must be one of ingest, read, admin") == (1, err.split("\n")[0][7:50])
    code, _, err = _run("keys", "create", "--scope", "read", "--name", "x", "--tenant", "nope")
    assert code == 1 and "--tenant: no such tenant" in err
    code, _, err = _run("tenants", "create", "Bad-Id")
    assert code == 1 and "tenant: tenant id must be" in err
    code, out, _ = _run("tenants", "create", "school_b", "--name", "School B")
    assert code == 0 and "tenant school_b created" in out
    assert (env / "cli.tenant-school_b.db").exists()
    code, out, _ = _run(
        "keys", "create", "--scope", "read", "--name", "app", "--tenant", "school_b"
    )
    assert code == 0, out
    token = out.splitlines()[1]
    assert token.startswith("sp_")
    code, out, _ = _run("keys", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["tenant"], listed["scope"], listed["revoked_at"]) == ("school_b", "read", None)
    assert token not in out
    assert _run("keys", "revoke", listed["key_id"])[0] == 0
    assert json.loads(_run("keys", "list", "--json")[1])[0]["revoked_at"] is not None
    assert _run("keys", "revoke", "nokey")[0] == 1
    code, out, _ = _run("audit", "--tenant", "school_b")
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert actions == ["key.revoke", "key.create", "tenant.create"]
    (env / "skills.json").write_text('{"skills": [{"skill_id": "m:a", "name": "Adding"}]}')
    code, _, err = _run("import", "--tenant", "school_c", str(env / "skills.json"))
    assert code == 1 and "--tenant: no tenant 'school_c'" in err
    assert _run("import", "--tenant", "school_b", str(env / "skills.json"))[0] == 0
    newest = json.loads(_run("audit", "--tenant", "school_b")[1].splitlines()[0])
    assert (newest["action"], newest["key_name"]) == ("catalog.import", "cli")
    assert newest["detail"] == {"skills": 1, "items": 0, "misconceptions": 0}


def test_demo_mode_refuses_to_listen_beyond_loopback(env: Path) -> None:
    code, _, err = _run("serve", "--demo", "--host", "0.0.0.0")
    assert code == 1
    assert "--host: --demo runs without authentication" in err


def test_serve_without_keys_says_how_to_make_one(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: None)
    code, _, err = _run("serve")
    assert code == 0
    assert "no API keys yet" in err
    assert _run("keys", "create", "--scope", "admin", "--name", "ops")[0] == 0
    assert "no API keys yet" not in _run("serve")[2]


_BLUEPRINT_CSV = (
    "exam_id,name,exam,exam_date,duration_minutes,total_questions,total_marks,"
    "exam_like_sources,note,section,correct,wrong,unattempted,place,questions,marks\n"
    "mini,Mini paper,jee,2099-01-10,60,3,{total},pyq;ncert_exercise,,A,4,-1,0,Ch1,2,8\n"
    ",,,,,,,,,,,,,{place},1,4\n"
)


def test_import_exam_blueprints_from_csv_reports_rows_and_imports_nothing_when_bad(
    env: Path,
) -> None:
    (env / "bank.json").write_text(
        json.dumps(
            {
                "skills": [{"skill_id": "m:a", "name": "A"}],
                "items": [
                    {
                        "item_id": f"q{n}",
                        "source": "pyq",
                        "subject": "Maths",
                        "chapter": "Ch1" if n < 3 else "Ch2",
                        "topic": "T",
                        "skills": {"m:a": None},
                        "exam": "jee",
                    }
                    for n in range(5)
                ],
            }
        )
    )
    assert _run("import", str(env / "bank.json"))[0] == 0
    (env / "exams.csv").write_text(_BLUEPRINT_CSV.format(total=13, place="Organic"))
    code, _, err = _run("import", "--kind", "exams", str(env / "exams.csv"))
    assert code == 1
    assert "exams.csv row 2: total_marks: the weights add up to 12 marks, the paper has 13" in err
    assert "exams.csv row 2: sections['A'].weights['Organic'].place:" in err
    assert "nothing imported" in err
    (env / "exams.csv").write_text(_BLUEPRINT_CSV.format(total=12, place="Ch2"))
    code, out, err = _run("import", "--kind", "exams", str(env / "exams.csv"))
    assert code == 0, err
    assert out.strip() == "imported 0 skills and 0 items and 1 exams"
