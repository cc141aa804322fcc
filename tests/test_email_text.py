"""Plain-text emails carry names as they are written: a plain-text part is not HTML, so
nothing in it is HTML-escaped (``O'Acme``, never ``O&#x27;Acme``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string

from routing import services as routing

pytestmark = pytest.mark.django_db

NAME = "O'Acme <Outdoors> & Co"
ESCAPED = ("&#x27;", "&#39;", "&lt;", "&gt;", "&amp;")
EMAILS = Path(__file__).resolve().parents[1] / "templates" / "emails"


def plain(text: str) -> None:
    assert NAME in text, text
    assert not any(entity in text for entity in ESCAPED), text


def test_names_reach_plain_text_emails_unescaped(
    cast: Any, ask: Any, online: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cast.acme.name = NAME
    cast.acme.save(update_fields=["name"])
    online(cast.ada)
    question = ask()
    offer = routing.routing_offer_question(question_id=question.pk)[0]
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        routing.assignment_escalate(question_id=question.pk, user=cast.ada, reason="Wants <b>")
        response = api_as(cast.maya).post(
            "/api/v1/brands/acme/invitations",
            {"email": "kim@example.com", "product_ids": [cast.trail_shoe.pk]},
            format="json",
        )
        assert response.status_code == 201, response.json()

    escalation = next(m for m in mail.outbox if "maya@acme.example" in m.to)
    invitation = next(m for m in mail.outbox if m.to == ["kim@example.com"])
    for message in (escalation, invitation):
        plain(message.subject)
        plain(message.body)
        assert not message.alternatives  # plain text only
    assert "Wants <b>" in escalation.body


class Named:
    """A brand or a person, as templates use them (``{{ brand }}``, ``{{ brand.name }}``)."""

    name = display_name = NAME

    def __str__(self) -> str:
        return NAME


def test_every_plain_text_email_template_renders_names_unescaped() -> None:
    templates = sorted(EMAILS.glob("*.txt"))
    assert len(templates) >= 12
    for template in templates:
        text = render_to_string(
            f"emails/{template.name}",
            {
                "brand": Named(),
                "name": NAME,
                "product": NAME,
                "first_line": NAME,
                "url": "https://example.com/",
                "question_id": 1,
            },
        )
        assert NAME in text, template.name
        assert not any(entity in text for entity in ESCAPED), template.name


def test_html_pages_still_escape_names(cast: Any, client: Any) -> None:
    cast.acme.name = NAME
    cast.acme.save(update_fields=["name"])

    html = client.get("/brands/acme/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "O&#x27;Acme &lt;Outdoors&gt; &amp; Co" in html
    assert NAME not in html
