"""What the command line says when something is wrong, and where it works: import
messages that point at the file and row, the database each command opens, the port check,
help without placeholders, and tables that line up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from smartpractice.cli import app

pytestmark = pytest.mark.integration

SKILLS_HEADER = "skill_id,name,description,prerequisites\n"
ITEMS_HEADER = (
    "item_id,source,subject,chapter,topic,grade,difficulty_label,expected_time_seconds,"
    "marks,text,skills\n"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A relative URL, as the default is: the commands must say which file they opened.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMARTPRACTICE_DATABASE_URL", "sqlite:///./here.db")
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_reference_errors_name_the_file_and_row(env: Path) -> None:
    (env / "skills.csv").write_text(
        SKILLS_HEADER + "m:a,Adding,,m:b\nm:b,Bridging,,m:a\nm:c,Counting,,m:zz\n"
    )
    code, _, err = _run("import", "--kind", "skills", "skills.csv")
    assert code == 1
    assert "skills.csv row 4: prerequisites: unknown skill 'm:zz'" in err
    assert "skills.csv row 2: prerequisites: prerequisite cycle: m:a -> m:b -> m:a" in err
    assert "error: 2 bad rows; nothing imported" in err
    (env / "skills.csv").write_text(SKILLS_HEADER + "m:a,Adding,,\n")
    assert _run("import", "--kind", "skills", "skills.csv")[0] == 0
    (env / "items.csv").write_text(
        ITEMS_HEADER
        + "i1,pyq,Maths,C,T,6,Easy,60,1,,m:a\n"
        + "i2,pyq,Maths,C,T,6,Easy,60,1,,m:a;m:nope\n"
    )
    code, _, err = _run("import", "--kind", "items", "items.csv")
    assert code == 1
    assert "items.csv row 3: skills.m:nope: unknown skill" in err
    assert "error: 1 bad row; nothing imported" in err


def test_bad_rows_are_counted_as_rows_not_as_problems(env: Path) -> None:
    # One row with two problems (a bad id and a missing name), one good row.
    (env / "skills.csv").write_text(SKILLS_HEADER + "M A,,,\nm:b,Bridging,,\n")
    code, _, err = _run("import", "--kind", "skills", "skills.csv")
    assert code == 1
    assert err.count("skills.csv row 2:") == 2
    assert "error: 1 bad row; nothing imported" in err


def test_an_unknown_kind_is_an_invalid_choice(env: Path) -> None:
    (env / "skills.csv").write_text(SKILLS_HEADER + "m:a,Adding,,\n")
    code, out, err = _run("import", "--kind", "item", "skills.csv")
    assert code == 2
    text = " ".join(word for word in (out + err).split() if word not in "│╭╮╰╯")
    assert "Invalid value for '--kind'" in text
    assert "'item' is not one of 'skills', 'items'" in text


def test_every_database_command_names_its_database(env: Path) -> None:
    expected = f"database: sqlite:///{(env / 'here.db').resolve()}"
    for args in (("tenants", "list"), ("keys", "list"), ("replay", "--check"), ("audit",)):
        code, _, err = _run(*args)
        assert code == 0, (args, err)
        assert expected in err.splitlines(), args


def test_serve_with_an_impossible_port_is_a_one_line_error(env: Path) -> None:
    code, out, err = _run("serve", "--port", "99999")
    assert code == 1
    assert err.strip().splitlines() == ["error: --port: must be a TCP port, 1-65535, not 99999"]
    assert out == ""


def _all_commands(group: typer.Typer) -> list[list[str]]:
    command = get_command(group)
    found: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        children = getattr(cmd, "commands", None)
        if children is None:
            found.append(path)
            return
        for name, child in children.items():
            walk(child, [*path, name])

    walk(command, [])
    return found


def test_help_shows_no_type_placeholders() -> None:
    commands = _all_commands(app)
    assert ["import"] in commands and ["keys", "list"] in commands
    for path in commands:
        code, out, _ = _run(*path, "--help")
        assert code == 0, path
        assert "<bool>" not in out, path
        [usage] = [line for line in out.splitlines() if "Usage:" in line]
        assert "{" not in usage, path
        assert "Example: smartpractice" in out, path


def test_keys_and_tenants_lists_line_up_and_show_names(env: Path) -> None:
    assert _run("tenants", "create", "greenwood_high", "--name", "Greenwood High School")[0] == 0
    for name, tenant in (("ops", "default"), ("greenwood app", "greenwood_high")):
        code, _, _ = _run("keys", "create", "--scope", "read", "--name", name, "--tenant", tenant)
        assert code == 0
    code, out, _ = _run("tenants", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TENANT", "NAME"]
    assert lines[2].startswith("greenwood_high") and lines[2].endswith("Greenwood High School")
    code, out, _ = _run("keys", "list")
    header, *rows = out.splitlines()
    assert header.split() == ["KEY_ID", "TENANT", "SCOPE", "NAME", "CREATED", "STATE"]
    # Every column starts at the same offset in every line.
    for title in ("TENANT", "SCOPE", "NAME", "STATE"):
        column = header.index(title)
        assert all(row[column - 2 : column] == "  " and row[column] != " " for row in rows)
    assert {json.loads(_run("keys", "list", "--json")[1])[i]["name"] for i in (0, 1)} == {
        "ops",
        "greenwood app",
    }


def test_bench_select_says_what_it_builds_before_its_bar(env: Path) -> None:
    code, out, err = _run("bench", "select", "--items", "300", "--requests", "3")
    assert code == 0, err
    first = err.strip().splitlines()[0]
    assert first.startswith("building a scratch database: 300 generated items")
    assert "p99_ms" in out
