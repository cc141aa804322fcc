"""The advocate journey in Chromium: staff invite by CSV, the invitee signs up through the
link, applies and takes the quiz; staff review and approve; the pool shows the result."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail

from marketplace import services
from marketplace.models import Application, Expert, ExpertSkill, Invitation
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PURCHASERS = b"email,products\nkim@example.com,TB2\nnot-an-email,TB2\nlee@example.com,NOPE\n"


def make_quiz(cast: Any) -> Any:
    return services.quiz_create(
        brand=cast.acme,
        title="Trailblazer 2 essentials",
        product_id=cast.trail_shoe.pk,
        level=4,
        pass_mark=100,
        questions=[
            {
                "text": "How much heel-to-toe drop does the Trailblazer 2 have?",
                "choices": [
                    {"text": "4 mm"},
                    {"text": "8 mm", "is_correct": True},
                    {"text": "12 mm"},
                ],
            },
            {
                "text": "Which lacing trick stops heel slip on descents?",
                "choices": [
                    {"text": "Straight bar lacing"},
                    {"text": "A runner's loop (heel lock)", "is_correct": True},
                ],
            },
        ],
        actor=cast.sam,
    )


def no_sideways_overflow(page: Any) -> list[str]:
    width = page.viewport_size["width"]
    return page.evaluate(
        f"[...document.querySelectorAll('body *')]"
        f".filter(e => e.getBoundingClientRect().right > {width + 1})"
        ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )


def test_invite_apply_quiz_review_and_pool(page: Any, live_server: Any, cast: Any) -> None:
    base = live_server.url
    quiz = make_quiz(cast)

    # Staff upload purchasers: the report shows the bad rows, then only the valid one is sent
    log_in(page, base, "maya@acme.example")
    page.goto(f"{base}/brands/acme/manage/invitations/import/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "buyers.csv", "mimeType": "text/csv", "buffer": PURCHASERS}],
    )
    page.click("text=Check the file")
    assert page.locator("tr.row-error").count() == 2
    assert "is not an email address" in page.locator("#report").inner_text()
    screenshot(page, "invitation-import-report")
    assert not Invitation.objects.exists()
    page.check("input[name=only_valid]")
    page.click("text=Confirm import")
    page.wait_for_url("**/manage/invitations/")
    assert page.locator(".message.success").inner_text() == "Sent 1 invitation."
    screenshot(page, "invitations")
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)

    # Kim opens the link, creates her account through it and accepts
    page.context.clear_cookies()
    page.goto(base + urlparse(link).path)
    assert "Acme Outdoors invites you" in page.locator("h1").inner_text()
    screenshot(page, "invitation-landing")
    page.click("text=Create my account")
    page.wait_for_url("**/accounts/signup/**")
    assert page.input_value("input[name=email]") == "kim@example.com"
    page.fill("input[name=password1]", "trail-runner-2026!")
    page.fill("input[name=password2]", "trail-runner-2026!")
    page.click("main button[type=submit]")
    page.wait_for_url("**/invitations/**")
    page.click("text=Accept and continue")
    page.wait_for_url("**/brands/acme/apply/")

    # The application form, with her product pre-filled
    select = page.locator(f"select[name=level_{cast.trail_shoe.pk}]")
    assert select.input_value() == "3"
    page.fill("textarea[name=motivation]", "I ran two ultras in them and fix my club's lacing.")
    page.check("input[name=accept_terms]")
    screenshot(page, "application-form")
    page.click("text=Send my application")
    page.wait_for_url("**/expert/")
    assert "Waiting for review" in page.locator("#applications").inner_text()

    # The quiz: choices only; she passes
    page.click("text=Take the quiz")
    page.wait_for_url(f"**/quizzes/{quiz.pk}/")
    assert "correct" not in page.content().lower().replace("correctly", "")
    page.click("text=8 mm")
    screenshot(page, "quiz")
    page.click("text=A runner's loop (heel lock)")
    page.click("text=Submit answers")
    assert "Passed!" in page.locator("#quiz-result").inner_text()
    screenshot(page, "quiz-passed")

    # Sam reviews and approves
    page.context.clear_cookies()
    log_in(page, base, "sam@acme.example")
    page.goto(f"{base}/brands/acme/manage/")
    page.click("text=Review queue")
    page.wait_for_url("**/manage/applications/")
    screenshot(page, "review-queue")
    page.click("text=kim@example.com")
    assert "Trailblazer 2 essentials" in page.locator("#history").inner_text()
    screenshot(page, "application-review")
    page.click("#approve button[type=submit]")
    page.wait_for_url("**/manage/applications/")
    assert "is now in the pool" in page.locator(".message.success").inner_text()

    # The pool shows her, approved, with the verified skill
    page.click("nav.tabs >> text=Pool")
    row = page.locator("tr", has_text="kim@example.com")
    assert "Approved" in row.inner_text()
    assert row.locator(".chip.verified").count() == 1
    screenshot(page, "pool-list")

    # Her page in the pool: skills with verification, tier, suspend
    page.click("text=kim@example.com")
    assert "level 4" in page.locator("table").first.inner_text()
    page.fill("textarea[name=suspend-reason]", "Shared a customer's phone number.")
    page.click("#suspend button[type=submit]")
    assert "is suspended" in page.locator(".message.success").inner_text()
    screenshot(page, "pool-expert")
    page.goto(f"{base}/brands/acme/manage/quizzes/")
    screenshot(page, "quizzes")
    expert = Expert.objects.get(user__email="kim@example.com")
    assert (expert.status, expert.status_reason) == (
        "suspended",
        "Shared a customer's phone number.",
    )
    assert ExpertSkill.objects.get(expert=expert).verified_level == 4
    assert Application.objects.get(user=expert.user).status == "approved"


def test_recruitment_pages_work_on_a_phone(phone: Any, live_server: Any, cast: Any) -> None:
    base = live_server.url
    make_quiz(cast)
    services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="I love these shoes.",
        accept_terms=True,
    )
    log_in(phone, base, "sam@acme.example")
    for path, name in [
        ("/brands/acme/manage/pool/", "pool-list-phone"),
        ("/brands/acme/manage/applications/", "review-queue-phone"),
        ("/brands/acme/manage/invitations/", "invitations-phone"),
    ]:
        phone.goto(base + path)
        assert no_sideways_overflow(phone) == [], path
        screenshot(phone, name)

    phone.context.clear_cookies()
    log_in(phone, base, "grace@example.com")
    phone.goto(f"{base}/brands/acme/apply/")
    assert no_sideways_overflow(phone) == []
    phone.goto(f"{base}/expert/profile/")
    assert no_sideways_overflow(phone) == []
    screenshot(phone, "expert-profile-phone")
    phone.context.clear_cookies()
    log_in(phone, base, "carol@example.com")
    phone.goto(f"{base}/expert/")
    phone.click("text=Take the quiz")
    assert no_sideways_overflow(phone) == []
    screenshot(phone, "quiz-phone")
