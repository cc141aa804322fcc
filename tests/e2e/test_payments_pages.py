"""The expert's earnings page and the brand's payouts page in Chromium, with screenshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.events import event_deliver
from gigcx.models import DomainEvent
from payments import services
from payments.models import Earning
from tests.e2e.conftest import log_in, screenshot
from tests.payments.conftest import IBAN, resolve, tent  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def deliver_events() -> None:
    """What the outbox task does after commit (tasks are held here: eager tasks in a
    transactional test would run triage at every commit)."""
    for event_id in DomainEvent.objects.filter(delivered_at__isnull=True).values_list(
        "pk", flat=True
    ):
        event_deliver(event_id=str(event_id))


@pytest.fixture
def money(cast: Any, held_tasks: Any, rate_card: Any, resolve: Any, tent: Any) -> None:  # noqa: F811
    for user, product in [(cast.ada, "default")] * 4 + [(cast.grace, tent)] * 3:
        resolve(user, product)
    deliver_events()
    services.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    services.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    services.payout_destination_set(
        user=cast.grace, provider="bank", account_holder="Grace Hopper", iban=IBAN
    )
    batch = services.payout_batch_run(brand=cast.acme, actor=cast.sam)
    services.payout_mark_paid(
        brand=cast.acme, payout_ids=[batch.payouts.get(expert__user=cast.ada).pk], actor=cast.sam
    )
    resolve(cast.ada)
    disputed = resolve(cast.ada)
    resolve(cast.grace, tent)
    deliver_events()
    held = Earning.objects.get(question=disputed)
    services.earning_hold(earning_id=held.pk, actor=cast.maya, reason="Customer disputes the fix")


def test_the_expert_earnings_page(page: Any, live_server: Any, money: None) -> None:
    log_in(page, live_server.url, "ada@example.com")
    page.goto(live_server.url + "/expert/console/")
    page.click("text=Earnings and payouts")
    page.wait_for_url("**/expert/earnings/")

    assert page.locator(".stat .value").first.inner_text() == "10.20 EUR"  # two pending
    assert page.locator("text=Customer disputes the fix").is_visible()
    assert page.locator("td:has-text('Paid')").first.is_visible()
    screenshot(page, "expert-earnings")

    page.click("table a >> nth=-1")  # the oldest statement line
    page.wait_for_url("**/expert/earnings/questions/*/")
    assert page.locator("text=Earning cleared").is_visible()
    screenshot(page, "expert-earning-detail")
    page.go_back()

    page.fill("#amount", "1")
    page.click("text=Request payout")
    assert page.locator(".message").first.inner_text().startswith("The minimum payout is 10.00 EUR")
    screenshot(page, "expert-earnings-error")


def test_the_brand_payouts_page(page: Any, live_server: Any, money: None) -> None:
    log_in(page, live_server.url, "sam@acme.example")
    page.goto(live_server.url + "/brands/acme/manage/")
    page.click(".tabs summary >> text=Settings")  # payouts sit in the Settings menu
    page.click(".tab-menu-panel a:has-text('Payouts')")
    page.wait_for_url("**/brands/acme/manage/payouts/")

    assert page.locator("h3:has-text('Batch #')").count() == 1
    assert page.locator("text=Grace Hopper").first.is_visible()
    screenshot(page, "brand-payouts")

    page.click("text=Run payout batch")
    assert "created with 0 payouts" in page.locator(".message").first.inner_text()

    page.goto(live_server.url + "/brands/acme/manage/rate-card/")
    assert page.locator("h2").first.inner_text().startswith("Version 1")
    screenshot(page, "brand-rate-card")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_money_pages_in_german(
    browser: Any, watch_csp: Any, live_server: Any, money: None, width: int
) -> None:
    """A German browser: the expert's earnings and the brand's payouts read German, with
    German money, and the page never scrolls sideways (wide tables scroll in their box)."""

    def no_sideways_overflow(page: Any) -> list[str]:
        return page.evaluate(
            f"[...document.querySelectorAll('body *')]"
            f".filter(e => !e.closest('.table-scroll'))"
            f".filter(e => e.getBoundingClientRect().right > {width + 1})"
            ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
        )

    def german_page(email: str) -> Any:
        context = watch_csp(
            browser.new_context(
                locale="de-DE", viewport={"width": width, "height": 860}, is_mobile=width < 500
            )
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, email)
        return page

    ada = german_page("ada@example.com")
    ada.goto(live_server.url + "/expert/earnings/")
    assert ada.locator("h1").inner_text() == "Einnahmen"
    assert ada.locator(".stat .value").first.inner_text() == "10,20 EUR"
    assert ada.locator("button:has-text('Auszahlung anfordern')").is_visible()
    assert no_sideways_overflow(ada) == []
    screenshot(ada, f"expert-earnings-de-{width}")
    ada.context.close()

    sam = german_page("sam@acme.example")
    sam.goto(live_server.url + "/brands/acme/manage/payouts/")
    assert sam.locator("h1").inner_text() == "Auszahlungen"
    assert sam.locator("h3:has-text('Auszahlungslauf #')").count() == 1
    assert no_sideways_overflow(sam) == []
    screenshot(sam, f"brand-payouts-de-{width}")
    sam.context.close()
