"""A voice call in two browsers: the customer taps "Talk now" on her conversation, her expert
answers on his, audio flows both ways (Chromium's fake microphone), the customer hangs up:
the duration is written into the conversation and the call's earning is in the ledger.

The pages need the live socket for signalling, which pytest-django's WSGI live server does
not speak: this module serves the ASGI application with daphne in a thread instead."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from payments.models import Account, Transaction
from routing.models import Message
from tests.e2e.conftest import CHROMIUM, log_in, screenshot
from tests.e2e.test_accessibility import axe_source, describe, violations
from voice.models import Call, CallbackSlot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
STANDARD = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AsgiLiveServer:
    """daphne serving gigcx.asgi in a background thread (HTTP and websockets). Twisted's
    reactor runs once per process, so one server serves the whole module."""

    def __init__(self) -> None:
        from daphne.server import Server

        from gigcx.asgi import application

        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.server = Server(
            application=application,
            endpoints=[f"tcp:port={self.port}:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
        )
        self.thread = threading.Thread(target=self.server.run, name="daphne", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("daphne did not start")

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[AsgiLiveServer]:
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def call_browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=STANDARD + FAKE_MEDIA)
        yield browser
        browser.close()


# What the page's RTCPeerConnection has received and sent, read through getStats().
AUDIO_STATS = """async () => {
  const pc = window.gigcxVoice && window.gigcxVoice.peer();
  if (!pc) return {received: 0, sent: 0, state: "none"};
  const report = await pc.getStats();
  let received = 0, sent = 0;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") received += s.bytesReceived || 0;
    if (s.type === "outbound-rtp" && s.kind === "audio") sent += s.bytesSent || 0;
  });
  return {received, sent, state: pc.connectionState};
}"""


def audio_flowing(page: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Poll getStats() until audio bytes arrive (page.evaluate: the page's policy forbids
    the eval that wait_for_function would need)."""
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = page.evaluate(AUDIO_STATS)
        if stats["received"] > 0:
            return stats
        time.sleep(0.25)
    raise AssertionError(f"no audio received: {stats}")


def no_serious_axe_findings(page: Any) -> None:
    found = violations(page, axe_source())
    assert not found, [(v["id"], [describe(n) for n in v["nodes"][:3]]) for v in found]


def leave(*pages: Any) -> None:
    """Stop the pages' polling and let requests in flight finish before the contexts close:
    daphne cancels a request whose client went away, and on SQLite's shared in-memory test
    database a request cut off mid-write can leave a table locked for the next test."""
    for page in pages:
        page.goto("about:blank")
    time.sleep(1.0)
    for page in pages:
        page.context.close()


def settled(check: Any, timeout: float = 15.0) -> Any:
    """Retry a database check until it passes (the server thread may still be writing)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_customer_and_expert_talk_in_the_browser_and_the_call_is_recorded_and_paid(
    call_browser: Any,
    watch_csp: Any,
    asgi_server: AsgiLiveServer,
    cast: Any,
    assigned: Any,
    call_rates: Any,
    ada_works_days: Any,
) -> None:
    base = asgi_server.url
    url = f"{base}/questions/{assigned.pk}/"
    expert = watch_csp(call_browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    customer = watch_csp(
        call_browser.new_context(viewport={"width": 1280, "height": 860})
    ).new_page()
    for page in (expert, customer):
        page.set_default_timeout(20_000)

    # given: both have the conversation open
    log_in(expert, base, "ada@example.com")
    expert.goto(url)
    log_in(customer, base, "carol@example.com")
    customer.goto(url)
    customer.locator("#call-panel [data-call-action=talk]").wait_for(state="visible")

    # when: the customer taps "Talk now"; the expert's page rings and he answers
    customer.click("#call-panel [data-call-action=talk]")
    answer = expert.locator("#call-panel [data-call-action=answer-offer]")
    answer.wait_for(state="visible")
    assert "Carol Danvers wants to talk" in expert.locator("#call-panel").inner_text()
    assert "carol@example.com" not in expert.locator("#call-panel").inner_text()
    answer.click()

    # then: audio flows both ways
    customer_stats = audio_flowing(customer)
    expert_stats = audio_flowing(expert)
    assert customer_stats["received"] > 0
    assert expert_stats["received"] > 0
    customer.locator("#call-panel[data-call-status=connected]").wait_for()
    expert.locator("#call-panel[data-call-status=connected]").wait_for()
    call = settled(lambda: Call.objects.get(question=assigned, status="connected"))
    assert call.expert == cast.ada_expert
    time.sleep(2)  # let the timer run
    no_serious_axe_findings(customer)
    no_serious_axe_findings(expert)
    screenshot(customer, "voice-call-customer")
    screenshot(expert, "voice-call-expert")
    customer.set_viewport_size({"width": 390, "height": 844})
    expert.set_viewport_size({"width": 390, "height": 844})
    screenshot(customer, "voice-call-customer-phone")
    screenshot(expert, "voice-call-expert-phone")
    customer.set_viewport_size({"width": 1280, "height": 860})

    # when: the customer hangs up
    customer.click("#call-panel [data-call-action=hang-up]")
    customer.locator("#call-panel[data-call-status=ended]").wait_for()
    expert.locator("#call-panel[data-call-status=ended]").wait_for()

    # then: the duration is in the conversation and the earning in the ledger
    call = settled(lambda: Call.objects.get(pk=call.pk, status="ended"))
    assert call.duration_seconds is not None
    assert call.duration_seconds >= 2
    customer.locator(".bubble.system", has_text="lasted").wait_for()
    assert settled(
        lambda: Message.objects.filter(question=assigned, body__contains="lasted").exists()
    )
    minutes = -(-call.duration_seconds // 60)
    gross = call_rates.call_amount + call_rates.call_minute_amount * minutes
    entry = settled(lambda: Transaction.objects.get(idempotency_key=f"call-earning:{call.pk}"))
    assert settled(lambda: sum(p.amount for p in entry.postings.all() if p.amount > 0)) == gross
    pending = settled(
        lambda: Account.objects.get(expert=cast.ada_expert, kind="pending", currency="EUR")
    )
    assert pending.balance == call.earning_net == gross - (gross * 2000 + 5000) // 10000
    assert settled(lambda: Call.objects.get(pk=call.pk).expert.user.presence.active) == 1

    # the customer rates the call
    customer.locator("#call-panel [data-call-rate-form]").wait_for(state="visible")
    customer.click("#call-panel label[for=call-rate-5]")
    customer.click("#call-panel [data-call-rate-form] button[type=submit]")
    customer.locator("#call-panel [data-call-rating]", has_text="5/5").wait_for()
    assert settled(lambda: Call.objects.get(pk=call.pk, rating=5))

    # and can book a callback for later, inside the expert's hours
    form = customer.locator("#call-panel [data-callback-form]")
    form.wait_for(state="visible")
    no_serious_axe_findings(customer)
    screenshot(customer, "voice-callback-booking")
    customer.set_viewport_size({"width": 390, "height": 844})
    screenshot(customer, "voice-callback-booking-phone")
    choice = form.locator("select option").nth(1).get_attribute("value")
    form.locator("select").select_option(choice)
    form.locator("button[type=submit]").click()
    customer.locator("#call-panel .callback-pending").wait_for(state="visible")
    slot = settled(lambda: CallbackSlot.objects.get(question=assigned))
    assert slot.expert == cast.ada_expert
    screenshot(customer, "voice-callback-booked-phone")

    # the expert sees the callback on her console, to call from there at the time
    expert.set_viewport_size({"width": 1280, "height": 860})
    expert.goto(base + "/expert/console/")
    expert.locator("[data-call-offers] [data-list=callbacks] li", has_text="yours").wait_for()
    screenshot(expert, "voice-callbacks-console")
    leave(expert, customer)


def test_the_expert_calls_back_from_the_console_and_the_customer_answers_on_her_page(
    call_browser: Any,
    watch_csp: Any,
    asgi_server: AsgiLiveServer,
    cast: Any,
    assigned: Any,
    ada_works_days: Any,
) -> None:
    from datetime import UTC, timedelta

    from django.utils import timezone

    from voice import services

    # given: carol booked a callback with ada, and it is time
    tomorrow = timezone.now().astimezone(UTC) + timedelta(days=1)
    slot = services.callback_book(
        question_id=assigned.pk,
        user=cast.carol,
        starts_at=tomorrow.replace(hour=10, minute=0, second=0, microsecond=0),
    )
    CallbackSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now())
    base = asgi_server.url
    expert = watch_csp(call_browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    customer = watch_csp(
        call_browser.new_context(viewport={"width": 390, "height": 844})
    ).new_page()
    for page in (expert, customer):
        page.set_default_timeout(20_000)
    log_in(customer, base, "carol@example.com")
    customer.goto(f"{base}/questions/{assigned.pk}/")
    customer.locator("#call-panel .callback-pending").wait_for(state="visible")
    log_in(expert, base, "ada@example.com")
    expert.goto(base + "/expert/console/")

    # when: ada calls from her console; carol's page rings and she answers
    expert.locator("[data-list=callbacks] button", has_text="Call now").click()
    expert.wait_for_url(f"**/questions/{assigned.pk}/")
    answer = customer.locator("#call-panel [data-call-action=answer-callback]")
    answer.wait_for(state="visible")
    assert "Ada Lovelace is calling you" in customer.locator("#call-panel").inner_text()
    screenshot(customer, "voice-callback-ringing-phone")
    answer.click()

    # then: audio both ways, and hanging up closes the slot
    assert audio_flowing(customer)["received"] > 0
    assert audio_flowing(expert)["received"] > 0
    expert.locator("#call-panel[data-call-status=connected]").wait_for()
    expert.click("#call-panel [data-call-action=hang-up]")
    customer.locator("#call-panel[data-call-status=ended]").wait_for()
    call = settled(lambda: Call.objects.get(question=assigned, status="ended"))
    assert call.callback_id == slot.pk
    assert settled(lambda: CallbackSlot.objects.get(pk=slot.pk, status="done"))
    leave(expert, customer)
