"""Payments endpoints: hit the URL, then look at the database. Includes the negative paths:
another brand (404), another expert's payouts, bad input (400 with fields), non-editors."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.urls import reverse

from marketplace import services as marketplace
from payments import services
from payments.models import Earning, Payout, PayoutBatch, ProviderEvent, RateCard, Transaction
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.fixture
def ada_paid_by_bank(cast: Any, earned: Any) -> Any:
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    return cast.ada


def test_an_expert_sees_balances_and_statement_lines(
    cast: Any, api_as: Any, earned: Any, resolve: Any
) -> None:
    earned(cast.ada, 2)
    pending = resolve(cast.ada)

    body = api_as(cast.ada).get(url("expert-earnings")).json()

    [balance] = body["balances"]
    assert balance == {
        "brand": "acme",
        "brand_name": "Acme Outdoors",
        "currency": "EUR",
        "pending": 510,
        "available": 1020,
        "paid_out": 0,
        "in_transit": 0,
    }
    assert [e["question_id"] for e in body["earnings"]][0] == pending.pk
    assert {e["status"] for e in body["earnings"]} == {"pending", "available"}
    assert api_as(cast.grace).get(url("expert-earnings")).json() == {"balances": [], "earnings": []}


def test_signed_out_callers_get_nothing(api: Any) -> None:
    for name in ("expert-earnings", "expert-payouts", "expert-payout-destination"):
        assert api.get(url(name)).status_code in (401, 403)


def test_requesting_a_payout_creates_it_and_lists_it_only_for_its_expert(
    cast: Any, api_as: Any, ada_paid_by_bank: Any
) -> None:
    client = api_as(cast.ada)
    response = client.post(url("expert-payouts"), {"brand": "acme", "amount": 1500}, format="json")

    assert response.status_code == 201, response.content
    payout = Payout.objects.get()
    assert (payout.amount, payout.status, payout.expert, payout.provider) == (
        1500,
        "requested",
        cast.ada_expert,
        "bank",
    )
    assert response.json()["destination"] == "DE•• •••• 3000"
    assert IBAN not in response.content.decode()
    assert [p["id"] for p in client.get(url("expert-payouts")).json()["results"]] == [payout.pk]
    assert api_as(cast.grace).get(url("expert-payouts")).json()["results"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"brand": "acme", "amount": "lots"}, 400, "amount"),
        ({"brand": "acme", "amount": 12.5}, 400, "amount"),
        ({"brand": "acme", "amount": -5}, 400, "amount"),
        ({"brand": "acme", "amount": 999}, 400, "amount"),
        ({"brand": "acme", "amount": 999999}, 409, "amount"),
        ({"brand": "acme", "expert_id": 1}, 400, "expert_id"),
        ({"brand": "northwind"}, 400, "brand"),
        ({"amount": 1000}, 400, "brand"),
        ({"brand": "acme", "currency": "XXX"}, 400, "currency"),
    ],
)
def test_bad_payout_requests_are_refused_with_field_errors_and_change_nothing(
    cast: Any, api_as: Any, ada_paid_by_bank: Any, body: dict[str, Any], status: int, field: str
) -> None:
    response = api_as(cast.ada).post(url("expert-payouts"), body, format="json")
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not Payout.objects.exists()


def test_a_payout_needs_a_destination(cast: Any, api_as: Any, earned: Any) -> None:
    earned(cast.ada, 3)
    response = api_as(cast.ada).post(url("expert-payouts"), {"brand": "acme"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_destination"


def test_the_destination_endpoint_masks_and_validates(cast: Any, api_as: Any) -> None:
    client = api_as(cast.ada)
    assert client.get(url("expert-payout-destination")).status_code == 404
    bad = client.put(
        url("expert-payout-destination"),
        {"provider": "bank", "account_holder": "A", "iban": "XX1"},
        format="json",
    )
    assert bad.status_code == 400
    assert "iban" in bad.json()["error"]["fields"]
    good = client.put(
        url("expert-payout-destination"),
        {"provider": "stripe", "stripe_account": "acct_1AdaLovelace"},
        format="json",
    )
    assert good.status_code == 200
    assert client.get(url("expert-payout-destination")).json()["masked"] == "acct_…lace"


def test_staff_read_the_rate_card_and_editors_save_new_versions(
    cast: Any, api_as: Any, rate_card: Any
) -> None:
    assert api_as(cast.quinn).get(url("rate-card", slug="acme")).json()["current"]["version"] == 1
    body = {
        "currency": "EUR",
        "default_amount": 500,
        "platform_fee_bps": 1000,
        "lines": [{"category_id": cast.trail_shoe.category_id, "amount": 800}],
    }

    assert (
        api_as(cast.quinn).put(url("rate-card", slug="acme"), body, format="json").status_code
        == 403
    )
    response = api_as(cast.maya).put(url("rate-card", slug="acme"), body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2
    assert RateCard.objects.filter(brand=cast.acme).count() == 2
    assert RateCard.objects.get(version=1).default_amount == 400  # never edited in place


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"platform_fee_bps": 20000}, "platform_fee_bps"),
        ({"default_amount": -1}, "default_amount"),
        ({"currency": "DOGE"}, "currency"),
        ({"version": 9}, "version"),
        ({"lines": [{"amount": 5}]}, "lines.0"),
        ({"call_minute_amount": -5}, "call_minute_amount"),
    ],
)
def test_bad_rate_cards_are_refused(
    cast: Any, api_as: Any, change: dict[str, Any], field: str
) -> None:
    body = {"currency": "EUR", "default_amount": 500, "platform_fee_bps": 1000, **change}
    response = api_as(cast.sam).put(url("rate-card", slug="acme"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not RateCard.objects.exists()


def test_a_rate_card_prices_voice_calls_per_call_and_per_minute(cast: Any, api_as: Any) -> None:
    body = {
        "currency": "EUR",
        "default_amount": 500,
        "platform_fee_bps": 1000,
        "call_amount": 200,
        "call_minute_amount": 40,
    }
    response = api_as(cast.sam).put(url("rate-card", slug="acme"), body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["call_amount"], response.json()["call_minute_amount"]) == (200, 40)
    card = RateCard.objects.get(brand=cast.acme)
    assert (card.call_amount, card.call_minute_amount) == (200, 40)


def test_a_rate_card_cannot_price_another_brands_product(cast: Any, api_as: Any) -> None:
    body = {
        "currency": "EUR",
        "default_amount": 500,
        "platform_fee_bps": 0,
        "lines": [{"product_id": cast.northwind_product.pk, "amount": 1}],
    }
    response = api_as(cast.sam).put(url("rate-card", slug="acme"), body, format="json")
    assert response.status_code == 400
    assert "lines.0.product_id" in response.json()["error"]["fields"]
    assert not RateCard.objects.exists()


def test_only_editors_of_the_brand_run_payout_batches(
    cast: Any, api_as: Any, ada_paid_by_bank: Any
) -> None:
    assert api_as(cast.quinn).post(url("payout-batches", slug="acme")).status_code == 403
    assert api_as(cast.ada).post(url("payout-batches", slug="acme")).status_code == 404
    assert api_as(cast.nora).post(url("payout-batches", slug="acme")).status_code == 404
    assert not PayoutBatch.objects.exists()

    response = api_as(cast.sam).post(url("payout-batches", slug="acme"))

    assert response.status_code == 201
    [line] = response.json()["payouts"]
    assert (line["amount"], line["status"], line["provider"]) == (2040, "sending", "bank")
    listed = api_as(cast.quinn).get(url("payout-batches", slug="acme")).json()
    assert listed["count"] == 1
    assert api_as(cast.nora).get(url("payout-batches", slug="northwind")).json()["count"] == 0


def test_marking_bank_lines_paid_is_scoped_to_the_brand_and_batch(
    cast: Any, api_as: Any, ada_paid_by_bank: Any
) -> None:
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    other = services.payout_batch_run(brand=cast.northwind, actor=cast.nora)
    payout = batch.payouts.get()

    assert (
        api_as(cast.nora)
        .post(
            url("payout-batch-paid", slug="northwind", batch_id=batch.pk),
            {"payout_ids": [payout.pk]},
            format="json",
        )
        .status_code
        == 404
    )
    assert (
        api_as(cast.sam)
        .post(
            url("payout-batch-paid", slug="acme", batch_id=other.pk),
            {"payout_ids": [payout.pk]},
            format="json",
        )
        .status_code
        == 404
    )
    bad = api_as(cast.sam).post(
        url("payout-batch-paid", slug="acme", batch_id=batch.pk), {"payout_ids": []}, format="json"
    )
    assert bad.status_code == 400
    assert "payout_ids" in bad.json()["error"]["fields"]
    assert Payout.objects.get(pk=payout.pk).status == "sending"

    response = api_as(cast.sam).post(
        url("payout-batch-paid", slug="acme", batch_id=batch.pk),
        {"payout_ids": [payout.pk]},
        format="json",
    )
    assert response.json() == {"marked_paid": 1}
    assert Payout.objects.get(pk=payout.pk).status == "paid"


def test_staff_hold_release_and_reverse_earnings_with_a_reason(
    cast: Any, api_as: Any, rate_card: Any, resolve: Any
) -> None:
    earning = Earning.objects.get(question=resolve(cast.ada))
    hold = url("earning-hold", slug="acme", earning_id=earning.pk)

    assert api_as(cast.maya).post(hold, {}, format="json").status_code == 400
    assert (
        api_as(cast.nora)
        .post(
            url("earning-hold", slug="northwind", earning_id=earning.pk),
            {"reason": "x"},
            format="json",
        )
        .status_code
        == 404
    )
    assert api_as(cast.quinn).post(hold, {"reason": "x"}, format="json").status_code == 403
    assert Earning.objects.get(pk=earning.pk).status == "pending"

    assert (
        api_as(cast.maya).post(hold, {"reason": "dispute"}, format="json").json()["status"]
        == "held"
    )
    released = api_as(cast.maya).post(
        url("earning-release", slug="acme", earning_id=earning.pk), {"reason": "ok"}, format="json"
    )
    assert released.json()["status"] == "pending"
    reversed_ = api_as(cast.sam).post(
        url("earning-reverse", slug="acme", earning_id=earning.pk),
        {"reason": "fraud"},
        format="json",
    )
    assert reversed_.json()["status"] == "reversed"
    assert Transaction.objects.filter(kind="earning_reversal").count() == 1
    again = api_as(cast.maya).post(hold, {"reason": "late"}, format="json")
    assert again.status_code == 409


def _signed(payload: dict[str, Any], secret: str, at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    timestamp = at or int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def _event(event_id: str, kind: str, payout: Payout) -> dict[str, Any]:
    transfer = {"id": "tr_x1", "object": "transfer", "metadata": {"payout_id": str(payout.pk)}}
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": transfer}}


def test_stripe_webhooks_are_verified_idempotent_and_order_independent(
    cast: Any, client: Any, settings: Any, earned: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    payout = services.payout_request(user=cast.ada, brand=cast.acme)
    hook = reverse("payments:stripe-webhook")

    # a bad signature, and a good one that is too old, change nothing
    body, header = _signed(_event("evt_1", "transfer.created", payout), "whsec_wrong")
    assert (
        client.post(
            hook, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        ).status_code
        == 400
    )
    body, header = _signed(
        _event("evt_1", "transfer.created", payout), "whsec_test_secret", at=int(time.time()) - 3600
    )
    assert (
        client.post(
            hook, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        ).status_code
        == 400
    )
    assert Payout.objects.get(pk=payout.pk).status == "requested"

    # reversed arrives before created, and each five times
    for event_id, kind in (("evt_2", "transfer.reversed"), ("evt_1", "transfer.created")):
        body, header = _signed(_event(event_id, kind, payout), "whsec_test_secret")
        for _ in range(5):
            response = client.post(
                hook, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
            assert response.status_code == 200

    payout.refresh_from_db()
    assert payout.status == "failed"  # failed is final; the late "created" does not resurrect it
    assert ProviderEvent.objects.count() == 2
    assert Transaction.objects.filter(kind="payout_return").count() == 1


def test_another_brands_staff_see_none_of_it(cast: Any, api_as: Any, ada_paid_by_bank: Any) -> None:
    marketplace.expert_enrol(
        brand=cast.northwind, user=cast.carol, status="approved", actor=cast.nora
    )
    services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    client = api_as(cast.nora)
    assert client.get(url("payout-batches", slug="acme")).status_code == 404
    assert client.get(url("rate-card", slug="acme")).status_code == 404
    # Nora is no expert: the expert endpoints refuse her outright
    assert client.get(url("expert-payouts")).status_code == 403


def test_without_a_webhook_secret_every_webhook_is_refused(
    cast: Any, client: Any, settings: Any, earned: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    payout = services.payout_request(user=cast.ada, brand=cast.acme)
    body, header = _signed(_event("evt_9", "transfer.reversed", payout), "")

    response = client.post(
        reverse("payments:stripe-webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert response.status_code == 400
    assert Payout.objects.get(pk=payout.pk).status == "requested"
    assert not ProviderEvent.objects.exists()


def test_a_retried_request_with_the_same_idempotency_key_makes_one_payout(
    cast: Any, api_as: Any, ada_paid_by_bank: Any
) -> None:
    client = api_as(cast.ada)
    body = {"brand": "acme", "amount": 1000}

    first = client.post(url("expert-payouts"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url("expert-payouts"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        url("expert-payouts"), {**body, "amount": 1001}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    fresh = client.post(url("expert-payouts"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert fresh.status_code == 201
    assert Payout.objects.count() == 2


def _transfer_event(event_id: str, kind: str, transfer_id: str, payout_id: int) -> dict[str, Any]:
    transfer = {"id": transfer_id, "object": "transfer", "metadata": {"payout_id": str(payout_id)}}
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": transfer}}


def _deliver(client: Any, event: dict[str, Any]) -> None:
    body, header = _signed(event, "whsec_test_secret")
    response = client.post(
        reverse("payments:stripe-webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 200


def _available(user: Any) -> int:
    from payments.selectors import expert_balances

    return expert_balances(user_id=user.pk)[0].available


def test_a_reversal_naming_a_bank_payout_in_its_metadata_changes_nothing(
    cast: Any, client: Any, settings: Any, ada_paid_by_bank: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    bank_payout = Payout.objects.get(batch=batch)
    services.payout_mark_paid(brand=cast.acme, payout_ids=[bank_payout.pk], actor=cast.sam)
    available = _available(cast.ada)

    # a validly signed Stripe event for some other transfer, naming the bank payout
    _deliver(client, _transfer_event("evt_a1", "transfer.reversed", "tr_other", bank_payout.pk))
    _deliver(client, _transfer_event("evt_a2", "transfer.created", "tr_other", bank_payout.pk))

    bank_payout.refresh_from_db()
    assert (bank_payout.status, bank_payout.provider_reference) == ("paid", "")
    assert not Transaction.objects.filter(kind="payout_return").exists()
    assert _available(cast.ada) == available


def test_a_reversal_settles_the_payout_of_its_transfer_not_the_one_in_its_metadata(
    cast: Any, client: Any, settings: Any, earned: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    first = services.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    second = services.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    _deliver(client, _transfer_event("evt_b1", "transfer.created", "tr_first", first.pk))
    _deliver(client, _transfer_event("evt_b2", "transfer.created", "tr_second", second.pk))

    # Stripe reverses the second transfer; its metadata (wrongly) names the first payout
    _deliver(client, _transfer_event("evt_b3", "transfer.reversed", "tr_second", first.pk))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.provider_reference) == ("paid", "tr_first")
    assert (second.status, second.provider_reference) == ("failed", "tr_second")
    [returned] = Transaction.objects.filter(kind="payout_return")
    assert returned.payout_id == second.pk

    # an unknown transfer naming a payout already paid by another transfer changes nothing
    _deliver(client, _transfer_event("evt_b4", "transfer.reversed", "tr_forged", first.pk))
    first.refresh_from_db()
    assert first.status == "paid"
    assert Transaction.objects.filter(kind="payout_return").count() == 1
