"""A support lead works an escalation from the inbox in Chromium: finds it by search,
replies, leaves an internal note the customer never sees, hands it to another expert and
resolves it. Screenshots of the inbox on a laptop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services
from routing.models import Assignment, InternalNote, Question
from tests.e2e.conftest import log_in, screenshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("held_tasks"),
]


def _escalated(cast: Any, ask: Any, body: str, reason: str) -> Question:
    question = ask(body)
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=offer.expert.user)
    return services.assignment_escalate(question_id=question.pk, user=cast.ada, reason=reason)


@pytest.fixture
def busy_inbox(cast: Any, ask: Any, online: Any) -> Question:
    """A few conversations in different states; returns the escalation to work on."""
    online(cast.ada)
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    ask("Does the Ridgeline 2P fit two people with big packs?\nWe hike in Norway.", product=tent)
    ask("Do the Trailblazer 2 run narrow? I have wide feet.")
    target = _escalated(
        cast, ask, "The sole came off my Trailblazer 2 after two weeks", "Wants a refund"
    )
    _escalated(cast, ask, "Can I swap my shoes for a bigger size?", "Exchange needs staff")
    services.question_tag_add(question=target, name="refund", actor=cast.sam)
    services.canned_reply_create(
        brand=cast.acme,
        actor=cast.sam,
        title="Replacement pair",
        body="We are sending you a new pair today; no need to return the old one.",
    )
    return target


def test_staff_find_reply_note_reassign_and_resolve_an_escalation(
    browser: Any, watch_csp: Any, live_server: Any, cast: Any, busy_inbox: Question
) -> None:
    base = live_server.url
    staff = watch_csp(browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    customer = watch_csp(browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    for page in (staff, customer):
        page.set_default_timeout(15_000)
    question = busy_inbox

    # the inbox, every conversation
    log_in(staff, base, "maya@acme.example")
    staff.goto(base + "/brands/acme/manage/queue/")
    assert staff.locator("h1").inner_text() == "Inbox"
    assert staff.locator('[data-count="escalated"]').inner_text() == "2"
    screenshot(staff, "staff-inbox")

    # she finds the question by a word of it
    staff.fill("#inbox-filters input[name=q]", "sole")
    staff.click("#inbox-filters button[type=submit]")
    staff.wait_for_url("**q=sole**")
    rows = staff.locator("#inbox tbody tr.inbox-row")
    assert rows.count() == 1
    assert "The sole came off" in rows.first.inner_text()
    screenshot(staff, "staff-inbox-search")
    rows.first.locator("td.primary a").click()
    staff.wait_for_url(f"**/questions/{question.pk}/")

    # she replies from a canned reply
    staff.select_option("#canned-choice", label="Replacement pair")
    staff.click("[data-insert-canned]")
    assert "new pair today" in staff.input_value("#composer-body")
    staff.click("#composer button[type=submit]")
    staff.wait_for_selector(".bubble.staff >> text=new pair today")

    # an internal note
    staff.fill("#note-body", "Wholesale buyer: be generous with this one.")
    staff.click("#note-form button[type=submit]")
    staff.wait_for_selector("#notes-list >> text=Wholesale buyer")
    assert InternalNote.objects.filter(question=question, author=cast.maya).exists()

    # the customer sees the reply, never the note
    log_in(customer, base, "carol@example.com")
    customer.goto(f"{base}/questions/{question.pk}/")
    customer.wait_for_selector(".bubble.staff >> text=new pair today")
    assert "Wholesale buyer" not in customer.content()
    assert customer.locator("#staff-panel").count() == 0

    # she hands it to Grace
    staff.select_option("#reassign-expert", label="Grace Hopper · not online")
    staff.click("form[action$='/reassign/'] button[type=submit]")
    staff.wait_for_selector(".message.success >> text=Offered to Grace Hopper")
    offer = Assignment.objects.get(question=question, status=Assignment.Status.OFFERED)
    assert offer.expert.user == cast.grace
    screenshot(staff, "staff-conversation")

    # and resolves it
    staff.click("button[data-action=resolve]")
    staff.wait_for_selector("#question-status >> text=Resolved")
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    customer.wait_for_selector("#question-status >> text=Resolved")
    staff.context.close()
    customer.context.close()


def test_the_inbox_on_a_phone(
    phone: Any, live_server: Any, cast: Any, busy_inbox: Question
) -> None:
    log_in(phone, live_server.url, "sam@acme.example")
    phone.goto(live_server.url + "/brands/acme/manage/queue/?tab=escalated")
    assert phone.locator("#inbox tbody tr.inbox-row").count() == 2
    # nothing wider than the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "staff-inbox-phone")
    phone.goto(f"{live_server.url}/questions/{busy_inbox.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "staff-conversation-phone")


def test_the_canned_replies_page(
    page: Any, phone: Any, live_server: Any, cast: Any, busy_inbox: Question
) -> None:
    for browser_page, name in ((page, "canned-replies"), (phone, "canned-replies-phone")):
        log_in(browser_page, live_server.url, "maya@acme.example")
        browser_page.goto(live_server.url + "/brands/acme/manage/replies/")
        assert browser_page.locator("#canned-list >> text=Replacement pair").is_visible()
        assert browser_page.locator("#tag-list >> text=refund").is_visible()
        screenshot(browser_page, name)
    # a title already used is answered beside the field
    page.fill("#id_title", "Replacement pair")
    page.fill("#id_body", "Another text")
    page.click("#canned-form button[type=submit]")
    assert "There is already a reply called" in page.locator("#id_title-errors").inner_text()
