"""Which of the brand's languages a question is written in.

lingua (``lingua-language-detector``) restricted to the brand's languages: restricting the
candidates is what makes short texts workable, and a detector per language set is built once
and kept (lingua loads each language model lazily, a few MB per language).

A short text is answered confidently only when lingua is sure *and* there is enough text for
that to mean something; otherwise the brand's first language comes back with a low
confidence, and the caller treats it as a default rather than a finding.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# Below this many letters or words nothing is decided ("ok", "TB2", "Hallo": single words
# are too often shared between languages, and lingua is confidently wrong on them).
MIN_LETTERS = 4
MIN_WORDS = 2
# lingua's values are not calibrated probabilities (over seven candidates a plain English
# sentence often scores 0.5), so the decision asks how far the best language is ahead of the
# runner-up: by length in words, a few words must lead by more than a sentence.
LEAD_BY_WORDS = ((3, 2.5), (6, 2.0))
LEAD_LONG = 1.5
MIN_VALUE = 0.4
# Widely used languages always among the candidates, so that a French question to an
# English/German brand is not forced into German with high confidence: if one of these wins,
# the answer is the fallback. Each language costs about 25-30 MB of memory per process once
# used (lingua's high-accuracy models, loaded lazily), so the list stays short.
SENTINELS = ("en", "de", "fr", "es")
# The confidence reported with a fallback never exceeds this.
FALLBACK_CONFIDENCE = 0.3

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def _language(code: str) -> Language | None:
    iso = getattr(IsoCode639_1, code.strip().upper(), None)
    if iso is None:
        return None
    try:
        return Language.from_iso_code_639_1(iso)
    except ValueError:
        return None


@lru_cache(maxsize=64)
def _detector(codes: tuple[str, ...]) -> LanguageDetector | None:
    languages = {language for code in codes if (language := _language(code)) is not None}
    if not languages:
        return None
    languages |= {language for code in SENTINELS if (language := _language(code)) is not None}
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _required_lead(words: int) -> float:
    for up_to, lead in LEAD_BY_WORDS:
        if words <= up_to:
            return lead
    return LEAD_LONG


def detect_language(text: str, allowed: list[str]) -> tuple[str | None, float]:
    """The ISO 639-1 code among ``allowed`` that ``text`` is written in, and a confidence 0..1.

    ``(None, 0.0)`` only when ``allowed`` is empty. With one allowed language that language is
    returned with confidence 1.0. When the text is too short, lingua is unsure, or the text
    looks like a widely used language the brand does not serve, the first allowed language
    comes back with a confidence of at most ``FALLBACK_CONFIDENCE``; a confident answer
    always has a confidence of at least ``MIN_VALUE``.
    """
    codes = [code.strip().lower() for code in allowed if code.strip()]
    if not codes:
        return None, 0.0
    if len(set(codes)) == 1:
        return codes[0], 1.0
    fallback = codes[0]
    words = len(_WORD.findall(text))
    detector = _detector(tuple(sorted(set(codes))))
    if detector is None or len(_LETTER.findall(text)) < MIN_LETTERS or words < MIN_WORDS:
        return fallback, 0.0
    values = detector.compute_language_confidence_values(text)
    by_code = {value.language.iso_code_639_1.name.lower(): value.value for value in values}
    best, runner_up = sorted(by_code, key=by_code.__getitem__, reverse=True)[:2]
    confidence = by_code[best]
    lead = confidence / max(by_code[runner_up], 1e-9)
    if best in codes and confidence >= MIN_VALUE and lead >= _required_lead(words):
        return best, round(confidence, 3)
    return fallback, round(min(by_code.get(fallback, 0.0), FALLBACK_CONFIDENCE), 3)
