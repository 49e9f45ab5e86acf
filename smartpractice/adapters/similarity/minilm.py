"""all-MiniLM-L6-v2's encoder in NumPy: the BERT forward pass over its safetensors weights.

No PyTorch and no ONNX runtime: the model is six BERT layers (hidden size 384, 12 heads,
feed-forward 1536), small enough for NumPy (a short message takes a few milliseconds).
The pipeline is sentence-transformers' for this model: token, position and (all-zero)
token-type embeddings, layer norm, six post-norm encoder layers with exact (erf) GELU,
then the mean of the last hidden state over the attention mask, L2-normalised.
Reference: Devlin et al. 2019 (BERT); Wang et al. 2020 (MiniLM); the model card of
sentence-transformers/all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MiniLMEncoder", "read_safetensors"]

Float32Array = NDArray[np.float32]
Layer = dict[str, tuple[Float32Array, Float32Array]]
LAYERS = 6
HEADS = 12
HIDDEN = 384
LAYER_NORM_EPS = 1e-12
_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
}


def read_safetensors(data: bytes) -> dict[str, NDArray[np.generic]]:
    """Tensors of a safetensors file (8-byte little-endian header length, a JSON header of
    name -> dtype, shape and byte offsets, then the raw data), as read-only arrays.

    Raises:
        ValueError: When the header is malformed or names an unsupported dtype.
    """
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    base = 8 + length
    tensors: dict[str, NDArray[np.generic]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{name}: unsupported dtype {entry['dtype']}")
        start, end = entry["data_offsets"]
        flat = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize,
                             offset=base + start)  # fmt: skip
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def _erf(x: Float32Array) -> Float32Array:
    """Error function, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                + t * (-1.453152027 + t * 1.061405429))))  # fmt: skip
    result: Float32Array = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return result


def _gelu(x: Float32Array) -> Float32Array:
    """GELU as BERT defines it, with the exact error function: x * Phi(x)."""
    out: Float32Array = (0.5 * x * (1.0 + _erf(x / np.float32(math.sqrt(2.0))))).astype(np.float32)
    return out


def _layer_norm(x: Float32Array, weight: Float32Array, bias: Float32Array) -> Float32Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out = (x - mean) / np.sqrt(var + np.float32(LAYER_NORM_EPS)) * weight + bias
    return np.asarray(out, dtype=np.float32)


class MiniLMEncoder:
    """Sentence embeddings from all-MiniLM-L6-v2's weights (the names of its
    ``model.safetensors``).

    Args:
        tensors: Name -> array, as `read_safetensors` returns them.
    """

    def __init__(self, tensors: Mapping[str, NDArray[np.generic]]) -> None:
        def get(name: str) -> Float32Array:
            return np.asarray(tensors[name], dtype=np.float32)

        def linear(prefix: str) -> tuple[Float32Array, Float32Array]:
            # Stored (out, in) as in PyTorch; kept transposed for x @ W.
            return np.ascontiguousarray(get(f"{prefix}.weight").T), get(f"{prefix}.bias")

        self._word = get("embeddings.word_embeddings.weight")
        self._position = get("embeddings.position_embeddings.weight")
        self._token_type = get("embeddings.token_type_embeddings.weight")[0]
        self._norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._layers: list[Layer] = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}"
            parts = [linear(f"{p}.attention.self.{n}") for n in ("query", "key", "value")]
            self._layers.append(
                {
                    # Query, key and value in one matrix: one product per layer.
                    "qkv": (
                        np.ascontiguousarray(np.concatenate([w for w, _ in parts], axis=1)),
                        np.concatenate([b for _, b in parts]),
                    ),
                    "o": linear(f"{p}.attention.output.dense"),
                    "ln1": (
                        get(f"{p}.attention.output.LayerNorm.weight"),
                        get(f"{p}.attention.output.LayerNorm.bias"),
                    ),
                    "up": linear(f"{p}.intermediate.dense"),
                    "down": linear(f"{p}.output.dense"),
                    "ln2": (
                        get(f"{p}.output.LayerNorm.weight"),
                        get(f"{p}.output.LayerNorm.bias"),
                    ),
                }
            )

    def encode(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Float32Array:
        """Unit-length embeddings, shape (batch, 384), for padded token ids and their
        attention mask (1 for a token, 0 for padding), both shape (batch, length)."""
        batch, length = ids.shape
        tokens = batch * length
        # Token rows as one (batch * length, 384) matrix, so each projection is one product.
        x = (self._word[ids] + self._position[:length] + self._token_type).reshape(tokens, HIDDEN)
        x = _layer_norm(x, *self._norm)
        # Padding gets a large negative score, so softmax gives it no weight.
        blocked = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        head = HIDDEN // HEADS
        scale = np.float32(1.0 / math.sqrt(head))
        for layer in self._layers:
            weight, bias = layer["qkv"]
            qkv = (x @ weight + bias).reshape(batch, length, 3, HEADS, head)
            q, k, v = (qkv[:, :, n].transpose(0, 2, 1, 3) for n in range(3))
            scores = np.matmul(q * scale, k.transpose(0, 1, 3, 2)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            context = np.matmul(probs, v).transpose(0, 2, 1, 3).reshape(tokens, HIDDEN)
            weight, bias = layer["o"]
            x = _layer_norm(context @ weight + bias + x, *layer["ln1"])
            weight, bias = layer["up"]
            inner: Float32Array = x @ weight + bias
            activated = _gelu(inner)
            weight, bias = layer["down"]
            x = _layer_norm(activated @ weight + bias + x, *layer["ln2"])
        hidden = x.reshape(batch, length, HIDDEN)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Float32Array = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
