"""The surge detector on synthetic data: a burst of one problem fires at ``min_count``, a
question the product always gets needs ``multiplier`` times its usual count, scattered
questions never fire, and two problems at once are two surges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from routing.text.surge import SurgeSettings, find_surges, group, question_vectors, same_problem

DIM = 32
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SETTINGS = SurgeSettings(
    window=timedelta(hours=6),
    similarity=0.6,
    multiplier=3.0,
    min_count=4,
    baseline=timedelta(days=28),
)


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def around(topic: np.ndarray, count: int, rng: np.random.Generator, noise: float = 0.25) -> list:
    """Paraphrases of one question: the topic's direction plus a little noise each."""
    return [unit(topic + noise * unit(rng.normal(size=DIM))) for _ in range(count)]


def scattered(count: int, rng: np.random.Generator) -> list:
    return [unit(rng.normal(size=DIM)) for _ in range(count)]


def times(count: int) -> list[datetime]:
    return [NOW - timedelta(minutes=10 * (count - i)) for i in range(count)]


def surges(recent: list, history: list | None = None) -> list:
    history_matrix = np.stack(history) if history else np.zeros((0, DIM), dtype=np.float32)
    return find_surges(
        recent=np.stack(recent),
        recent_at=times(len(recent)),
        history=history_matrix,
        history_span=SETTINGS.baseline,
        settings=SETTINGS,
    )


@pytest.mark.parametrize("seed", range(5))
def test_a_burst_of_one_problem_fires_at_min_count(seed: int) -> None:
    # given a window of scattered questions and four paraphrases of one problem
    rng = np.random.default_rng(seed)
    topic = unit(rng.normal(size=DIM))
    recent = scattered(6, rng) + around(topic, 4, rng)

    # when / then one surge, of exactly the paraphrases, with nothing usual about it
    found = surges(recent, history=scattered(200, rng))
    assert len(found) == 1
    assert found[0].members == [6, 7, 8, 9]
    assert found[0].count == 4
    assert found[0].expected == 0
    assert found[0].first_at == times(10)[6]


@pytest.mark.parametrize("seed", range(5))
def test_one_short_of_min_count_does_not_fire(seed: int) -> None:
    rng = np.random.default_rng(seed)
    topic = unit(rng.normal(size=DIM))
    assert surges(scattered(6, rng) + around(topic, 3, rng)) == []


@pytest.mark.parametrize("seed", range(5))
def test_scattered_questions_never_fire(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert surges(scattered(60, rng), history=scattered(300, rng)) == []


def test_a_question_the_product_always_gets_needs_multiplier_times_its_usual_count() -> None:
    # given a product asked "how do I clean them?" 8 times a day for 28 days: two in a
    # 6-hour window on average, so the limit is max(min count 4, 3 x 2) = 6
    rng = np.random.default_rng(7)
    topic = unit(rng.normal(size=DIM))
    usual = around(topic, 8 * 28, rng)

    # then five in the window is the usual noise, six is a surge
    assert surges(around(topic, 5, rng), history=usual) == []
    found = surges(around(topic, 6, rng), history=usual)
    assert len(found) == 1
    assert found[0].expected == pytest.approx(2.0, abs=0.01)
    assert found[0].limit == pytest.approx(6.0, abs=0.01)


def test_two_problems_at_once_are_two_surges_biggest_first() -> None:
    rng = np.random.default_rng(3)
    first, second = unit(rng.normal(size=DIM)), unit(rng.normal(size=DIM))
    recent = around(first, 4, rng) + around(second, 6, rng) + scattered(5, rng)
    found = surges(recent)
    assert [s.count for s in found] == [6, 4]
    assert same_problem(found[0].centroid, [second], 0.6)
    assert not same_problem(found[0].centroid, [first], 0.6)


def test_grouping_follows_the_centroid_not_the_first_member() -> None:
    # a chain a ~ b ~ c where a and c are far apart: joined only while the centroid agrees
    vectors = np.stack([unit(np.array([1.0, 0.0])), unit(np.array([1.0, 1.0]))])
    assert group(vectors, 0.6) == [[0, 1]]
    assert group(vectors, 0.9) == [[0], [1]]


def test_tfidf_puts_paraphrases_of_one_problem_in_one_group() -> None:
    texts = [
        "The sole of my Trailblazer 2 is peeling off after a week",
        "Trailblazer 2 sole peeling off, only bought them last week",
        "My new Trailblazer 2: the sole is coming off at the toe",
        "Is the sole peeling off on everyone's Trailblazer 2?",
        "How do I wash the Ridgeline tent?",
        "What size should I order for wide feet?",
    ]
    vectors, backend = question_vectors(texts, backend="tfidf")
    assert backend == "tfidf"
    groups = group(vectors, SurgeSettings().similarity_for("tfidf"))
    assert [0, 1, 2, 3] in groups
