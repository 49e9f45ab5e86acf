"""scripts/_venv.sh: a supported Python is chosen, and an environment whose Python is not
the one asked for (or is unsupported, or does not run) is rebuilt instead of reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _fake_python(venv: Path, *, version: str, supported: bool) -> None:
    """A venv whose `python` claims `version` (and to be supported or not)."""
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / "python"
    script.write_text(f"#!/bin/sh\necho {version}\nexit {0 if supported else 1}\n")
    script.chmod(0o755)


def _make(venv: Path, python: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VENV")}
    env["VENV"] = str(venv)
    if python is not None:
        env["PYTHON"] = python
    return subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts' / '_venv.sh'} none"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _version(venv: Path) -> str:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_an_environment_with_another_python_is_rebuilt(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _fake_python(venv, version="3.12" if HERE != "3.12" else "3.13", supported=True)
    done = _make(venv, sys.executable)
    assert done.returncode == 0, done.stderr
    assert "rebuilding" in done.stderr
    assert _version(venv) == HERE


def test_an_environment_with_an_unsupported_python_is_rebuilt(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _fake_python(venv, version="3.10", supported=False)
    done = _make(venv, sys.executable)
    assert done.returncode == 0, done.stderr
    assert "rebuilding" in done.stderr and "3.10" in done.stderr
    assert _version(venv) == HERE


def test_a_matching_environment_is_kept(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert _make(venv, sys.executable).returncode == 0
    marker = venv / "kept"
    marker.write_text("")
    done = _make(venv, None)  # no PYTHON: a working, supported environment is reused
    assert done.returncode == 0, done.stderr
    assert marker.exists() and "rebuilding" not in done.stderr


def test_an_unsupported_python_asked_for_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "old"
    _fake_python(fake, version="3.10", supported=False)
    done = _make(tmp_path / "venv", str(fake / "bin" / "python"))
    assert done.returncode == 1
    assert "is not Python 3.11, 3.12 or 3.13" in done.stderr
    assert not (tmp_path / "venv").exists()
