"""Frustration on GoEmotions dev: AUC of VADER alone, VADER + profanity, and our model.

Positive = anger, annoyance, disappointment, disapproval or disgust (datasets/SOURCES.md).
"VADER + profanity" is a logistic regression on VADER compound, negative share and the
profanity count, fitted on train; "model" is the committed ``routing/text/models/
frustration.json``. Run: ``make bench`` or ``python bench/frustration.py``. Skips with a
message when the data sets are missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.metrics import roc_auc_score

from routing.text.datasets import datasets_dir, goemotions_frustration, missing_message
from routing.text.frustration import FEATURES, load_model
from routing.text.frustration_training import (
    best_f1_threshold,
    feature_matrix,
    fit,
    labels,
    scores,
)

BASELINE = ("vader_compound", "vader_negative", "profanity")


def main() -> int:
    folder = datasets_dir()
    if folder is None or not (folder / "goemotions").is_dir():
        print(missing_message("bench/frustration.py skipped"))
        return 0
    train, dev = goemotions_frustration(folder, "train"), goemotions_frustration(folder, "dev")
    x_train, y_train = feature_matrix(train), labels(train)
    x_dev, y_dev = feature_matrix(dev), labels(dev)
    print(f"GoEmotions: {len(train)} train, {len(dev)} dev, {y_dev.mean():.1%} of dev positive")

    vader = roc_auc_score(y_dev, -x_dev[:, FEATURES.index("vader_compound")])
    columns = [FEATURES.index(name) for name in BASELINE]
    weights, intercept = fit(x_train[:, columns], y_train, BASELINE)
    baseline_scores = intercept + x_dev[:, columns] @ np.array([weights[n] for n in BASELINE])
    baseline = roc_auc_score(y_dev, baseline_scores)
    model = load_model()
    model_scores = scores(model, x_dev)
    ours = roc_auc_score(y_dev, model_scores)

    predicted = model_scores >= model.threshold
    precision = (predicted & (y_dev == 1)).sum() / max(predicted.sum(), 1)
    recall = (predicted & (y_dev == 1)).sum() / max((y_dev == 1).sum(), 1)
    print(f"AUC  VADER alone (-compound):         {vader:.3f}")
    print(f"AUC  VADER + profanity (LR):          {baseline:.3f}")
    print(f"AUC  model ({len(FEATURES)} features, committed):  {ours:.3f}")
    print(
        f"at the committed threshold {model.threshold:.3f}: precision {precision:.3f}, "
        f"recall {recall:.3f} (F1-best threshold on dev now: "
        f"{best_f1_threshold(y_dev, model_scores):.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
