"""Group short texts that ask the same thing: the knowledge base's "gaps" view.

``similarities(texts)`` compares every text with every other on the knowledge index's
backend (sentence embeddings where onnxruntime is installed, TF-IDF of words and character
n-grams otherwise); ``greedy_groups(similarities, threshold)`` walks the texts in order and
puts each in the group it is most like on average, or starts a new group. Quadratic in the
number of texts: callers pass a few hundred at most.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from routing.text.embeddings import (
    DIMENSIONS,
    EmbeddingsUnavailable,
    embed,
    fall_back,
    text_backend,
)

# Average cosine a text needs with a group's members to join it. Paraphrases of one
# question score 0.6 to 0.9 on MiniLM embeddings and 0.3 to 0.45 on TF-IDF (fitted on the
# questions alone, it misses more of them); different questions about the same product stay
# below (tests/routing/test_knowledge_base.py has the examples).
GROUP_THRESHOLDS = {"tfidf": 0.3, "onnx": 0.6, "torch": 0.6}


def vector_bytes(vector: np.ndarray) -> bytes:
    """A unit-length embedding as stored beside a question (float16: 768 bytes for MiniLM)."""
    return np.asarray(vector, dtype="<f2").tobytes()


def vector_from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    """The embedding ``vector_bytes`` stored, or None when nothing (or a torn value) is."""
    if not data or len(data) != DIMENSIONS * 2:
        return None
    return np.frombuffer(bytes(data), dtype="<f2").astype(np.float32)


def similarities(
    texts: list[str],
    backend: str | None = None,
    stored: Sequence[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, str]:
    """Cosine similarity of every pair of texts, and the backend that measured it.
    ``stored``: per text, its embedding on ``backend`` when one was kept (triage stores each
    question's); only the texts without one are embedded here."""
    chosen = backend or text_backend()
    if not texts:
        return np.zeros((0, 0)), chosen
    if chosen in ("onnx", "torch"):
        try:
            known = list(stored) if stored is not None else [None] * len(texts)
            missing = [i for i, vector in enumerate(known) if vector is None]
            if missing:
                # Remembered: the next visit of the gaps page embeds only the new questions.
                fresh = embed([texts[i] for i in missing], backend=chosen, remember=True)
                for i, vector in zip(missing, fresh, strict=True):
                    known[i] = vector
            vectors = np.stack(known).astype(np.float32)  # type: ignore[arg-type]
            return np.clip(vectors @ vectors.T, -1.0, 1.0), chosen
        except EmbeddingsUnavailable as error:
            chosen = fall_back(error)
    from routing.text.knowledge import WORD_WEIGHT, _vectorizers

    words, chars = _vectorizers()
    try:
        by_words = words.fit_transform(texts)
        by_chars = chars.fit_transform(texts)
    except ValueError:  # nothing but stop characters: no vocabulary at all
        return np.eye(len(texts)), "tfidf"
    matrix = WORD_WEIGHT * (by_words @ by_words.T) + (1 - WORD_WEIGHT) * (by_chars @ by_chars.T)
    return np.asarray(matrix.toarray()), "tfidf"


def greedy_groups(matrix: np.ndarray, threshold: float, passes: int = 2) -> list[list[int]]:
    """Indexes of the texts grouped, biggest group first (ties: the group whose first text
    comes first). Each text joins the group with the highest average similarity to it when
    that reaches ``threshold``; then ``passes`` times each text moves to the group it is now
    most like (a text met early may fit a group that formed after it)."""
    label = [-1] * matrix.shape[0]
    groups: list[list[int]] = []
    for i in range(matrix.shape[0]):
        best = _most_like(matrix, i, groups, threshold)
        if best is None:
            groups.append([i])
            label[i] = len(groups) - 1
        else:
            groups[best].append(i)
            label[i] = best
    for _ in range(passes):
        moved = False
        for i in range(matrix.shape[0]):
            others = [[j for j in members if j != i] for members in groups]
            best = _most_like(matrix, i, others, threshold)
            if best is not None and best != label[i]:
                groups[label[i]].remove(i)
                groups[best].append(i)
                label[i] = best
                moved = True
        if not moved:
            break
    kept = [sorted(members) for members in groups if members]
    return sorted(kept, key=lambda members: (-len(members), members[0]))


def _most_like(matrix: np.ndarray, i: int, groups: list[list[int]], threshold: float) -> int | None:
    best, best_mean = None, threshold
    for number, members in enumerate(groups):
        if not members:
            continue
        mean = float(matrix[i, members].mean())
        if mean >= best_mean:
            best, best_mean = number, mean
    return best
