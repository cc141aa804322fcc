"""Mask personal data in the copy of a question that experts see.

``redact(text)`` replaces e-mail addresses, IBANs, payment card numbers, phone numbers and
street addresses with ``[email]``, ``[iban]``, ``[card]``, ``[phone]`` and ``[address]``.
Each detector runs on the original text in that order of priority; a later detector never
claims characters an earlier one already claimed (an IBAN's digits are not also a phone).

What it catches, and what it does not (the golden corpus in
``tests/routing/test_redaction.py`` pins both):

- e-mail: ordinary and plus-addressed forms, and spelled-out forms such as
  ``jane at example dot com`` or ``jane[at]example[.]com``;
- IBAN: with or without spaces, any case, validated by python-stdnum (the country's own
  length and layout, and the ISO 13616 mod-97 check), so a look-alike that fails stays;
- card: 13-19 digits starting with 2-6 (the ranges card networks use), optionally grouped by
  single spaces, dashes or dots, validated with the Luhn check. Order numbers that fail Luhn are
  kept. A 13-19 digit number that happens to pass Luhn *is* masked: about one in ten random
  numbers does, which is the price of not leaking real cards;
- phone: ``phonenumbers``' matcher over the launch regions, accepting international forms
  (``+49 …``, ``0049 …``) always and national forms only when they look like a phone
  (trunk ``0``, parentheses, the North American ``555-123-4567`` and ``1-800-555-0199``
  shapes, or a phone word such as "call" or "mobile" just before; "number" alone is not one),
  and never right after an order, part, model, serial or barcode word, so the numbers experts
  need survive. A 12-14 digit number after UPC/EAN/GTIN/barcode that passes the GS1 check is
  a barcode, never a card;
- address: regular expressions for common English ("221B Baker Street", "12 Main St,
  Springfield, IL 62704", "PO Box 12") and German ("Hauptstraße 5", "Am Markt 3a",
  "Berliner Str. 12, 10115 Berlin", "Postfach 1234") street lines. This is the weakest
  detector: a street without a typical suffix ("Unter den Linden 77", "Rue de Rivoli 10"),
  free-form directions or a town name on its own are not recognised, and a product named like
  a street ("5 Harbour Road jacket") would be masked. Names of people are not detected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

PLACEHOLDERS = {
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "phone": "[phone]",
    "address": "[address]",
}

# Regions whose national formats the phone matcher understands. International numbers
# (with + or 00) are recognised whatever the region.
PHONE_REGIONS = ("US", "GB", "DE", "AT", "CH", "FR", "ES", "IT", "NL")


@dataclass(frozen=True)
class Redaction:
    """The redacted text and the kinds of personal data found, in order of appearance."""

    text: str
    kinds: list[str]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


# ---------------------------------------------------------------- e-mail

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)
# "jane at example dot com", "jane (at) example (dot) com", "jane[at]example[.]com".
_AT = r"(?:\s*[\[(]\s*(?:at|@)\s*[\])]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[(]\s*(?:dot|\.)\s*[\])]\s*|\s+dot\s+)"
_SPELLED_EMAIL = re.compile(
    rf"\b[A-Za-z0-9][A-Za-z0-9._+-]*(?:{_DOT}[A-Za-z0-9._+-]+)*{_AT}"
    rf"[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}\b(?!{_AT})",
    re.IGNORECASE,
)


def _emails(text: str) -> Iterator[_Span]:
    for pattern in (_EMAIL, _SPELLED_EMAIL):
        for match in pattern.finditer(text):
            yield _Span(match.start(), match.end(), "email")


# ---------------------------------------------------------------- IBAN and card numbers


# A run of alphanumeric groups separated by single spaces or dashes.
_IBAN_RUN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4})+(?![A-Za-z0-9])", re.IGNORECASE
)
# Printed the usual way (upper case, groups of four or compact): used only to keep the digits
# of a mistyped IBAN from being taken for a card or a phone.
_IBAN_SHAPED = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
)
# Digits grouped by single spaces, dashes or dots ("4111.1111.1111.1111"); 13+ digits are
# needed before anything is masked, so prices, dates and versions never qualify.
_DIGIT_RUN = re.compile(r"(?<![\d.,/:-])\d+(?:[ .-]\d+)*(?![\d])")


def iban_is_valid(candidate: str) -> bool:
    """ISO 13616 as python-stdnum checks it: the country's own length and layout (a German
    IBAN has 22 characters, all digits after the country code) and the mod-97 check."""
    compact = re.sub(r"[ -]", "", candidate).upper()
    if not (15 <= len(compact) <= 34) or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact):
        return False
    try:
        # The country's layout and length and the mod-97 check; not the national checks,
        # which also need the bank to be in stdnum's registry (an unknown bank is still a
        # bank account to hide).
        stdnum_iban.validate(compact, check_country=False)
    except ValidationError:
        return False
    return True


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _group_bounds(text: str, start: int, end: int) -> list[tuple[int, int]]:
    found = re.finditer(r"[A-Za-z0-9]+", text[start:end])
    return [(m.start() + start, m.end() + start) for m in found]


def _longest_valid_run(
    text: str,
    groups: list[tuple[int, int]],
    first: int,
    max_chars: int,
    valid: Callable[[str], bool],
) -> tuple[int, int, int] | None:
    """The longest run of whole groups from ``groups[first]`` that passes ``valid``, as (start,
    end, index of its last group). Greedy regexes may swallow a following word or CVV; trying
    whole groups keeps the real number, and ``max_chars`` keeps a long run of digits linear."""
    found = None
    length = 0
    for last in range(first, len(groups)):
        length += groups[last][1] - groups[last][0]
        if length > max_chars:
            break
        if valid(text[groups[first][0] : groups[last][1]]):
            found = (groups[first][0], groups[last][1], last)
    return found


def _ibans(text: str) -> Iterator[_Span]:
    for match in _IBAN_RUN.finditer(text):
        groups = _group_bounds(text, match.start(), match.end())
        found = _longest_valid_run(text, groups, 0, 34, iban_is_valid)
        if found:
            yield _Span(found[0], found[1], "iban")


def _card_is_valid(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return (
        13 <= len(digits) <= 19
        and digits[0] in "23456"
        and len(set(digits)) > 1
        and luhn_is_valid(digits)
    )


def gtin_is_valid(digits: str) -> bool:
    """GS1 check digit of an EAN/UPC/GTIN (8, 12, 13 or 14 digits)."""
    if len(digits) not in (8, 12, 13, 14) or not digits.isdigit():
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _cards(text: str) -> Iterator[_Span]:
    for match in _DIGIT_RUN.finditer(text):
        compact = re.sub(r"\D", "", match.group())
        if gtin_is_valid(compact) and _BARCODE_BEFORE.search(
            text[max(0, match.start() - 40) : match.start()]
        ):
            continue
        groups = _group_bounds(text, match.start(), match.end())
        # Try every starting group: "order 12 4111 1111 1111 1111" still hides the card.
        first = 0
        while first < len(groups):
            found = _longest_valid_run(text, groups, first, 19, _card_is_valid)
            if found:
                yield _Span(found[0], found[1], "card")
                first = found[2] + 1
            else:
                first += 1


# ---------------------------------------------------------------- phone numbers

# Words after which a number is the product's or the order's, not a person's: experts need
# part, model, order and barcode numbers to help.
_PRODUCT_CODE_WORDS = (
    r"order|invoice|tracking|parcel|ticket|case|ref(?:erence)?|sku|serial|s/n|sn|model|"
    r"part|p/n|item|product|upc|ean|gtin|barcode|isbn|batch|lot|firmware|version|"
    r"account|acct|customer|kunden|bestell|rechnung|sendung|auftrag|commande|pedido|"
    r"artikel|article|art\.?-?nr|teilenummer|modell|code|#"
)
_NOT_A_PHONE_BEFORE = re.compile(
    rf"(?:{_PRODUCT_CODE_WORDS})\W{{0,3}}(?:\w+\W{{1,3}}){{0,2}}$",
    re.IGNORECASE,
)
# A phone word right before the number makes a national form count as a phone. "number" (or
# "Nummer", "número") alone does not: "the number on the box is 5551234567" is a product's.
_PHONE_CONTEXT_BEFORE = re.compile(
    r"(?:phone|tel|call|ring|mobile|cell|handy|telefon|téléphone|portable|whatsapp|sms|"
    r"text me|reach me|erreichbar|anrufen|ruf|chiamami|chiama|llámame|llama|appelle|appelez)"
    r"\W{0,3}(?:\w+\W{1,3}){0,3}$",
    re.IGNORECASE,
)
# A barcode word before a number that passes the GTIN check: a barcode, even when the digits
# happen to pass the card check too.
_BARCODE_BEFORE = re.compile(r"(?:upc|ean|gtin|barcode|isbn)\W{0,3}(?:\w+\W{1,3}){0,2}$", re.I)
_NANP_SHAPE = re.compile(r"^\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}$")
# Written like a phone even when the number is not (yet) valid in the metadata: "+44 7700
# 900123" (a reserved drama range), "(555) 123-4567".
_INTERNATIONAL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,5}\)?(?:[ .\/-]?\d){5,12}(?!\d)"
)
_NANP = re.compile(r"(?<![\w-])(?:1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[.-]\d{4}(?![\w-])")


# 03.11.2024, 3/11/24, 2024-11-03: dates, which phone matchers take for national numbers.
_DATE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}-\d{1,2}-\d{1,2})$")


def _phone_looks_real(raw: str, before: str) -> bool:
    if raw.startswith(("+", "00")):
        return True
    if _DATE.match(raw.strip()):
        return False
    before = before[-40:]
    if _NOT_A_PHONE_BEFORE.search(before):
        return False
    if _PHONE_CONTEXT_BEFORE.search(before):
        return True
    return raw.startswith(("0", "(")) or bool(_NANP_SHAPE.match(raw))


def _phones(text: str) -> Iterator[_Span]:
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            if _phone_looks_real(match.raw_string, text[: match.start]):
                yield _Span(match.start, match.end, "phone")
    for pattern in (_INTERNATIONAL, _NANP):
        for found in pattern.finditer(text):
            if not _NOT_A_PHONE_BEFORE.search(text[max(0, found.start() - 40) : found.start()]):
                yield _Span(found.start(), found.end(), "phone")


# ---------------------------------------------------------------- street addresses

_EN_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|"
    r"Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy"
)
_EN_STREET = (
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){{1,3}}(?:{_EN_STREET_TYPES})\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*\w+)?"
    # ", Springfield, IL 62704" or ", London SW1A 1AA"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?(?:,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?"
    r"|\s+[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?)?"
)
_DE_SUFFIX = r"(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|steig|pfad)"
_DE_WORD = r"(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee)"
_HOUSE_NUMBER = r"\s+\d{1,4}(?:\s?[a-zA-Z]\b)?(?:\s?[-/]\s?\d{1,4})?"
_DE_STREET = (
    # "Hauptstraße 5", "Berliner Str. 12a", "Alte Gasse 3", "Am Markt 3", "An der Alster 1"
    rf"(?:\b[A-ZÄÖÜ][a-zäöüß-]*{_DE_SUFFIX}|\b[A-ZÄÖÜ][a-zäöüß-]+\s+{_DE_WORD}"
    r"|\b(?:Am|An der|Auf dem|Im|In der|Zum|Zur)\s+[A-ZÄÖÜ][a-zäöüß]+)"
    rf"{_HOUSE_NUMBER}"
    # ", 10115 Berlin"
    r"(?:,?\s+\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß-]+)?"
)
# "12 rue de Rivoli", "5, avenue des Champs-Élysées"; "Calle Mayor 5", "Via Roma 10".
_FR_STREET = (
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
    r"impasse|quai|route)\s+(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?[A-ZÀ-Ý][\w'-]+"
    r"(?:,?\s+\d{5}\s+[A-ZÀ-Ý][\w-]+)?"
)
_ES_IT_STREET = (
    r"\b(?:Calle|C/|Avenida|Avda\.|Plaza|Paseo|Via|Viale|Piazza|Corso)\s+"
    r"(?:(?:de|del|de la|della|dei)\s+)?[A-ZÀ-Ý][\w'-]+(?:\s+[A-ZÀ-Ý][\w'-]+)?,?\s+\d{1,4}\b"
)
_PO_BOX = r"\b(?:P\.?\s?O\.?\s+Box|Postfach)\s+\d{1,6}\b"
_ADDRESS = re.compile(rf"{_EN_STREET}|{_DE_STREET}|{_FR_STREET}|{_ES_IT_STREET}|{_PO_BOX}")


def _addresses(text: str) -> Iterator[_Span]:
    for match in _ADDRESS.finditer(text):
        yield _Span(match.start(), match.end(), "address")


# ---------------------------------------------------------------- the interface

# What mask_cards() leaves of a card number in stored text; experts see only "[card]".
_MASKED_CARD = re.compile(r"\[card ending \d{4}\]")


def _masked_cards(text: str) -> Iterator[_Span]:
    for match in _MASKED_CARD.finditer(text):
        yield _Span(match.start(), match.end(), "card")


_DETECTORS = (_masked_cards, _emails, _ibans, _cards, _phones, _addresses)


def mask_cards(text: str) -> str:
    """Replace every payment card number in ``text`` with ``[card ending 1111]``.

    Applied before customer text is stored (questions, messages, rating comments), so no one,
    staff included, ever sees more than the last four digits, and no database dump holds a
    full number. Uses the same detector as ``redact`` (Luhn-valid 13-19 digits, IBANs first).
    """
    if not text or not any(ch.isdigit() for ch in text):
        return text
    blocked = list(_ibans(text)) + [
        _Span(m.start(), m.end(), "iban") for m in _IBAN_SHAPED.finditer(text)
    ]
    pieces: list[str] = []
    cursor = 0
    for span in _cards(text):
        if any(span.start < other.end and span.end > other.start for other in blocked):
            continue
        digits = re.sub(r"\D", "", text[span.start : span.end])
        pieces.append(text[cursor : span.start])
        pieces.append(f"[card ending {digits[-4:]}]")
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redact(text: str) -> Redaction:
    """Replace personal data in ``text`` with labelled placeholders.

    Pure and deterministic; safe to call on any string. Never logs the text.
    """
    claimed: list[_Span] = []
    # Digits inside something shaped like an IBAN that failed its check are neither a card
    # nor a phone ("DE89 3704 0044 …" with a typo must not become "DE89 3704 [phone]").
    iban_shaped = [_Span(m.start(), m.end(), "iban") for m in _IBAN_SHAPED.finditer(text)]
    for detect in _DETECTORS:
        for span in detect(text):
            blocked = claimed if span.kind not in {"card", "phone"} else claimed + iban_shaped
            if all(span.end <= other.start or span.start >= other.end for other in blocked):
                claimed.append(span)
    claimed.sort(key=lambda span: span.start)
    pieces: list[str] = []
    cursor = 0
    kinds: list[str] = []
    for span in claimed:
        pieces.append(text[cursor : span.start])
        pieces.append(PLACEHOLDERS[span.kind])
        cursor = span.end
        if span.kind not in kinds:
            kinds.append(span.kind)
    pieces.append(text[cursor:])
    return Redaction("".join(pieces), kinds)
