"""Running balances: every account's balance is kept on its row, moved with its postings, and
checked against the sum of the postings by `manage.py ledger_reconcile` (and nightly)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gigcx.exceptions import ConflictError
from payments import services
from payments.ledger import account_balance, account_balance_summed, accounts_reconcile
from payments.models import Account, Earning
from payments.services.earnings import earning_book
from payments.tasks import reconcile_ledger
from routing import services as routing
from tests.payments.conftest import IBAN

pytestmark = pytest.mark.django_db


def test_earnings_clearance_and_payouts_keep_every_balance_equal_to_its_postings(
    cast: Any, earned: Any
) -> None:
    # given: three earnings, cleared; a payout of part of them
    earned(cast.ada, 3)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)
    services.payout_request(user=cast.ada, brand=cast.acme, amount=1000)
    # then
    accounts = list(Account.objects.all())
    assert len(accounts) >= 4
    for account in accounts:
        assert account.balance == account_balance_summed(account.pk)
        assert account_balance(account.pk) == account.balance
    available = Account.objects.get(expert=cast.ada_expert, kind=Account.Kind.AVAILABLE)
    assert available.balance == 3 * 510 - 1000
    assert accounts_reconcile() == []
    out = StringIO()
    call_command("ledger_reconcile", stdout=out)
    assert "equals the sum of its postings" in out.getvalue()
    assert reconcile_ledger() == 0


def test_reconciliation_names_an_account_whose_balance_drifted(cast: Any, earned: Any) -> None:
    # given: a balance changed behind the ledger's back (what reconciliation exists to catch)
    earned(cast.ada)
    pending = Account.objects.get(expert=cast.ada_expert, kind=Account.Kind.AVAILABLE)
    Account.objects.filter(pk=pending.pk).update(balance=pending.balance + 1)
    # when / then
    assert accounts_reconcile() == [(pending.pk, 511, 510)]
    err = StringIO()
    with pytest.raises(CommandError, match="1 account balance"):
        call_command("ledger_reconcile", stderr=err)
    assert f"account {pending.pk}: balance 511, sum of postings 510" in err.getvalue()
    assert reconcile_ledger() == 1


def test_a_payout_larger_than_the_running_balance_is_refused(cast: Any, earned: Any) -> None:
    earned(cast.ada, 2)
    services.payout_destination_set(user=cast.ada, provider="bank", account_holder="Ada", iban=IBAN)
    with pytest.raises(ConflictError, match="more than your available balance"):
        services.payout_request(user=cast.ada, brand=cast.acme, amount=1021)
    available = Account.objects.get(expert=cast.ada_expert, kind=Account.Kind.AVAILABLE)
    assert available.balance == 1020


def test_booking_an_earning_takes_pinned_queries(cast: Any, earned: Any, ask: Any) -> None:
    # given: ada's accounts exist (her first earning created them); a second question is
    # resolved, its event not delivered yet (no on-commit callbacks run in this test)
    earned(cast.ada)
    question = ask()
    [offer] = routing.routing_offer_question(question_id=question.pk)
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    routing.question_resolve(question_id=question.pk, actor=cast.ada)
    assert not Earning.objects.filter(question=question).exists()
    # when
    with CaptureQueriesContext(connection) as captured:
        earning = earning_book(question_id=question.pk, expert_id=cast.ada_expert.pk)
    # then
    assert earning is not None
    assert earning.net == 510
    # a batch of one (payments/services/earnings_batch.py): the question, its expert, the rate
    # cards in force and their lines, the earning's claim, the accounts read and locked, the
    # transaction, its postings, the balances; a batch of 50 takes the same
    # (tests/payments/test_earnings_batch.py)
    assert len(captured.captured_queries) == 10, [q["sql"][:70] for q in captured.captured_queries]
    pending = Account.objects.get(expert=cast.ada_expert, kind=Account.Kind.PENDING)
    assert pending.balance == account_balance_summed(pending.pk) == 510
