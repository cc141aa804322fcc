"""Choose the AI line's confidence weights and default thresholds on tuning draws only.

``bench/suggest.py`` reports BANKING77 on draws (seeds) 0, 1 and 2 of its split. This script
uses ten other draws (seeds 3 to 12: other held-out intents, other known queries) so that
nothing the product uses by default is chosen on the draws it is reported on. For each
backend it prints, for each margin weight of a grid (``Match.confidence`` = the best entry's
score plus the weight times its lead over the best entry with a different answer), the mean
share of in-scope questions answered at >= 93 % accuracy with <= 2 % of out-of-scope
questions answered; the weight with the highest mean wins. Then the default threshold for
that weight: the lowest at which the ten draws pooled keep accuracy >= 93 % and answer
<= 2 % of out-of-scope questions. Copy both into ``routing/text/knowledge.py``
(``MARGIN_WEIGHTS``, ``AUTO_ANSWER_THRESHOLDS``); when a backend's confidence changes
meaning, its calibrated thresholds and recorded outcomes need a data migration (as
``routing/migrations/0012_tfidf_confidence_rescaled.py`` did).

Run: ``python bench/suggest_tune.py [tfidf onnx]`` (a few minutes per backend).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[0]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
from suggest import best_point, entries, split  # noqa: E402

from routing.text.datasets import banking77, datasets_dir, missing_message  # noqa: E402
from routing.text.embeddings import EmbeddingsUnavailable  # noqa: E402
from routing.text.knowledge import KnowledgeIndex  # noqa: E402

TUNING_SEEDS = range(3, 13)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def leads(index: KnowledgeIndex, intents: list[str], texts: list[str], gold: list[str | None]):
    """Per query: (best entry's score, its lead over the best rival, whether it is right)."""
    out = []
    for start in range(0, len(texts), 500):
        matrix = index.score_matrix(texts[start : start + 500])
        for scores, want in zip(matrix, gold[start : start + 500], strict=True):
            top = int(np.argmax(scores))
            rivals = scores[index._groups != index._groups[top]]
            runner_up = float(rivals.max()) if rivals.size else 0.0
            out.append(
                (float(scores[top]), max(float(scores[top]) - runner_up, 0.0), intents[top] == want)
            )
    return out


def tune(backend: str, rows) -> None:
    draws = []
    for seed in TUNING_SEEDS:
        known, incoming, outside = split(rows, seed)
        kb, intents = entries(known)
        try:
            index = KnowledgeIndex(list(kb), backend=backend)
        except EmbeddingsUnavailable as error:
            print(f"backend {backend}: skipped ({error})")
            return
        inside = leads(index, intents, [r.text for r in incoming], [r.intent for r in incoming])
        beyond = leads(index, intents, [r.text for r in outside], [None] * len(outside))
        draws.append((inside, beyond))
    print(
        f"\nbackend {backend}: mean share answered over seeds {TUNING_SEEDS.start}-"
        f"{TUNING_SEEDS.stop - 1} (>= 93% accuracy, <= 2% out of scope answered)"
    )

    def sure(points, weight):
        return [(round(score + weight * lead, 4), right) for score, lead, right in points]

    means = {}
    for weight in WEIGHTS:
        shares = []
        for inside, beyond in draws:
            best = best_point(sure(inside, weight), sure(beyond, weight))
            shares.append(best[0] if best else 0.0)
        means[weight] = statistics.mean(shares)
        print(f"  margin weight {weight:4.2f}: {means[weight]:.1%}")
    weight = max(WEIGHTS, key=lambda w: means[w])
    pooled_in = [point for inside, _ in draws for point in sure(inside, weight)]
    pooled_out = [point for _, beyond in draws for point in sure(beyond, weight)]
    best = best_point(pooled_in, pooled_out)
    if best is None:
        print(f"  chosen weight {weight}; no pooled threshold meets the constraints")
        return
    share, right, wrongly, threshold = best
    print(
        f"  chosen: margin weight {weight}, default threshold {threshold:.3f} (pooled: "
        f"{share:.1%} answered at {right:.3f}, {wrongly:.1%} out of scope answered)"
    )


def main(argv: list[str]) -> int:
    folder = datasets_dir()
    if folder is None or not (folder / "banking77").is_dir():
        print(missing_message("bench/suggest_tune.py skipped"))
        return 0
    rows = banking77(folder)
    for backend in argv or ["tfidf", "onnx"]:
        tune(backend, rows)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main(sys.argv[1:]))
