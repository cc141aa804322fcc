"""seed_demo's payments part, and pinned query counts of the payments list endpoints."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from marketplace.models import Brand
from payments import services
from payments.models import RateCard
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_acme_one_rate_card_however_often_it_runs() -> None:
    first = StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=StringIO())

    acme = Brand.objects.get(slug="acme")
    [card] = RateCard.objects.filter(brand=acme)
    assert (card.currency, card.default_amount, card.platform_fee_bps) == ("EUR", 400, 1500)
    assert card.lines.get().product.name == "Trailblazer 2 Trail Shoe"
    assert "rate card for Acme Outdoors" in first.getvalue()


def test_list_endpoints_have_pinned_query_counts(
    cast: Any, api_as: Any, earned: Any, django_assert_num_queries: Any
) -> None:
    earned(cast.ada, 6)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)
    for _ in range(3):
        services.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    services.payout_batch_run(brand=cast.acme, actor=cast.sam)

    client = api_as(cast.ada)
    # each expert endpoint first checks that the caller is an expert (gigcx.permissions.IsExpert)
    with django_assert_num_queries(4):
        assert client.get(reverse("api:expert-payouts")).json()["count"] == 3
    with django_assert_num_queries(6):
        assert len(client.get(reverse("api:expert-earnings")).json()["earnings"]) == 6
    client = api_as(cast.sam)
    with django_assert_num_queries(10):
        assert (
            client.get(reverse("api:payout-batches", kwargs={"slug": "acme"})).json()["count"] == 2
        )
