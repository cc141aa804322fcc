"""The payments pages in German: an expert's earnings and a brand's payouts and rate card,
their flash messages and form errors, with money and dates in the German format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from payments import services
from payments.models import Payout
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def german(client: Any, url: str, **kwargs: Any) -> str:
    response = client.get(url, **GERMAN, **kwargs)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"
    return response.content.decode()


def test_the_expert_reads_her_earnings_in_german_with_german_money(
    cast: Any, client: Any, earned: Any, resolve: Any
) -> None:
    earned(cast.ada, 2)
    resolve(cast.ada)
    client.force_login(cast.ada)

    page = german(client, reverse("payments:expert-earnings"))

    assert "<h1>Einnahmen</h1>" in page
    assert "Abrechnung" in page
    assert "Auszahlung anfordern" in page
    assert "Verfügbar" in page
    assert "Ausstehend" in page
    assert "10,20 EUR" in page  # available, in the German number format
    assert "5,10 EUR" in page  # pending
    for english in ("Request a payout", "Payout destination", "Nothing here yet", "10.20 EUR"):
        assert english not in page


def test_her_flash_messages_and_errors_are_german(cast: Any, client: Any, earned: Any) -> None:
    earned(cast.ada, 3)
    client.force_login(cast.ada)
    page = reverse("payments:expert-earnings")

    saved = client.post(
        page,
        {"action": "destination", "provider": "bank", "account_holder": "Ada L", "iban": IBAN},
        follow=True,
        **GERMAN,
    )
    requested = client.post(
        page,
        {"action": "payout", "brand": "acme", "currency": "EUR", "amount": "12.50"},
        follow=True,
        **GERMAN,
    )
    bad = client.post(
        page,
        {"action": "payout", "brand": "acme", "currency": "EUR", "amount": "12.5x"},
        follow=True,
        **GERMAN,
    )

    assert "Auszahlungsziel gespeichert." in saved.content.decode()
    assert "Auszahlung von 12,50 EUR angefordert." in requested.content.decode()
    assert "Schreiben Sie den Betrag wie 12.50." in bad.content.decode()
    assert "Write the amount like" not in bad.content.decode()
    assert Payout.objects.get().amount == 1250  # the bad one was refused


def test_brand_staff_read_payouts_and_the_rate_card_in_german(
    cast: Any, client: Any, earned: Any
) -> None:
    earned(cast.ada, 3)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    client.force_login(cast.sam)

    ran = client.post(
        reverse("payments:brand-payouts", args=["acme"]),
        {"action": "run-batch"},
        follow=True,
        **GERMAN,
    )
    payouts = german(client, reverse("payments:brand-payouts", args=["acme"]))
    card = german(client, reverse("payments:brand-rate-card", args=["acme"]))

    assert ran.status_code == 200
    assert re.search(r"Auszahlungslauf #\d+ mit 1 Auszahlung erstellt\.", ran.content.decode())
    assert "<h1>Auszahlungen</h1>" in payouts
    assert "Auszahlungsläufe" in payouts
    assert "Auszahlungslauf starten" in payouts
    assert "Run payout batch" not in payouts
    assert "<h1>Vergütungstabelle</h1>" in card
    assert "Als neue Version speichern" in card
    assert "gültig seit" in card
    assert "Save as a new version" not in card
    assert "in force since" not in card

    missing_reason = client.post(
        reverse("payments:brand-payouts", args=["acme"]),
        {"action": "hold", "earning_id": "1", "reason": ""},
        follow=True,
        **GERMAN,
    )
    assert "Geben Sie einen Grund an." in missing_reason.content.decode()


def test_the_same_pages_stay_english_for_an_english_browser(
    cast: Any, client: Any, earned: Any
) -> None:
    earned(cast.ada, 2)
    client.force_login(cast.ada)

    page = client.get(reverse("payments:expert-earnings"), HTTP_ACCEPT_LANGUAGE="en").content

    assert b"<h1>Earnings</h1>" in page
    assert b"Request a payout" in page
    assert b"10.20 EUR" in page
    assert b"Einnahmen" not in page
