"""Language detection restricted to the brand's languages."""

from __future__ import annotations

import pytest

from routing.text import detect_language
from routing.text.language import FALLBACK_CONFIDENCE, MIN_VALUE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Does the Ridgeline tent fit two people with their backpacks?", "en"),
        ("Passt das Zelt für zwei Personen mit Rucksäcken?", "de"),
        ("Wo ist meine Bestellung?", "de"),
        ("Where is my order?", "en"),
        ("Der Reißverschluss ist nach zwei Tagen kaputt gegangen", "de"),
        ("The zip broke after two days", "en"),
    ],
)
def test_sentences_in_the_brands_languages_are_recognised_confidently(
    text: str, expected: str
) -> None:
    # given an English-first brand that also serves German
    allowed = ["en", "de"]

    # when
    code, confidence = detect_language(text, allowed)

    # then
    assert code == expected
    assert confidence >= MIN_VALUE


def test_french_sentence_is_recognised_when_the_brand_serves_french() -> None:
    code, confidence = detect_language("Bonjour, la tente est-elle imperméable ?", ["de", "fr"])
    assert code == "fr"
    assert confidence >= MIN_VALUE


@pytest.mark.parametrize("text", ["ok", "Hi", "TB2", "Hallo", "merci", "?!", "", "12345"])
def test_short_texts_fall_back_to_the_first_language_with_low_confidence(text: str) -> None:
    # when
    code, confidence = detect_language(text, ["de", "en"])

    # then
    assert code == "de"
    assert confidence <= FALLBACK_CONFIDENCE


def test_a_language_the_brand_does_not_serve_is_not_forced_into_one_it_does() -> None:
    # given French and Spanish to an English/German brand
    for text in ["Bonjour, la tente est-elle imperméable ?", "¿Cuándo llega mi pedido?"]:
        # when
        code, confidence = detect_language(text, ["en", "de"])

        # then
        assert code == "en"
        assert confidence <= FALLBACK_CONFIDENCE


def test_one_allowed_language_is_certain_and_none_allowed_is_none() -> None:
    assert detect_language("anything at all", ["de"]) == ("de", 1.0)
    assert detect_language("anything at all", []) == (None, 0.0)


def test_unknown_codes_are_ignored() -> None:
    code, confidence = detect_language("Wo ist meine Bestellung?", ["xx", "de"])
    assert code == "de"
    assert confidence >= MIN_VALUE
