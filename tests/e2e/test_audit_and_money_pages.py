"""The brand's audit log, a reconciliation difference on the payouts page and an expert's
debt on the earnings page, in Chromium at laptop and phone widths, with screenshots."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gigcx.audit import audit_record
from payments import services
from payments.models import Earning, Payout, PayoutDestination
from payments.services.reconciliation import reconcile_run
from tests.e2e.conftest import ARTIFACTS, log_in, screenshot
from tests.e2e.test_payments_pages import deliver_events
from tests.payments.conftest import IBAN, resolve  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def books(cast: Any, held_tasks: Any, rate_card: Any, resolve: Any) -> None:  # noqa: F811
    """Ada earned 10.20 and was paid it all; then one earning was reversed (she owes 5.10),
    and someone wrote a payout by hand (the nightly check flags it)."""
    questions = [resolve(cast.ada) for _ in range(2)]
    deliver_events()
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.maya)
    services.payout_mark_paid(
        brand=cast.acme,
        payout_ids=list(batch.payouts.values_list("pk", flat=True)),
        actor=cast.maya,
    )
    earning = Earning.objects.get(question=questions[0])
    services.earning_reverse(earning_id=earning.pk, actor=cast.maya, reason="Chargeback")
    Payout.objects.create(
        expert=cast.ada_expert,
        brand=cast.acme,
        destination=PayoutDestination.objects.get(user=cast.ada, is_active=True),
        provider="bank",
        amount=4200,
        currency="EUR",
        status="paid",
        idempotency_key=f"by-hand-{uuid.uuid4()}",
    )
    audit_record(
        actor=cast.maya,
        action="earning.held",
        brand_id=cast.acme.pk,
        reason='=HYPERLINK("http://evil.example","refund")',
    )
    reconcile_run()


def test_staff_browse_filter_and_export_the_audit_log(
    page: Any, phone: Any, live_server: Any, cast: Any, books: None
) -> None:
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/")
    page.click("#audit-link")
    page.wait_for_url("**/manage/audit/")
    assert page.locator("#audit-table tbody tr").count() >= 5
    assert page.locator("#audit-table :text('reversed an earning')").count() == 1
    screenshot(page, "audit-log")

    page.select_option("#audit-action", "payout.")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**action=payout.**")
    whats = page.locator("#audit-table td[data-label=What]").all_inner_texts()
    assert whats
    assert all("payout" in text for text in whats), whats
    assert "action=payout." in (page.get_attribute("#audit-export", "href") or "")
    with page.expect_download() as download:
        page.click("#audit-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "recorded a payout as paid" in exported
    assert "reversed an earning" not in exported

    log_in(phone, live_server.url, "maya@acme.example")
    phone.goto(f"{live_server.url}/brands/acme/manage/audit/")
    assert phone.locator("#audit-table tbody tr").count() >= 5
    screenshot(phone, "audit-log-phone")
    phone.screenshot(path=str(ARTIFACTS / "audit-log-phone-top.png"))  # the first screen


def test_the_payouts_page_flags_the_difference_and_the_debt(
    page: Any, live_server: Any, cast: Any, books: None
) -> None:
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(f"{live_server.url}/brands/acme/manage/payouts/")
    flag = page.locator("#reconciliation-issues")
    assert "1 difference" in flag.inner_text()
    assert "payout without its ledger entry" in flag.inner_text()
    assert page.locator(":text('owes 5.10 EUR')").count() == 1
    screenshot(page, "payouts-reconciliation")


def test_the_expert_sees_what_she_owes(
    page: Any, phone: Any, live_server: Any, cast: Any, books: None
) -> None:
    log_in(page, live_server.url, "ada@example.com")
    page.goto(f"{live_server.url}/expert/earnings/")
    debt = page.locator(".stat.debt")
    assert debt.locator(".value").inner_text() == "5.10 EUR"
    assert "repay it first" in page.locator("p.message").inner_text()
    screenshot(page, "earnings-debt")
    log_in(phone, live_server.url, "ada@example.com")
    phone.goto(f"{live_server.url}/expert/earnings/")
    screenshot(phone, "earnings-debt-phone")
