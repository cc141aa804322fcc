"""The nightly money reconciliation (issue 11): ledger, payouts and provider transfer events
must agree, and every running balance must equal the sum of its postings. Each test breaks
the data on purpose, the way a bug or a hand edit would, and checks it is flagged to the
brand's staff and to site admins; a clean dataset flags nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from gigcx.models import AuditEvent, User
from gigcx.tenancy import viewer_for_user
from payments import services
from payments.ledger import account_for_expert
from payments.models import (
    Account,
    Payout,
    PayoutDestination,
    ProviderEvent,
    ReconciliationIssue,
)
from payments.services.reconciliation import reconcile_run
from payments.tasks import reconcile_ledger
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db

Kind = ReconciliationIssue.Kind


@pytest.fixture
def money(cast: Any, earned: Any, fake_stripe: Any, tent: Any) -> dict[str, Payout]:
    """A clean, busy program: a Stripe payout paid (and confirmed by its transfer event), a
    bank payout that bounced and one that was paid."""
    earned(cast.ada, 4)
    services.payout_destination_set(
        user=cast.ada, provider="stripe", stripe_account="acct_1AdaLovelace"
    )
    stripe = services.payout_request(user=cast.ada, brand=cast.acme, amount=1500)
    stripe = services.payout_send(payout_id=stripe.pk)
    assert stripe.status == "paid"
    services.stripe_event_handle(
        event_id="evt_created_1",
        event_type="transfer.created",
        data={"object": {"id": stripe.provider_reference, "metadata": {}}},
    )
    earned(cast.grace, 3, product=tent)
    services.payout_destination_set(
        user=cast.grace, provider="bank", account_holder="Grace H", iban=IBAN
    )
    [bounced] = services.payout_batch_run(brand=cast.acme, actor=cast.maya).payouts.filter(
        expert__user=cast.grace
    )
    services.payout_mark_failed(
        brand=cast.acme, payout_id=bounced.pk, actor=cast.maya, reason="closed account"
    )
    [bank] = services.payout_batch_run(brand=cast.acme, actor=cast.maya).payouts.filter(
        expert__user=cast.grace
    )
    services.payout_mark_paid(brand=cast.acme, payout_ids=[bank.pk], actor=cast.maya)
    return {"stripe": Payout.objects.get(pk=stripe.pk), "bank": bank, "bounced": bounced}


def open_issues() -> list[tuple[str, Any]]:
    return sorted(
        (i.kind, i.payout_id or i.account_id or i.reference)
        for i in ReconciliationIssue.objects.unresolved()
    )


def test_a_clean_ledger_flags_nothing(money: dict[str, Payout]) -> None:
    result = reconcile_run()

    assert (result.open, result.new, result.resolved) == (0, 0, 0)
    assert not ReconciliationIssue.objects.exists()
    assert AuditEvent.objects.filter(action="reconciliation.run").count() == 1
    assert reconcile_ledger.delay().get() == 0
    call_command("reconcile_money")  # exits 0


def test_a_payout_marked_paid_with_no_ledger_posting_is_flagged_to_the_brand(
    cast: Any, money: dict[str, Payout], client: Any
) -> None:
    # given: a payout row someone wrote by hand, no money moved in the ledger
    ghost = Payout.objects.create(
        expert=cast.ada_expert,
        brand=cast.acme,
        destination=PayoutDestination.objects.get(user=cast.ada, is_active=True),
        provider="stripe",
        amount=777,
        currency="EUR",
        status="paid",
        idempotency_key=f"by-hand-{uuid.uuid4()}",
    )
    # when
    result = reconcile_run()
    # then
    assert (result.open, result.new) == (1, 1)
    [issue] = ReconciliationIssue.objects.all()
    assert (issue.kind, issue.payout, issue.brand) == (Kind.PAYOUT_NOT_BOOKED, ghost, cast.acme)
    assert (issue.expected, issue.found) == ("777", "0")
    event = AuditEvent.objects.get(action="reconciliation.issue_found")
    assert event.brand_id == cast.acme.pk
    # the brand's staff see it on the payouts page; another brand's staff do not
    client.force_login(cast.maya)
    page = client.get(reverse("payments:brand-payouts", args=["acme"])).content.decode()
    assert "nightly money check found 1 difference" in page
    assert f"Payout #{ghost.pk}" in page
    # a second night finds the same difference: still one open issue, nothing new
    assert reconcile_run().new == 0
    assert ReconciliationIssue.objects.count() == 1
    with pytest.raises(CommandError, match="1 difference"):
        call_command("reconcile_money")


def test_a_provider_event_saying_reversed_while_the_payout_says_paid_is_flagged(
    cast: Any, money: dict[str, Payout]
) -> None:
    stripe = money["stripe"]
    # given: the reversal event stored, but never applied (a crash, a bug, a hand edit)
    ProviderEvent.objects.create(
        provider="stripe",
        event_id="evt_reversed_1",
        type="transfer.reversed",
        payload={"object": {"id": stripe.provider_reference}},
    )

    reconcile_run()

    [issue] = ReconciliationIssue.objects.all()
    assert (issue.kind, issue.payout_id) == (Kind.PROVIDER_DISAGREES, stripe.pk)
    assert (issue.expected, issue.found, issue.reference) == (
        "failed",
        "paid",
        stripe.provider_reference,
    )


def test_a_failed_payout_whose_money_never_came_back_is_flagged(
    cast: Any, money: dict[str, Payout]
) -> None:
    bank = money["bank"]
    Payout.objects.filter(pk=bank.pk).update(status="failed")  # bypassing the service

    reconcile_run()

    assert open_issues() == [(Kind.PAYOUT_NOT_RETURNED, bank.pk)]
    issue = ReconciliationIssue.objects.get()
    assert (issue.expected, issue.found) == (str(bank.amount), "0")


def test_money_returned_for_a_payout_that_did_not_fail_is_flagged(
    cast: Any, money: dict[str, Payout]
) -> None:
    bounced = money["bounced"]
    Payout.objects.filter(pk=bounced.pk).update(status="paid")

    reconcile_run()

    assert open_issues() == [(Kind.PAYOUT_RETURNED, bounced.pk)]


def test_a_running_balance_that_drifts_is_flagged_and_resolved_once_fixed(
    cast: Any, money: dict[str, Payout]
) -> None:
    account = account_for_expert(expert=cast.ada_expert, kind="available", currency="EUR")
    Account.objects.filter(pk=account.pk).update(balance=F("balance") + 5)

    reconcile_run()
    assert open_issues() == [(Kind.BALANCE_MISMATCH, account.pk)]
    issue = ReconciliationIssue.objects.get()
    assert int(issue.found) - int(issue.expected) == 5

    Account.objects.filter(pk=account.pk).update(balance=F("balance") - 5)
    result = reconcile_run()

    assert (result.open, result.resolved) == (0, 1)
    issue.refresh_from_db()
    assert issue.resolved_at is not None
    assert AuditEvent.objects.filter(action="reconciliation.resolved").count() == 1
    # a new drift later is a new issue, not the old one reopened
    Account.objects.filter(pk=account.pk).update(balance=F("balance") + 1)
    assert reconcile_run().new == 1
    assert ReconciliationIssue.objects.count() == 2


def test_a_negative_expert_balance_is_flagged(cast: Any, money: dict[str, Payout]) -> None:
    account = account_for_expert(expert=cast.ada_expert, kind="available", currency="EUR")
    Account.objects.filter(pk=account.pk).update(balance=-10)

    reconcile_run()

    kinds = {kind for kind, _ in open_issues()}
    assert kinds == {Kind.BALANCE_MISMATCH, Kind.NEGATIVE_BALANCE}


def test_a_transfer_matching_no_payout_is_for_site_admins_only(
    cast: Any, money: dict[str, Payout]
) -> None:
    ProviderEvent.objects.create(
        provider="stripe",
        event_id="evt_stray",
        type="transfer.created",
        payload={"object": {"id": "tr_nobody_knows"}},
    )

    reconcile_run()

    [issue] = ReconciliationIssue.objects.all()
    assert (issue.kind, issue.brand, issue.reference) == (
        Kind.UNMATCHED_TRANSFER,
        None,
        "tr_nobody_knows",
    )
    assert not ReconciliationIssue.objects.visible_to(viewer_for_user(cast.maya)).exists()
    root = User.objects.create_superuser(email="root@gigcx.example", password="a-long-pass-1")
    assert ReconciliationIssue.objects.visible_to(viewer_for_user(root)).count() == 1
    # its audit line belongs to no brand: brand staff do not see it either
    assert AuditEvent.objects.get(action="reconciliation.issue_found").brand_id is None


def test_another_brands_staff_never_see_the_issue(cast: Any, money: dict[str, Payout]) -> None:
    Payout.objects.filter(pk=money["bank"].pk).update(status="failed")
    reconcile_run()
    assert not ReconciliationIssue.objects.visible_to(viewer_for_user(cast.nora)).exists()
    nora = Client()
    nora.force_login(cast.nora)
    assert nora.get(reverse("payments:brand-payouts", args=["acme"])).status_code == 404
