"""Payments pages: the expert's earnings, the brand's payouts and rate card, the CSV files."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from payments import selectors, services
from payments.models import Payout, PayoutDestination, RateCard
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db


def rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_expert_sees_balances_statement_and_payouts(
    cast: Any, client: Any, earned: Any, resolve: Any
) -> None:
    earned(cast.ada, 2)
    question = resolve(cast.ada)
    client.force_login(cast.ada)

    page = client.get(reverse("payments:expert-earnings")).content.decode()

    assert "10.20 EUR" in page  # available
    assert "5.10 EUR" in page  # pending
    assert f"#{question.pk}" in page
    csv_rows = rows(client.get(reverse("payments:expert-earnings-csv")))
    assert csv_rows[0][:3] == ["earned_at", "question_id", "brand"]
    assert {r[1] for r in csv_rows[1:]} >= {str(question.pk)}


def test_the_expert_connects_a_destination_and_requests_a_payout_from_the_page(
    cast: Any, client: Any, earned: Any
) -> None:
    earned(cast.ada, 3)
    client.force_login(cast.ada)
    page = reverse("payments:expert-earnings")

    client.post(
        page, {"action": "destination", "provider": "bank", "account_holder": "Ada L", "iban": IBAN}
    )
    response = client.post(
        page,
        {"action": "payout", "brand": "acme", "currency": "EUR", "amount": "12.50"},
        follow=True,
    )

    assert PayoutDestination.objects.get(user=cast.ada).masked == "DE•• •••• 3000"
    assert Payout.objects.get().amount == 1250
    assert "Payout of 12.50 EUR requested." in response.content.decode()
    bad = client.post(
        page,
        {"action": "payout", "brand": "acme", "currency": "EUR", "amount": "12.5x"},
        follow=True,
    )
    assert "Write the amount like 12.50." in bad.content.decode()
    assert Payout.objects.count() == 1


def test_signed_out_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(reverse("payments:expert-earnings"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_brand_staff_run_a_batch_and_download_its_bank_file(
    cast: Any, client: Any, earned: Any
) -> None:
    earned(cast.ada, 3)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    client.force_login(cast.sam)
    page = reverse("payments:brand-payouts", kwargs={"slug": "acme"})

    client.post(page, {"action": "run-batch"})
    batch = cast.acme.payout_batches.get()
    body = client.get(page).content.decode()
    bank_file = rows(
        client.get(
            reverse("payments:brand-batch-csv", kwargs={"slug": "acme", "batch_id": batch.pk})
        )
    )
    statement = rows(client.get(reverse("payments:brand-statement-csv", kwargs={"slug": "acme"})))

    assert f"Batch #{batch.pk}" in body
    assert "18.00 EUR" in body  # owed to the platform: 3 x 6.00
    assert bank_file[1][2:] == ["Ada Lovelace", IBAN, "15.30", "EUR"]
    assert sum(int(r[-1]) for r in statement[1:]) == 1800


def test_quality_reviewers_can_look_but_not_run_batches(
    cast: Any, client: Any, earned: Any, resolve: Any
) -> None:
    earned(cast.ada, 3)
    resolve(cast.ada, "default")  # one still clearing: editors could hold it
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)
    client.force_login(cast.quinn)
    page = reverse("payments:brand-payouts", kwargs={"slug": "acme"})
    response = client.get(page)
    assert response.status_code == 200
    # the page shows no control a reviewer cannot use
    body = response.content.decode()
    for control in ("Run payout batch", 'value="hold"', 'value="reverse"', "Mark ticked"):
        assert control not in body, control
    card = client.get(reverse("payments:brand-rate-card", kwargs={"slug": "acme"}))
    assert "Save as a new version" not in card.content.decode()
    assert '<fieldset class="plain" disabled>' in card.content.decode()

    client.post(page, {"action": "run-batch"})
    assert not cast.acme.payout_batches.exists()

    # an editor sees every control on the same data
    client.force_login(cast.maya)
    body = client.get(page).content.decode()
    assert "Run payout batch" in body
    assert 'value="hold"' in body
    card = client.get(reverse("payments:brand-rate-card", kwargs={"slug": "acme"}))
    assert "Save as a new version" in card.content.decode()


@pytest.mark.parametrize("who", ["nora", "ada", "carol"])
def test_outsiders_get_404_on_brand_payment_pages(cast: Any, client: Any, who: str) -> None:
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    client.force_login(getattr(cast, who))
    for url in (
        reverse("payments:brand-payouts", kwargs={"slug": "acme"}),
        reverse("payments:brand-rate-card", kwargs={"slug": "acme"}),
        reverse("payments:brand-statement-csv", kwargs={"slug": "acme"}),
        reverse("payments:brand-batch-csv", kwargs={"slug": "acme", "batch_id": batch.pk}),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.get(
            reverse("payments:brand-batch-csv", kwargs={"slug": "northwind", "batch_id": batch.pk})
        ).status_code
        == 404
    )


def test_editors_save_a_rate_card_from_the_page(cast: Any, client: Any, rate_card: Any) -> None:
    client.force_login(cast.maya)
    page = reverse("payments:brand-rate-card", kwargs={"slug": "acme"})
    assert 'value="6.00"' in client.get(page).content.decode()

    client.post(
        page,
        {
            "currency": "EUR",
            "default_amount": "4.50",
            f"product_{cast.trail_shoe.pk}": "7.25",
            "platform_fee_bps": "1200",
            "clearance_days": "5",
            "hold_below_rating": "2",
        },
    )

    card = RateCard.objects.get(brand=cast.acme, version=2)
    assert (card.default_amount, card.platform_fee_bps, card.clearance_days) == (450, 1200, 5)
    assert list(card.lines.values_list("product_id", "amount")) == [(cast.trail_shoe.pk, 725)]


def test_pages_are_linked_from_the_console_and_the_dashboard(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    assert (
        reverse("payments:expert-earnings")
        in client.get(reverse("routing:expert-console")).content.decode()
    )
    client.force_login(cast.sam)
    dashboard = client.get(
        reverse("marketplace:brand-dashboard", kwargs={"slug": "acme"})
    ).content.decode()
    assert reverse("payments:brand-payouts", kwargs={"slug": "acme"}) in dashboard


def test_only_editors_download_bank_files_and_cells_cannot_become_formulas(
    cast: Any, client: Any, earned: Any
) -> None:
    earned(cast.ada, 3)
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="=HYPERLINK(1)", iban=IBAN
    )
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    url = reverse("payments:brand-batch-csv", kwargs={"slug": "acme", "batch_id": batch.pk})

    client.force_login(cast.quinn)
    assert client.get(url).status_code == 404
    client.force_login(cast.maya)
    assert rows(client.get(url))[1][2] == "'=HYPERLINK(1)"


def test_a_bounced_bank_line_returns_the_money(cast: Any, client: Any, earned: Any) -> None:
    earned(cast.ada, 3)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)
    payout = services.payout_batch_run(brand=cast.acme, actor=cast.sam).payouts.get()
    client.force_login(cast.maya)
    page = reverse("payments:brand-payouts", kwargs={"slug": "acme"})
    assert f'id="bounce-{payout.pk}"' in client.get(page).content.decode()

    client.post(page, {"action": "mark-failed", "payout_id": payout.pk})

    payout.refresh_from_db()
    assert payout.status == "failed"
    assert [b.available for b in selectors.expert_balances(user_id=cast.ada.pk)] == [1530]


def test_a_statement_line_leads_to_its_ledger_entries_for_its_expert_only(
    cast: Any, client: Any, earned: Any
) -> None:
    earning = earned(cast.ada, 1)[0]
    url = reverse("payments:expert-earning", kwargs={"question_id": earning.question_id})
    client.force_login(cast.ada)
    assert url in client.get(reverse("payments:expert-earnings")).content.decode()

    page = client.get(url).content.decode()

    assert "Earning booked" in page
    assert "Earning cleared" in page
    assert "-5.10 EUR" in page  # left pending when it cleared
    client.force_login(cast.grace)
    assert client.get(url).status_code == 404


def test_a_stripe_payout_cannot_be_marked_failed_by_hand(cast: Any, earned: Any) -> None:
    # given: a Stripe payout whose transfer may be in flight
    from gigcx.exceptions import ConflictError
    from payments.models import Payout

    earned(cast.ada, 3)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaExpert"
    )
    payout = services.payout_batch_run(brand=cast.acme, actor=cast.sam).payouts.get()
    before = [b.available for b in selectors.expert_balances(user_id=cast.ada.pk)]

    # when / then: only Stripe's own answer settles it, so it is never paid twice
    with pytest.raises(ConflictError, match="bank-file lines"):
        services.payout_mark_failed(
            brand=cast.acme, payout_id=payout.pk, actor=cast.sam, reason="x"
        )
    assert Payout.objects.get(pk=payout.pk).status != "failed"
    assert [b.available for b in selectors.expert_balances(user_id=cast.ada.pk)] == before
