"""The expert's workspace in Chromium: her availability window on the console, keyboard
accept and decline, offer notifications after she opts in, and the history page, on a
laptop and on a phone.

The server's clock runs at real time plus an offset the test moves, so her window can end
in the middle of the test; the browser's clock is left alone (it only draws countdowns).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError

from marketplace import services as marketplace
from routing import services
from routing.models import Assignment, Presence
from routing.tasks import sweep
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
T = TypeVar("T")


def settled(call: Callable[[], T]) -> T:
    """``call()`` once the live server's request is done with the database. The test
    database on SQLite is one in-memory file shared by this thread and the server's: a read
    or write while the server still writes meets "database table is locked" (no busy
    timeout there), where PostgreSQL, or the site's own SQLite file, would simply wait."""
    for attempt in range(50):
        try:
            return call()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == 49:
                raise
            clock.sleep(0.1)
    raise AssertionError("unreachable")


RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  function Recording(title, options) { window.__notes.push(title); return {close() {}}; }
  Recording.requestPermission = () => Real.requestPermission();
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  window.Notification = Recording;
})();
"""


@pytest.fixture
def shifted_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    from django.utils import timezone

    real = timezone.now

    class Clock:
        offset = timedelta(0)

    clock = Clock()
    monkeypatch.setattr("django.utils.timezone.now", lambda: real() + clock.offset)
    return clock


def window_around_now() -> tuple[int, time, time]:
    """Today's window in Berlin from an hour ago to 30 minutes ahead (within the day)."""
    now = datetime.now(BERLIN)
    start = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    end = min(now + timedelta(minutes=30), now.replace(hour=23, minute=59, second=0))
    return now.weekday(), start.time().replace(second=0, microsecond=0), end.time()


def notes_shown(page: Any, count: int) -> None:
    """Wait until the console has shown ``count`` notifications. Polled with evaluate: the
    Content-Security-Policy refuses wait_for_function's string predicate (it is eval'd)."""
    for _ in range(150):
        if page.evaluate("window.__notes ? window.__notes.length : 0") >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{count} notification(s) expected within 15 s")


def offer_now(ask: Any, body: str) -> Any:
    question = ask(body)
    services.routing_offer_question(question_id=question.pk)  # a no-op if already offered
    return question


def test_window_state_shortcuts_and_notifications_on_the_console(
    browser: Any, watch_csp: Any, live_server: Any, cast: Any, ask: Any, shifted_clock: Any
) -> None:
    base = live_server.url
    weekday, start, end = window_around_now()
    marketplace.expert_profile_update(
        user=cast.ada, timezone="Europe/Berlin", availability=[(weekday, start, end)]
    )
    context = watch_csp(
        browser.new_context(viewport={"width": 1280, "height": 860}, permissions=["notifications"])
    )
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, "ada@example.com")
    page.goto(base + "/expert/console/")
    page.click("button[name=status][value=online]")

    # inside her window: the console says until when, and what happens then
    state = page.wait_for_selector("#window-state")
    assert state.get_attribute("data-inside") == "1"
    assert state.get_attribute("data-mode") == "schedule"
    assert f"Inside your window until {end:%H:%M}" in state.inner_text()
    assert "we set you away then" in state.inner_text()
    assert "Europe/Berlin" in state.inner_text()
    assert "A" in page.inner_text("#shortcuts")

    # she opts in to notifications with the button
    page.click("#notify-optin")
    page.wait_for_selector("#notify-status >> text=browser notification for each new offer")

    # an offer arrives live and is announced; D declines it (the only offer)
    first = settled(lambda: offer_now(ask, "Do the Trailblazer 2 run narrow?"))
    page.wait_for_selector("#offers .offer")
    notes_shown(page, 1)
    assert page.evaluate("window.__notes[0]") == "New offer: Trailblazer 2 Trail Shoe"
    screenshot(page, "workspace-console-offer-1280")
    # typing in a field is never a shortcut
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<input id=scratch aria-label=scratch>')"
    )
    page.focus("#scratch")
    page.keyboard.press("d")
    page.wait_for_timeout(400)
    assert settled(lambda: Assignment.objects.get(question=first).status) == "offered"
    page.focus("#offers .offer")
    page.keyboard.press("d")
    page.wait_for_selector("#offers .offer", state="detached")
    assert settled(lambda: Assignment.objects.get(question=first).status) == "declined"

    # A accepts the next one and opens the conversation
    second = settled(lambda: offer_now(ask, "Do the Trailblazer 2 run wide?"))
    page.wait_for_selector("#offers .offer")
    page.keyboard.press("a")
    page.wait_for_url("**/questions/*/")
    assert settled(lambda: Assignment.objects.get(question=second).status) == "accepted"
    settled(lambda: services.question_resolve(question_id=second.pk, actor=cast.ada))

    # her window ends (the server's clock moves on): no offer, and the sweep sets her away
    page.goto(base + "/expert/console/")
    shifted_clock.offset = timedelta(hours=2)
    settled(lambda: services.presence_heartbeat(user=cast.ada))
    outside = settled(lambda: offer_now(ask, "Are the laces replaceable?"))
    assert not settled(lambda: Assignment.objects.filter(question=outside).exists())
    settled(lambda: sweep.apply().get())
    assert settled(lambda: Presence.objects.get(user=cast.ada).status) == Presence.Status.AWAY
    # (the console may reload itself on the live "presence.away" push at the same moment)
    page.goto(base + "/expert/console/")
    page.wait_for_load_state()
    page.wait_for_selector("text=Your availability window ended")
    assert page.get_attribute("#window-state", "data-inside") == "0"

    # online by hand outside her window: she is offered again and the console says so
    page.click("button[name=status][value=online]")
    state = page.wait_for_selector("#window-state")
    assert state.get_attribute("data-mode") == "hand"
    assert "online by hand" in state.inner_text()
    settled(lambda: services.routing_offer_question(question_id=outside.pk))
    page.wait_for_selector("#offers .offer")
    assert settled(lambda: Assignment.objects.get(question=outside).status) == "offered"
    screenshot(page, "workspace-console-by-hand-1280")
    context.close()


def test_console_and_history_on_a_phone_and_a_laptop(
    browser: Any, live_server: Any, cast: Any, ask: Any, page: Any, phone: Any
) -> None:
    base = live_server.url
    weekday, start, end = window_around_now()
    marketplace.expert_profile_update(
        user=cast.ada, timezone="Europe/Berlin", availability=[(weekday, start, end)]
    )
    services.presence_set(user=cast.ada, status="online")
    resolved = offer_now(ask, "Do the Trailblazer 2 run narrow?")
    offer = Assignment.objects.get(question=resolved, status="offered")
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    services.question_resolve(question_id=resolved.pk, actor=cast.ada)
    offer_now(ask, "Do the Trailblazer 2 come in half sizes?")
    for view, width in ((page, 1280), (phone, 390)):
        log_in(view, base, "ada@example.com")
        view.goto(base + "/expert/console/")
        view.wait_for_selector("#offers .offer")
        # nothing wider than the screen
        assert view.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(view, f"workspace-console-{width}")
        view.goto(base + "/expert/history/")
        view.wait_for_selector("#daily-summary")
        assert view.evaluate("document.documentElement.scrollWidth") <= width
        row = view.wait_for_selector(f"a[href='/questions/{resolved.pk}/']")
        assert row.is_visible()
        screenshot(view, f"workspace-history-{width}")
        row.click()
        view.wait_for_url(f"**/questions/{resolved.pk}/")
