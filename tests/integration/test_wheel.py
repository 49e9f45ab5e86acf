"""The built wheel is the way in: build it, install it into a fresh virtual environment,
and run `smartpractice serve --demo` from a folder that is not the repository. The wheel
must carry the migrations, the sample bank, the dashboard's templates and static files,
and a plain install must not pull the lab's or the embedding model's packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.integration.scale_helpers import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_NOT_SOURCE = (
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "*.db*",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)
HEAVY = ("scipy", "scikit-learn", "matplotlib", "tqdm", "onnxruntime", "tokenizers", "torch")


def _run(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return str(done.stdout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in the tree, and a stale build/ folder there
    # could put files into the wheel that the source no longer has.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(work)])
    [wheel] = work.glob("smartpractice-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "smartpractice/data/sample_bank.json",
        "smartpractice/migrations/env.py",
        "smartpractice/migrations/script.py.mako",
        "smartpractice/migrations/versions/0001_initial_schema.py",
        "smartpractice/api/dashboard/templates/base.html",
        "smartpractice/api/dashboard/static/dashboard.css",
        "smartpractice/api/dashboard/static/vendor/chart.umd.min.js",
        "smartpractice/py.typed",
    ):
        assert needed in names, f"{needed} is not in {wheel.name}"
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])
    return venv


def test_a_plain_install_has_none_of_the_heavy_packages(installed: Path) -> None:
    listed = _run([str(installed / "bin" / "python"), "-m", "pip", "list", "--format=freeze"])
    names = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert names.isdisjoint(HEAVY), names & set(HEAVY)


def test_the_installed_wheel_serves_the_demo_from_any_folder(
    installed: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTPRACTICE_", "PYTHON"))}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(installed / "bin" / "smartpractice"), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,  # not the repository: nothing may come from the source tree
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        pick = httpx.get(
            f"{base}/v1/students/wheel-1/next-question", params={"topic": "Derivatives"}, timeout=30
        )
        assert pick.status_code == 200, pick.text
        assert pick.json()["item"]["item_id"]
        assert httpx.get(f"{base}/dashboard", timeout=30).status_code == 200
        assert httpx.get(f"{base}/docs", timeout=30).status_code == 200
        log_text = (tmp_path / "serve.log").read_text()
        assert f"database: sqlite:///{tmp_path.resolve() / 'smartpractice.db'}" in log_text
        assert (tmp_path / "smartpractice.db").exists()
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
