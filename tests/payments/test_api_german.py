"""Payments API errors in German: the message in the caller's language, the money in its
format, the error code and the field names unchanged, and nothing paid out."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from payments import services
from payments.models import Payout, RateCard
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.fixture
def ada_paid_by_bank(cast: Any, earned: Any) -> Any:
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    return cast.ada


def test_a_payout_below_the_minimum_is_refused_in_german(
    cast: Any, api_as: Any, ada_paid_by_bank: Any
) -> None:
    client = api_as(cast.ada)

    german = client.post(
        url("expert-payouts"), {"brand": "acme", "amount": 999}, format="json", **GERMAN
    )
    english = client.post(url("expert-payouts"), {"brand": "acme", "amount": 999}, format="json")

    assert german.status_code == english.status_code == 400
    error = german.json()["error"]
    assert error["code"] == english.json()["error"]["code"] == "invalid"
    assert error["message"] == "Die Mindestauszahlung beträgt 10,00 EUR."
    assert error["fields"]["amount"] == ["Mindestens 1000 (kleinste Währungseinheit)."]
    assert english.json()["error"]["message"] == "The minimum payout is 10.00 EUR."
    assert not Payout.objects.exists()


def test_no_destination_and_more_than_the_balance_are_german_conflicts(
    cast: Any, api_as: Any, earned: Any
) -> None:
    earned(cast.ada, 3)
    client = api_as(cast.ada)
    payouts = url("expert-payouts")

    no_destination = client.post(payouts, {"brand": "acme"}, format="json", **GERMAN)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    too_much = client.post(payouts, {"brand": "acme", "amount": 999999}, format="json", **GERMAN)

    assert no_destination.status_code == too_much.status_code == 409
    assert no_destination.json()["error"]["code"] == "no_destination"
    assert no_destination.json()["error"]["message"] == "Verbinden Sie zuerst ein Auszahlungsziel."
    assert too_much.json()["error"]["code"] == "insufficient_funds"
    assert too_much.json()["error"]["message"] == "Das ist mehr als Ihr verfügbares Guthaben."
    assert not Payout.objects.exists()


def test_a_rate_card_naming_another_brands_product_is_refused_in_german(
    cast: Any, api_as: Any
) -> None:
    before = RateCard.objects.count()
    response = api_as(cast.sam).put(
        url("rate-card", slug="acme"),
        {
            "currency": "EUR",
            "default_amount": 500,
            "platform_fee_bps": 1000,
            "lines": [{"product_id": cast.northwind_product.pk, "amount": 5}],
        },
        format="json",
        **GERMAN,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Unbekanntes Produkt."
    assert error["fields"] == {"lines.0.product_id": ["Dieses Produkt gibt es nicht."]}
    assert RateCard.objects.count() == before
