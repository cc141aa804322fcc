"""A customer whose browser speaks German: the brand serves German, so she asks on a German
page and the private link reaches her in German; the link opens her conversation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from routing.models import Question
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTION = "Ist das Ridgeline 2P Zelt freistehend, oder brauche ich Heringe?"


@pytest.fixture
def german_page(browser: Any, watch_csp: Any) -> Iterator[Any]:
    """A desktop browser set to German: it sends ``Accept-Language: de-DE``."""
    context = watch_csp(
        browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 860})
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def english_strings_of(*names: str) -> list[str]:
    """The plain {% translate %} sentences of the templates whose German differs (a
    sentence the same in both languages, like "E-Mail", proves nothing)."""
    from django.utils import translation

    root = Path(__file__).resolve().parents[2] / "templates"
    found = []
    for name in names:
        source = (root / name).read_text(encoding="utf-8")
        for english in re.findall(r'{% translate "([^"%<]{4,})" %}', source):
            with translation.override("de"):
                if translation.gettext(english) != english:
                    found.append(english)
    assert found, "no translated sentences found: the pattern no longer matches the templates"
    return found


def open_ask_page(page: Any, base: str) -> Any:
    """Open Acme's ask page; returns the response (the page's language is in its headers)."""
    response = page.goto(f"{base}/brands/acme/ask/")
    assert response is not None
    assert response.status == 200
    return response


def ask_anonymously(page: Any, body: str, email: str) -> None:
    """Fill the ask form by its fields' names (whatever language its labels are in)."""
    form = page.locator("main form.stacked")
    form.locator("textarea[name=body]").fill(body)
    form.locator("input[name=contact_email]").fill(email)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/q/\d+/$"))


def test_a_german_speaking_customer_asks_and_gets_her_private_link_in_german(
    german_page: Any,
    watch_csp: Any,
    live_server: Any,
    cast: Any,
    held_tasks: Any,
    mailoutbox: Any,
) -> None:
    base = live_server.url

    # given: Acme serves English and German; her browser asks for German
    response = open_ask_page(german_page, base)
    assert response.headers["content-language"] == "de"
    assert german_page.locator("html").get_attribute("lang") == "de"
    screenshot(german_page, "german-customer-ask")
    # every sentence of the page is German: none of the English originals of the ask page,
    # its site frame and the form's labels is on screen
    shown = german_page.locator("body").inner_text()
    for english in english_strings_of("routing/ask.html", "base.html"):
        assert english not in shown, english
    for german in ("Frage", "Anmelden", "Datenschutz"):
        assert german in shown, german

    # when: she asks without an account
    ask_anonymously(german_page, QUESTION, "anna@example.com")

    # then: the question is saved and its private link was mailed to her, in German
    question = Question.objects.get()
    assert question.contact_email == "anna@example.com"
    assert question.body == QUESTION
    [message] = [m for m in mailoutbox if m.to == ["anna@example.com"]]
    assert message.subject == "Ihre Frage an Acme Outdoors auf GigCX"
    assert "Danke für Ihre Frage an Acme Outdoors." in message.body
    assert "Behalten Sie ihn für sich" in message.body
    assert "Thanks for asking" not in message.body
    assert "Keep it to yourself" not in message.body

    # and: the link in the email (the site's address) opens her conversation on her phone
    link = re.search(r"\S+/q/\d+/#t=\S+", message.body)
    assert link, message.body
    site = settings.SITE_URL.rstrip("/")
    assert link.group(0).startswith(f"{site}/q/{question.pk}/#t=")
    phone = watch_csp(
        german_page.context.browser.new_context(
            locale="de-DE", viewport={"width": 390, "height": 844}, is_mobile=True
        )
    ).new_page()
    phone.goto(link.group(0).replace(site, base, 1))
    phone.wait_for_url(f"{base}/q/{question.pk}/")  # the token left the address bar
    phone.locator("text=Heringe").first.wait_for()
    assert phone.locator("html").get_attribute("lang") == "de"
    screenshot(phone, "german-customer-conversation-phone")
    phone.context.close()
