"""Frustration and urgency on support-style messages: orderings, not exact values."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from routing.text import Frustration, frustration
from routing.text.frustration import (
    FEATURES,
    MODEL_PATH,
    features,
    frustration_threshold,
    load_model,
)
from routing.text.frustration_training import best_f1_threshold, fit

CALM = [
    "Does the Ridgeline tent fit two people?",
    "Hi, what size should I order if I'm between a 42 and a 43?",
    "Can I wash the trail shoes in the machine?",
    "Thanks so much, that fixed it!",
    "Passt das Zelt auch für zwei Personen?",
]
POLITELY_FRUSTRATED = [
    "I'm sorry to bother you again, but my refund still hasn't arrived after three weeks.",
    "I'm afraid the zip broke again. This is the third time I've written and I still have "
    "not received a reply.",
    "With respect, this is unacceptable. I would like to cancel my order.",
]
SARCASTIC = [
    "Great, just great. The replacement is broken too.",
    "Oh wonderful, another automated reply. Thanks for nothing.",
]
ANGRY = [
    "THIS IS UNACCEPTABLE!!! I want my money back NOW",
    "Your product is garbage and your support is useless. Cancel my order.",
    "What the fuck, the sole came off after one day. Worst purchase ever.",
]


def _scores(texts: list[str]) -> list[float]:
    return [frustration(text).score for text in texts]


def test_every_frustrated_message_scores_above_every_calm_one() -> None:
    calm = max(_scores(CALM))
    assert min(_scores(POLITELY_FRUSTRATED + SARCASTIC + ANGRY)) > calm


def test_angry_scores_above_polite_frustration_on_average() -> None:
    assert np.mean(_scores(ANGRY)) > np.mean(_scores(POLITELY_FRUSTRATED))


def test_calm_questions_stay_below_the_threshold_and_anger_above_it() -> None:
    threshold = frustration_threshold()
    assert all(score < threshold for score in _scores(CALM))
    assert all(score >= threshold for score in _scores(ANGRY + POLITELY_FRUSTRATED))


def test_sarcasm_scores_above_the_same_words_said_sincerely() -> None:
    # given
    sincere = frustration("Great, the replacement works. Thanks!")

    # when
    sarcastic = frustration("Great, just great. The replacement is broken too.")

    # then
    assert sarcastic.score > sincere.score
    assert "sarcasm" in sarcastic.signals
    assert "sarcasm" not in sincere.signals


def test_repeat_contact_raises_the_score_of_the_same_question() -> None:
    plain = frustration("Where is my order?")
    repeated = frustration("Where is my order? This is the third time I ask and still nothing.")
    assert repeated.score > plain.score
    assert "repeat_contact" in repeated.signals


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("THIS IS RIDICULOUS, WHERE IS IT", "shouting"),
        ("Where is it?!?!", "repeated_punctuation"),
        ("This shit broke", "profanity"),
        ("I want a refund", "complaint"),
        ("You are useless", "insult"),
        ("I need it urgently", "urgent"),
        ("This is a terrible, horrible, awful experience", "negative_sentiment"),
    ],
)
def test_signals_name_the_cue_that_fired(text: str, signal: str) -> None:
    assert signal in frustration(text).signals


def test_acronyms_are_not_shouting() -> None:
    assert "shouting" not in frustration("Does the GPS work with USB charging?").signals


def test_urgency_follows_urgent_words_and_time_pressure() -> None:
    calm = frustration("Does the tent come with pegs?")
    soon = frustration("Does the tent come with pegs? I leave tomorrow.")
    urgent = frustration("URGENT: I need the tent pegs asap, I leave tomorrow!")
    assert calm.urgency < soon.urgency < urgent.urgency
    assert all(0.0 <= f.urgency <= 1.0 for f in (calm, soon, urgent))


def test_result_is_bounded_and_plain() -> None:
    result = frustration("")
    assert isinstance(result, Frustration)
    assert 0.0 <= result.score <= 1.0
    assert result.signals == []


def test_committed_model_matches_the_feature_set_and_states_its_source() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES)
    assert set(data["weights"]) == set(FEATURES)
    assert "GoEmotions" in data["source"]
    assert "Apache-2.0" in data["source"]
    assert 0.0 < data["threshold"] < 1.0
    assert set(features("anything")) == set(FEATURES)


def test_fit_learns_the_direction_of_a_feature_and_folds_the_scaling() -> None:
    # given a synthetic set where only the first feature carries the label
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2)) * [10.0, 1.0] + [5.0, 0.0]
    y = (x[:, 0] > 5.0).astype(int)

    # when
    weights, intercept = fit(x, y, ["signal", "noise"])

    # then
    assert weights["signal"] > 0
    assert abs(weights["noise"]) < weights["signal"]
    # the raw-space model separates the classes without any scaling at scoring time
    z = intercept + x @ np.array([weights["signal"], weights["noise"]])
    assert ((z > 0).astype(int) == y).mean() > 0.95


def test_threshold_is_chosen_where_f1_is_best() -> None:
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    assert best_f1_threshold(y, scores) == pytest.approx(0.8)


def test_train_command_skips_with_a_message_without_the_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given
    monkeypatch.setenv("GIGCX_DATASETS_DIR", str(tmp_path / "nowhere"))
    out = StringIO()

    # when
    call_command("train_frustration", "--output", str(tmp_path / "model.json"), stdout=out)

    # then
    assert "not available" in out.getvalue()
    assert not (tmp_path / "model.json").exists()


def test_committed_model_beats_vader_alone_on_goemotions_dev() -> None:
    from sklearn.metrics import roc_auc_score

    from routing.text.datasets import datasets_dir, goemotions_frustration, missing_message
    from routing.text.frustration import load_model
    from routing.text.frustration_training import feature_matrix, labels, scores

    # given
    folder = datasets_dir()
    if folder is None:
        pytest.skip(missing_message("GoEmotions dev"))
    dev = goemotions_frustration(folder, "dev")
    x, y = feature_matrix(dev), labels(dev)

    # when
    model_auc = roc_auc_score(y, scores(load_model(), x))
    vader_auc = roc_auc_score(y, -x[:, FEATURES.index("vader_compound")])

    # then
    assert model_auc > vader_auc
    assert model_auc >= 0.79


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    # given
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    del data["weights"]["complaint"]
    stale = tmp_path / "frustration.json"
    stale.write_text(json.dumps(data), encoding="utf-8")

    # when / then
    with pytest.raises(ValueError, match="other features"):
        load_model(stale)
