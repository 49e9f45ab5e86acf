"""The LLM backend against a fake OpenAI-compatible server on loopback: scores, redaction,
and the fallback on errors, timeouts and malformed answers."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from smartpractice.adapters.similarity.lexical import LexicalBackend
from smartpractice.adapters.similarity.llm import LLMBackend, LLMSettings, parse_scores
from smartpractice.core.config import TranscriptConfig
from smartpractice.core.tutoring.analysis import analyze_transcript
from tests.unit.transcripts.chats import CHAIN, POWER, chat


@dataclass
class FakeLLM:
    """What the fake server answers, and what it received."""

    mode: str = "ok"  # ok | error | slow | garbage | wrong_shape
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def _handler(state: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.headers.append(dict(self.headers))
            payload = json.loads(body["messages"][1]["content"])
            rows, columns = len(payload["queries"]), len(payload["targets"])
            if state.mode == "error":
                self.send_response(500)
                self.end_headers()
                return
            if state.mode == "slow":
                time.sleep(0.5)
            scores = [
                [1.0 if "chain" in q.lower() and c == 0 else 0.1 for c in range(columns)]
                for q in payload["queries"]
            ]
            if state.mode == "wrong_shape":
                scores = scores[:-1] if rows > 1 else [[0.5] * (columns + 1)]
            content = (
                "Sure! " + json.dumps({"scores": scores})
                if state.mode != "garbage"
                else "I cannot."
            )
            answer = {"choices": [{"message": {"role": "assistant", "content": content}}]}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # The client may have given up already (timeout).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            return

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[FakeLLM, str]]:
    state = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def backend(url: str, **kwargs: Any) -> LLMBackend:
    settings = LLMSettings(
        url=url, model="tutor-judge", api_key="sk-test", timeout_seconds=0.25, **kwargs
    )
    return LLMBackend(settings, fallback=LexicalBackend())


def test_scores_come_from_the_endpoint(fake: tuple[FakeLLM, str]) -> None:
    state, url = fake
    llm = backend(url)
    sim = llm.similarity(["the chain rule step", "adding"], ["chain rule", "power rule"])
    llm.close()
    assert sim.tolist() == [[1.0, 0.1], [0.1, 0.1]]
    assert (llm.calls, llm.fallbacks) == (1, 0)
    assert state.requests[0]["model"] == "tutor-judge"
    assert state.headers[0]["Authorization"] == "Bearer sk-test"


def test_personal_data_is_redacted_before_sending(fake: tuple[FakeLLM, str]) -> None:
    state, url = fake
    llm = backend(url)
    llm.similarity(["I am riya@example.com, call me on +91 98765 43210"], ["chain rule"])
    llm.close()
    sent = json.dumps(state.requests)
    assert "riya@example.com" not in sent and "98765" not in sent
    assert "[email]" in sent and "[phone]" in sent


@pytest.mark.parametrize("mode", ["error", "slow", "garbage", "wrong_shape"])
def test_falls_back_to_local_on_failure(fake: tuple[FakeLLM, str], mode: str) -> None:
    state, url = fake
    state.mode = mode
    llm = backend(url)
    queries, targets = ["chain rule please", "adding"], ["chain rule", "power rule"]
    sim = llm.similarity(queries, targets)
    llm.close()
    assert llm.fallbacks == 1 and llm.last_error
    assert np.allclose(sim, LexicalBackend().similarity(queries, targets))


def test_unreachable_endpoint_falls_back() -> None:
    llm = backend("http://127.0.0.1:9/v1")  # discard port: nothing listens
    sim = llm.similarity(["chain rule"], ["chain rule"])
    llm.close()
    assert llm.fallbacks == 1 and sim[0, 0] > 0.9


def test_not_configured_uses_the_fallback_without_calling() -> None:
    llm = LLMBackend(LLMSettings(url="", model=""), fallback=LexicalBackend())
    llm.similarity(["a"], ["a"])
    assert (llm.calls, llm.fallbacks, llm.last_error) == (0, 1, "not configured")


def test_the_analyzer_runs_on_the_llm_backend(fake: tuple[FakeLLM, str]) -> None:
    _, url = fake
    llm = backend(url)
    transcript = chat(
        ("student", "For sin(x^2) I wrote cos(x^2)."),
        ("tutor", "Not quite: use the chain rule and multiply by the inside derivative."),
        ("student", "I don't understand the chain rule."),
    )
    result = analyze_transcript(
        transcript, skills=[CHAIN, POWER], similarity=llm, config=TranscriptConfig()
    )
    llm.close()
    assert result.backend == "llm"
    assert result.struggle_by_skill()[CHAIN.skill_id] > result.struggle_by_skill()[POWER.skill_id]
    assert llm.calls >= 1


def test_parse_scores_rejects_bad_answers() -> None:
    assert parse_scores('{"scores": [[2.0, -1]]}', rows=1, columns=2).tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError):
        parse_scores("no json", rows=1, columns=1)
    with pytest.raises(ValueError):
        parse_scores('{"scores": [[0.5]]}', rows=2, columns=1)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTPRACTICE_LLM_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("SMARTPRACTICE_LLM_MODEL", "m")
    monkeypatch.setenv("SMARTPRACTICE_LLM_TIMEOUT_SECONDS", "3")
    settings = LLMSettings()
    assert settings.configured and settings.timeout_seconds == 3.0
    assert "8080" in settings.url
