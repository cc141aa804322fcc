"""Fit the frustration model on GoEmotions train and choose its threshold on dev.

Used by ``python manage.py train_frustration`` and by ``bench/frustration.py``. Needs the
public data set (``routing.text.datasets``); the app itself only needs the JSON this writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve, roc_auc_score

from routing.text.datasets import LabelledText, goemotions_frustration
from routing.text.frustration import FEATURES, FrustrationModel, features

SOURCE = (
    "Fitted on GoEmotions train (Google; monologg/GoEmotions-pytorch data/original, "
    "Apache-2.0); positive = anger, annoyance, disappointment, disapproval, disgust; "
    "threshold maximises F1 on GoEmotions dev."
)


def feature_matrix(rows: Sequence[LabelledText], names: Sequence[str] = FEATURES) -> np.ndarray:
    return np.array([[values[name] for name in names] for values in map(_features, rows)])


def _features(row: LabelledText) -> dict[str, float]:
    return features(row.text)


def labels(rows: Sequence[LabelledText]) -> np.ndarray:
    return np.array([row.label for row in rows])


def fit(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> tuple[dict[str, float], float]:
    """Standardise, fit an L2 logistic regression, and fold the scaling back into the weights
    so that scoring needs neither numpy nor scikit-learn."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale
    intercept = float(model.intercept_[0] - np.sum(weights * mean))
    return dict(zip(names, (float(w) for w in weights), strict=True)), intercept


def best_f1_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


@dataclass(frozen=True)
class Trained:
    model: FrustrationModel
    dev_auc: float
    train_size: int
    dev_size: int

    def to_json(self) -> str:
        return self.model.to_json(
            source=SOURCE,
            dev_auc=round(self.dev_auc, 4),
            train_size=self.train_size,
            dev_size=self.dev_size,
        )


def scores(model: FrustrationModel, x: np.ndarray) -> np.ndarray:
    weights = np.array([model.weights[name] for name in FEATURES])
    return 1.0 / (1.0 + np.exp(-(model.intercept + x @ weights)))


def train(folder: Path) -> Trained:
    train_rows = goemotions_frustration(folder, "train")
    dev_rows = goemotions_frustration(folder, "dev")
    x_train, y_train = feature_matrix(train_rows), labels(train_rows)
    x_dev, y_dev = feature_matrix(dev_rows), labels(dev_rows)
    weights, intercept = fit(x_train, y_train, FEATURES)
    provisional = FrustrationModel(weights, intercept, 0.5)
    dev_scores = scores(provisional, x_dev)
    model = FrustrationModel(weights, intercept, best_f1_threshold(y_dev, dev_scores))
    return Trained(model, float(roc_auc_score(y_dev, dev_scores)), len(train_rows), len(dev_rows))
