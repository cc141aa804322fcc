"""In Chromium: a customer downloads her data and deletes her account from /account/data/;
the privacy page explains both; an owner sets the brand's retention on the dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gigcx.models import User
from privacy.services import ERASED
from routing import services
from routing.models import Question
from tests.e2e.conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_she_downloads_her_data_and_deletes_her_account(
    page: Any, phone: Any, live_server: Any, cast: Any, held_tasks: Any
) -> None:
    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )
    base = live_server.url
    log_in(page, base, "carol@example.com")
    page.goto(f"{base}/customer/")
    page.click("text=Your data")
    page.wait_for_url("**/account/data/")
    screenshot(page, "account-data")

    with page.expect_download() as download:
        page.click("text=Download my data")
    data = json.loads(Path(download.value.path()).read_text())
    assert data["account"]["email"] == "carol@example.com"
    assert [q["body"] for q in data["questions"]] == ["Do the Trailblazer 2 run narrow?"]

    log_in(phone, base, "carol@example.com")
    phone.goto(f"{base}/account/data/")
    screenshot(phone, "account-data-phone")

    page.fill("input[name=confirm]", "someone@else.example")
    page.click("text=Delete my account")
    assert "type its email address or its password exactly" in page.content()
    screenshot(page, "account-delete-refused")
    assert User.objects.get(pk=cast.carol.pk).is_active

    page.fill("input[name=confirm]", "carol@example.com")
    page.click("text=Delete my account")
    page.wait_for_url(f"{base}/")
    assert "Your account is deleted" in page.content()
    screenshot(page, "account-deleted")
    assert Question.objects.get(pk=question.pk).body == ERASED
    # her other session (the phone) is over too
    phone.goto(f"{base}/account/data/")
    assert "/accounts/login/" in phone.url


def test_the_privacy_page_explains_export_deletion_and_retention(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    for viewer, name in ((page, "privacy-data-rights"), (phone, "privacy-data-rights-phone")):
        viewer.goto(f"{live_server.url}/privacy/")
        assert "Download or delete your data" in viewer.content()
        assert "retention setting" in viewer.content()
        screenshot(viewer, name)
    # the new section as a phone shows it, one screen from its heading
    phone.evaluate("document.getElementById('your-rights').scrollIntoView()")
    phone.screenshot(path=str(ARTIFACTS / "privacy-your-rights-phone.png"))


def test_the_owner_sets_retention_on_the_dashboard(
    page: Any, phone: Any, live_server: Any, cast: Any
) -> None:
    base = live_server.url
    log_in(page, base, "sam@acme.example")
    page.goto(f"{base}/brands/acme/manage/#retention")
    page.fill("input[name=conversation_retention_days]", "90")
    page.click("#retention button[type=submit]")
    page.wait_for_load_state()
    assert "deleted 90 days after they were resolved" in page.content()
    screenshot(page, "dashboard-retention")
    page.locator("#retention").screenshot(path=str(ARTIFACTS / "dashboard-retention-card.png"))
    log_in(phone, base, "sam@acme.example")
    phone.goto(f"{base}/brands/acme/manage/")
    phone.locator("#retention").screenshot(
        path=str(ARTIFACTS / "dashboard-retention-card-phone.png")
    )
