"""Answer suggestion on BANKING77: was this asked before, and when should the bot answer?

Half of each intent's queries (a fixed shuffle) form the knowledge base; the other half are
incoming questions. A suggestion is right when the best entry has the query's intent. Prints
top-1 intent accuracy, then accuracy and coverage (share of questions answered
automatically) at several confidence thresholds. Run: ``make bench`` or
``python bench/suggest.py``; with the ``ml`` extra installed,
``GIGCX_TEXT_BACKEND=embeddings python bench/suggest.py`` measures the embeddings backend.
Skips with a message when the data sets are missing.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.text.datasets import IntentText, banking77, datasets_dir, missing_message
from routing.text.knowledge import KnowledgeIndex

THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def split(rows: list[IntentText], seed: int = 0) -> tuple[list[IntentText], list[IntentText]]:
    by_intent: dict[str, list[IntentText]] = defaultdict(list)
    for row in rows:
        by_intent[row.intent].append(row)
    known: list[IntentText] = []
    incoming: list[IntentText] = []
    shuffle = random.Random(seed).shuffle  # noqa: S311 - a reproducible split, not security
    for intent in sorted(by_intent):
        group = by_intent[intent]
        shuffle(group)
        half = len(group) // 2
        known += group[:half]
        incoming += group[half:]
    return known, incoming


def main() -> int:
    folder = datasets_dir()
    if folder is None or not (folder / "banking77").is_dir():
        print(missing_message("bench/suggest.py skipped"))
        return 0
    known, incoming = split(banking77(folder))
    index = KnowledgeIndex([(i, row.text, "") for i, row in enumerate(known)])
    results: list[tuple[float, bool]] = []
    for start in range(0, len(incoming), 500):
        batch = incoming[start : start + 500]
        matrix = index.score_matrix([row.text for row in batch])
        for row, scores in zip(batch, matrix, strict=True):
            best = int(scores.argmax())
            results.append((float(scores[best]), known[best].intent == row.intent))
    accuracy = sum(right for _, right in results) / len(results)
    scores = sorted(score for score, _ in results)
    print(f"BANKING77: {len(known)} knowledge-base entries, {len(incoming)} queries, 77 intents")
    print(f"backend {index.backend}: top-1 intent accuracy {accuracy:.3f}")
    print(f"median best score: {scores[len(scores) // 2]:.3f}")
    print("threshold  answered  accuracy-when-answered")
    for threshold in sorted({*THRESHOLDS, index.auto_answer_threshold}):
        answered = [right for score, right in results if score >= threshold]
        share = len(answered) / len(results)
        right = sum(answered) / len(answered) if answered else float("nan")
        marker = "  <- auto-answer threshold" if threshold == index.auto_answer_threshold else ""
        print(f"   {threshold:4.2f}     {share:6.1%}   {right:6.3f}{marker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
