"""Golden corpus for PII redaction (RELIABILITY.md finding 0.3 and check 52).

Every line is an exact expectation: what an expert sees for what a customer wrote. A detector
change that unmasks a card or starts eating order numbers fails here. The numbers are the
card networks' and banks' published test numbers, and phone numbers from fictional or
example ranges.
"""

from __future__ import annotations

import pytest

from routing.text import Redaction, redact
from routing.text.redaction import iban_is_valid, luhn_is_valid

# (what the customer wrote, what the expert sees)
MASKED: list[tuple[str, str]] = [
    # --- e-mail
    ("Mail me at jane.doe@example.com please", "Mail me at [email] please"),
    ("jane.doe+orders@example.co.uk wrote this", "[email] wrote this"),
    ("Kontakt: max_mustermann-1@mail.example.de.", "Kontakt: [email]."),
    ("Écrivez à marie.dupont@exemple.fr, merci", "Écrivez à [email], merci"),
    ("<JOHN.SMITH@EXAMPLE.ORG>", "<[email]>"),
    ("reach me on jane at example dot com", "reach me on [email]"),
    ("jane (at) example (dot) com", "[email]"),
    ("schreib an max[at]example[dot]de", "schreib an [email]"),
    ("jane dot doe at example dot com", "[email]"),
    # --- cards: grouped by spaces or dashes, compact, all the big networks
    ("My card is 4111 1111 1111 1111, exp 12/27", "My card is [card], exp 12/27"),
    ("card 4111-1111-1111-1111 cvv 123", "card [card] cvv 123"),
    ("4242424242424242", "[card]"),
    ("Mastercard 5555 5555 5555 4444 was charged twice", "Mastercard [card] was charged twice"),
    ("Amex 3782 822463 10005", "Amex [card]"),
    ("Karte: 3714-496353-98431", "Karte: [card]"),
    ("Discover 6011 1111 1111 1117.", "Discover [card]."),
    ("JCB 3530 1113 3330 0000 abgelehnt", "JCB [card] abgelehnt"),
    ("Diners 3056 930902 5904", "Diners [card]"),
    ("new MC 2223 0031 2200 3222", "new MC [card]"),
    ("Ma carte 4000 0566 5566 5556 a été débitée", "Ma carte [card] a été débitée"),
    ("4111 1111 1111 1111 123", "[card] 123"),  # a CVV after the number stays outside
    ("order 12 4111 1111 1111 1111", "order 12 [card]"),
    ("Karte 4111.1111.1111.1111, Ablauf 04/28", "Karte [card], Ablauf 04/28"),
    ("pay 4111 1111 1111 1111 4242 4242 4242 4242 ok", "pay [card] [card] ok"),
    # --- IBAN: spaced, compact, lower case, letters in the BBAN
    ("IBAN: DE89 3704 0044 0532 0130 00 thanks", "IBAN: [iban] thanks"),
    ("iban de89370400440532013000 and more", "iban [iban] and more"),
    ("GB82 WEST 1234 5698 7654 32", "[iban]"),
    ("Virement sur FR14 2004 1010 0505 0001 3M02 606", "Virement sur [iban]"),
    ("NL91ABNA0417164300 is mijn rekening", "[iban] is mijn rekening"),
    ("Konto AT61 1904 3002 3457 3201 bitte", "Konto [iban] bitte"),
    ("CH93 0076 2011 6238 5295 7", "[iban]"),
    ("Mi cuenta ES91 2100 0418 4502 0005 1332.", "Mi cuenta [iban]."),
    ("IT60 X054 2811 1010 0000 0123 456", "[iban]"),
    ("IBAN DE89370400440532013000 or call 0171 2345678", "IBAN [iban] or call [phone]"),
    # --- phones: international, national, several regions and shapes
    ("Call me at +49 30 1234567", "Call me at [phone]"),
    ("+49 (0)30 1234567", "[phone]"),
    ("tel 0044 20 7946 0958", "tel [phone]"),
    ("Ruf mich an: 030 1234567", "Ruf mich an: [phone]"),
    ("Festnetz 030/1234567", "Festnetz [phone]"),
    ("Meine Nummer: 0171 2345678", "Meine Nummer: [phone]"),
    ("07700 900123 is my mobile", "[phone] is my mobile"),
    ("+44 7700 900123", "[phone]"),
    ("Call 020 7946 0958 today", "Call [phone] today"),
    ("my number is (212) 736-5000", "my number is [phone]"),
    ("text me on 201-555-0123", "text me on [phone]"),
    ("my number is (555) 123-4567", "my number is [phone]"),
    ("+1 212 736 5000 after 5pm", "[phone] after 5pm"),
    ("Téléphone : 01 23 45 67 89", "Téléphone : [phone]"),
    ("Appelez le +33 6 12 34 56 78", "Appelez le [phone]"),
    ("Llámame al +34 612 345 678", "Llámame al [phone]"),
    ("chiamami al 347 1234567", "chiamami al [phone]"),
    ("Bel me op +31 20 123 4567", "Bel me op [phone]"),
    # --- addresses
    ("I live at 221B Baker Street, London NW1 6XE", "I live at [address]"),
    ("Send it to 12 Main St, Springfield, IL 62704", "Send it to [address]"),
    ("Ship to 1600 Pennsylvania Avenue please", "Ship to [address] please"),
    ("Lieferadresse: Hauptstraße 5, 10115 Berlin", "Lieferadresse: [address]"),
    ("Berliner Str. 12a bitte", "[address] bitte"),
    ("Am Markt 3 in Bremen", "[address] in Bremen"),
    ("Lieferung an Musterweg 12-14", "Lieferung an [address]"),
    ("12 rue de Rivoli, 75001 Paris", "[address]"),
    ("Calle Mayor 5, Madrid", "[address], Madrid"),
    ("PO Box 1234", "[address]"),
    ("Postfach 4711, bitte", "[address], bitte"),
    # --- several kinds in one message
    (
        "I'm Carol, carol@example.com, +49 171 2345678, card 4111 1111 1111 1111",
        "I'm Carol, [email], [phone], card [card]",
    ),
]

# Look-alikes that must reach the expert untouched.
KEPT: list[str] = [
    "Order 1234567890123 has not arrived",  # 13 digits, fails Luhn
    "Order #4711 0815 2342 was late",
    "Bestellnummer 0815-4711-2024",
    "Order number 12345678 arrived 2024-03-12",
    "Invoice 2024-000123",
    "Ticket 30123456 please",
    "Tracking 1Z999AA10123456784",
    "Order 347 1234567",  # an Italian mobile shape, but it says "order"
    "Card ending in 1111",
    "4111 1111 1111 1112",  # one digit off: fails Luhn
    "1234 5678 1234 5670",  # passes Luhn, but no card network starts with 1
    "0000 0000 0000 0000",
    "DE89 3704 0044 0532 0130 01",  # IBAN with a typo: fails mod-97
    "SKU TB2-0419 and RL-2P-2023",
    "I bought the TB2-0419 on 12.03.2024 for 129,99 €",
    "ordered 3 pairs on 03/12/2024 at 14:30",
    "Lieferung am 24.12.2025 zwischen 10:00 und 12:00",
    "Price was $1,299.00, model XPS 9310",
    "Der Preis lag bei 1.299,00 EUR",
    "Der Preis lag bei 1.299.999,00 EUR",
    "Server 192.168.100.200 and version 10.4.2.1",
    "Modell 2024 Größe 42",
    "The size 44 2/3 shoe",
    "version 2.13.0 of the app",
    "firmware 10.4.2-b7 on the GPS 64sx",
    "It is 3 times I asked, 10 days ago",
    "We have 2 New Balance trainers",
    "Ridgeline 2P Tent, 2 kg, 210 x 140 cm",
    "Battery 5000 mAh, 20 W charging",
    "Wait 48 hours then call support",
    "iPhone 15 Pro Max 256GB",
    "Ma commande 2024-11-0042 est en retard",
    "Pedido 88213 no ha llegado",
    "Mi ordine numero 12345 è in ritardo",
    "Rated 4.5/5 by 1203 customers",
    "ISBN 978-3-16-148410-0",
    "Call me back tomorrow",
    "The email arrived yesterday",
    "I live at the end of the street",
    "Year 2023, 2024 and 2025",
]


@pytest.mark.parametrize(("written", "seen"), MASKED)
def test_personal_data_is_masked(written: str, seen: str) -> None:
    # when
    redaction = redact(written)

    # then
    assert redaction.text == seen


@pytest.mark.parametrize("written", KEPT)
def test_look_alikes_are_kept(written: str) -> None:
    # when
    redaction = redact(written)

    # then
    assert redaction == Redaction(written, [])


def test_corpus_is_large_enough_to_mean_something() -> None:
    assert len(MASKED) + len(KEPT) >= 80


def test_kinds_are_listed_once_in_order_of_appearance() -> None:
    # given
    written = "call +49 30 1234567 or +49 30 7654321, or write to a@example.com; Hauptstraße 5"

    # when
    redaction = redact(written)

    # then
    assert redaction.kinds == ["phone", "email", "address"]
    assert redaction.text == "call [phone] or [phone], or write to [email]; [address]"


def test_nothing_to_mask_leaves_text_identical() -> None:
    assert redact("") == Redaction("", [])
    assert redact("Hello, does the tent fit two people?") == Redaction(
        "Hello, does the tent fit two people?", []
    )


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_is_valid(number) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("gb82west12345698765432", True),
        ("DE89 3704 0044 0532 0130 01", False),
        ("DE89", False),
        ("XX00 0000 0000 0000", False),
    ],
)
def test_iban_check(iban: str, valid: bool) -> None:
    assert iban_is_valid(iban) is valid


# ---- Generated variants: every test card and IBAN in every common layout, and libphonenumber's
# example numbers for the launch regions in E.164, international and national format.

CARDS = [
    "4111111111111111",
    "4242424242424242",
    "5555555555554444",
    "5105105105105100",
    "2223003122003222",
    "6011111111111117",
    "3530111333300000",
    "4000056655665556",
    "6759649826438453",
]
IBANS = [
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "AT611904300234573201",
    "CH9300762011623852957",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "BE68539007547034",
]
SENTENCES = [
    "Please charge {} again",
    "Bitte buchen Sie von {} ab.",
    "J'ai payé avec {}, merci",
]


def _grouped(number: str, separator: str) -> str:
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


def _one_off(number: str) -> str:
    """The same number with its last digit changed: fails Luhn."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _phone_examples() -> list[str]:
    import phonenumbers

    formats = (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    kinds = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
    found: list[str] = []
    for region in ("US", "GB", "DE", "AT", "CH", "FR", "ES", "IT", "NL"):
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            found += [phonenumbers.format_number(number, layout) for layout in formats]
    return sorted(set(found))


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("separator", ["", " ", "-", "."])
def test_every_card_layout_is_masked(card: str, separator: str, sentence: str) -> None:
    written = sentence.format(_grouped(card, separator))
    assert redact(written).text == sentence.format("[card]")


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("separator", ["", " ", "-"])
def test_a_card_number_one_digit_off_is_kept(card: str, separator: str) -> None:
    written = f"Order {_grouped(_one_off(card), separator)} is late"
    assert redact(written) == Redaction(written, [])


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("iban", IBANS)
@pytest.mark.parametrize("separator", ["", " "])
def test_every_iban_layout_is_masked(iban: str, separator: str, sentence: str) -> None:
    written = sentence.format(_grouped(iban, separator))
    assert redact(written).text == sentence.format("[iban]")


@pytest.mark.parametrize("phone", _phone_examples())
def test_example_numbers_of_the_launch_regions_are_masked(phone: str) -> None:
    assert redact(f"Please call me on {phone} tomorrow").text == (
        "Please call me on [phone] tomorrow"
    )
