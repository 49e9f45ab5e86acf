"""`TranscriptConfig`: one frozen object with documented defaults, inside `ModelConfig`."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap

import pytest

from smartpractice.core.config import ModelConfig, TranscriptConfig
from smartpractice.settings import Settings


def test_model_config_holds_the_transcript_config() -> None:
    assert ModelConfig().transcripts == TranscriptConfig()


def test_it_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TranscriptConfig().onset_threshold = 0.1  # type: ignore[misc]


def test_weights_and_thresholds_are_between_zero_and_one() -> None:
    for field in dataclasses.fields(TranscriptConfig):
        value = getattr(TranscriptConfig(), field.name)
        values = value if isinstance(value, tuple) else (value,)
        if field.name in ("summary_sentences", "focus_messages"):  # counts, not weights
            assert isinstance(value, int) and value >= 1
            continue
        if field.name == "trivial_numbers":  # quantities, not weights
            assert values and all(v >= 0.0 for v in values)
            continue
        assert all(0.0 <= v <= 1.0 for v in values), field.name


def test_every_field_is_documented() -> None:
    # Each field is followed by its docstring (house style: units and ranges stated).
    tree = ast.parse(textwrap.dedent(inspect.getsource(TranscriptConfig)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = {
        node.target.id
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }
    assert documented == {field.name for field in dataclasses.fields(TranscriptConfig)}


def test_settings_override_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTPRACTICE_MODEL__TRANSCRIPTS__ONSET_THRESHOLD", "0.7")
    assert Settings().model.transcripts.onset_threshold == 0.7
