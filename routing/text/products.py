"""Which of the brand's products a question is about, when the customer did not pick one.

Each product is ``(product_id, name, aliases)``: ``aliases`` is a comma- or semicolon-
separated string of SKUs and other names customers use ("TB2, Trailblazer"), possibly empty.

Two passes:

1. an alias or SKU written as a whole word ("my TB2 …") names its product outright;
2. otherwise character 3-4-gram TF-IDF (scikit-learn), fitted on the catalogue's names and
   aliases, compares every short run of 1-4 words in the question with every name and alias.
   Character n-grams forgive typos and inflections ("Trailblazr", "Zelts"); fitting on the
   catalogue makes words every product shares ("shoe", "tent") count for little.

The confidence is the best similarity, halved when the runner-up product is nearly as good
(then the question is ambiguous and the caller should ask).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

Product = tuple[int, str, str]

# Below this similarity no product is named.
MIN_SIMILARITY = 0.55
# When the runner-up is within this of the best, the answer is ambiguous.
AMBIGUOUS_MARGIN = 0.1
ALIAS_CONFIDENCE = 0.95

_WORD = re.compile(r"[\w][\w'-]*", re.UNICODE)
_SPLIT_ALIASES = re.compile(r"[,;]")


def _names(product: Product) -> list[str]:
    _, name, aliases = product
    found = [name.strip()] if name.strip() else []
    found += [alias.strip() for alias in _SPLIT_ALIASES.split(aliases or "") if alias.strip()]
    return found


def _alias_hits(text: str, products: tuple[Product, ...]) -> set[int]:
    """Products whose alias or SKU appears as a whole word; an alias inside a longer one that
    also appears ("TB2" inside "TB2-GTX") does not count."""
    spans: list[tuple[int, int, int]] = []
    for product in products:
        for alias in _names(product)[1:]:
            pattern = rf"(?<!\w){re.escape(alias)}(?!\w)"
            spans += [(m.start(), m.end(), product[0]) for m in re.finditer(pattern, text, re.I)]
    return {
        pid
        for start, end, pid in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    }


class _Catalogue:
    def __init__(self, products: tuple[Product, ...]) -> None:
        self.owners: list[int] = []
        strings: list[str] = []
        for product in products:
            for name in _names(product):
                self.owners.append(product[0])
                strings.append(name)
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 4), lowercase=True, strip_accents="unicode"
        )
        self.matrix = self.vectorizer.fit_transform(strings) if strings else None

    def similarities(self, text: str) -> dict[int, float]:
        if self.matrix is None:
            return {}
        words = _WORD.findall(text)
        windows = [
            " ".join(words[start : start + size])
            for size in range(1, 5)
            for start in range(max(len(words) - size + 1, 0))
        ]
        if not windows:
            return {}
        # Rows are L2-normalised, so the product is the cosine similarity.
        scores = (self.vectorizer.transform(windows) @ self.matrix.T).toarray().max(axis=0)
        best: dict[int, float] = {}
        for owner, score in zip(self.owners, np.asarray(scores).ravel(), strict=True):
            best[owner] = max(best.get(owner, 0.0), float(score))
        return best


@lru_cache(maxsize=32)
def _catalogue(products: tuple[Product, ...]) -> _Catalogue:
    return _Catalogue(products)


def guess_product(text: str, products: list[Product]) -> tuple[int | None, float]:
    """The id of the product ``text`` is most likely about, and a confidence 0..1.

    ``(None, best similarity)`` when nothing reaches ``MIN_SIMILARITY``. Pure; never logs the
    text.
    """
    catalogue = tuple((int(pid), name, aliases or "") for pid, name, aliases in products)
    if not catalogue or not text.strip():
        return None, 0.0
    hits = _alias_hits(text, catalogue)
    if len(hits) == 1:
        return hits.pop(), ALIAS_CONFIDENCE
    scores = _catalogue(catalogue).similarities(text)
    if hits:  # several aliases named: choose among them by similarity
        scores = {pid: score for pid, score in scores.items() if pid in hits}
    if not scores:
        return None, 0.0
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_id, best = ranked[0]
    if best < MIN_SIMILARITY:
        return None, round(best, 3)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = best if best - runner_up >= AMBIGUOUS_MARGIN else best / 2
    return best_id, round(min(confidence, 1.0), 3)
