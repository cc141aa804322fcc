"""Surge detection: many customers asking about the same problem with one product at once.

The detector looks at one product's recent questions as vectors (the knowledge base's
sentence embeddings, or TF-IDF where onnxruntime is missing) and asks: is there a group of
similar questions in the last ``window`` that is both big (``min_count``) and much bigger
than such questions usually are on this product (``multiplier`` times their usual count in a
window of that length)?

1. *Group.* The questions of the window, oldest first, join the group whose centroid (mean
   vector, renormalised) they are most like, when the cosine reaches ``similarity``;
   otherwise they start a group. One pass, so the cost is the window's size times its number
   of groups: a few hundred dot products per product.
2. *Compare with the usual rate.* For each group big enough, the product's questions of
   the baseline period (before the window) that are as like the group's centroid count as
   its usual number; scaled to the window's length, that is the expected count. The group
   fires when ``count >= max(min_count, multiplier * expected)``. A question the product
   always gets ("how do I clean them?") has a high expected count and does not fire; a new
   problem has none and fires at ``min_count``.

Pure functions over numpy: no Django, so ``bench/surge.py`` replays public data through the
very code that triage's beat task runs. The defaults are chosen by that benchmark (tuned on
one site, reported on another; ``bench/README.md`` has the figures).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from routing.text.embeddings import EmbeddingsUnavailable, embed, fall_back, text_backend

# Cosine a question needs with a group's centroid to join it, per backend (centroids of
# paraphrases sit higher than pairs do: clusters.GROUP_THRESHOLDS are for pairs).
SIMILARITY = {"onnx": 0.6, "torch": 0.6, "tfidf": 0.3}


@dataclass(frozen=True)
class SurgeSettings:
    """The detector's knobs. Defaults chosen by ``bench/surge.py`` (see bench/README.md)."""

    window: timedelta = timedelta(hours=6)
    similarity: float | None = None  # None: SIMILARITY[backend]
    multiplier: float = 2.0
    min_count: int = 3
    baseline: timedelta = timedelta(days=28)

    def similarity_for(self, backend: str) -> float:
        return self.similarity if self.similarity is not None else SIMILARITY.get(backend, 0.6)


@dataclass
class Surge:
    """A group that fired: the indexes of its questions (into ``recent``), its centroid,
    how many it has, and how many such questions the product usually gets in a window."""

    members: list[int]
    centroid: np.ndarray
    count: int
    expected: float
    limit: float
    first_at: datetime | None = None
    scores: list[float] = field(default_factory=list)


def group(vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """One-pass centroid grouping of unit vectors, in the order given (oldest first)."""
    groups: list[list[int]] = []
    if len(vectors) == 0:
        return groups
    # At most one group per vector: preallocated, so each step is one matrix-vector product.
    sums = np.zeros_like(vectors, dtype=np.float32)
    centroids = np.zeros_like(vectors, dtype=np.float32)
    for i, vector in enumerate(vectors):
        count = len(groups)
        if count:
            scores = centroids[:count] @ vector
            best = int(np.argmax(scores))
            if scores[best] >= similarity:
                groups[best].append(i)
                sums[best] += vector
                centroids[best] = _unit(sums[best])
                continue
        groups.append([i])
        sums[count] = vector
        centroids[count] = _unit(vector)
    return groups


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def find_surges(
    *,
    recent: np.ndarray,
    recent_at: Sequence[datetime],
    history: np.ndarray,
    history_span: timedelta,
    settings: SurgeSettings,
    backend: str = "onnx",
) -> list[Surge]:
    """The groups of ``recent`` (the window's question vectors, oldest first) that fire.

    ``history`` holds the vectors of the product's questions in the baseline period before
    the window, which spans ``history_span`` (shorter for a new product: its expected
    counts are then measured over what there is; with no history at all the expected count
    is 0 and ``min_count`` alone decides). Biggest surge first."""
    similarity = settings.similarity_for(backend)
    fired: list[Surge] = []
    if len(recent) < settings.min_count:
        return fired
    scale = settings.window / history_span if history_span.total_seconds() > 0 else 0.0
    for members in group(recent, similarity):
        if len(members) < settings.min_count:
            continue
        centroid = _unit(recent[members].mean(axis=0))
        usual = int((history @ centroid >= similarity).sum()) if len(history) else 0
        expected = usual * scale
        limit = max(float(settings.min_count), settings.multiplier * expected)
        if len(members) >= limit:
            fired.append(
                Surge(
                    members=members,
                    centroid=centroid,
                    count=len(members),
                    expected=round(expected, 3),
                    limit=round(limit, 3),
                    first_at=recent_at[members[0]] if recent_at else None,
                    scores=[round(float(recent[i] @ centroid), 3) for i in members],
                )
            )
    return sorted(fired, key=lambda surge: -surge.count)


def same_problem(centroid: np.ndarray, known: Sequence[np.ndarray], similarity: float) -> bool:
    """Whether a surge's centroid is one already raised (so it adds to that incident)."""
    return any(float(centroid @ other) >= similarity for other in known)


def question_vectors(texts: list[str], backend: str | None = None) -> tuple[np.ndarray, str]:
    """Unit vectors for the texts on the knowledge base's backend, and that backend.

    Sentence embeddings where they run; TF-IDF of words and character n-grams otherwise,
    fitted on these texts (pass the window and the history together, so they share one
    vocabulary), weighted so that a dot product is the knowledge index's mix."""
    chosen = backend or text_backend()
    if not texts:
        return np.zeros((0, 1), dtype=np.float32), chosen
    if chosen in ("onnx", "torch"):
        try:
            return embed(texts, backend=chosen), chosen
        except EmbeddingsUnavailable as error:
            chosen = fall_back(error)
    from scipy.sparse import hstack

    from routing.text.knowledge import WORD_WEIGHT, _vectorizers

    words, chars = _vectorizers()
    try:
        matrix = hstack(
            [
                words.fit_transform(texts) * math.sqrt(WORD_WEIGHT),
                chars.fit_transform(texts) * math.sqrt(1 - WORD_WEIGHT),
            ]
        ).toarray()
    except ValueError:  # nothing but stop characters: every text stands alone
        return np.eye(len(texts), dtype=np.float32), "tfidf"
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32), "tfidf"
