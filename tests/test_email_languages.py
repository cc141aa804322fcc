"""Every email is written in its recipient's language, whoever triggers it: her own setting
(chosen with the language switcher), else the language she asked in, else the brand's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from marketplace import services as marketplace
from quality.services.survey import rating_request_send
from routing import services as routing
from routing.notifications import question_link_send
from voice import services as voice

pytestmark = pytest.mark.django_db


def speaks(user: Any, language: str) -> None:
    """``user`` chooses ``language`` with the switcher, as she would on any page."""
    client = Client()
    client.force_login(user)
    assert client.post("/language/", {"language": language}).status_code == 302
    user.refresh_from_db()
    assert user.language == language


def to(address: str) -> Any:
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


MONTHS_DE = [
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
    "August", "September", "Oktober", "November", "Dezember",
]  # fmt: skip
MONTHS_EN = [
    "Jan.", "Feb.", "March", "April", "May", "June", "July",
    "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
]  # fmt: skip


def link_of(message: Any) -> str:
    found = re.search(r"http://localhost:8000/\S+", message.body)
    assert found, message.body
    return found.group(0)


def test_the_invitation_is_in_the_invitees_language_or_else_the_brands(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: carol reads German; kim has no account (Acme serves English first)
    speaks(cast.carol, "de")
    mail.outbox.clear()

    # when: Maya (English) invites both
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("carol@example.com", "kim@example.com"):
            response = api_as(cast.maya).post(
                "/api/v1/brands/acme/invitations",
                {"email": email, "product_ids": [cast.trail_shoe.pk]},
                format="json",
            )
            assert response.status_code == 201, response.json()

    german, english = to("carol@example.com"), to("kim@example.com")
    assert german.subject == "Acme Outdoors lädt Sie in sein Expertenprogramm ein"
    assert "Hier nehmen Sie die Einladung an (der Link gilt bis" in german.body
    assert "Trailblazer 2 Trail Shoe" in german.body
    assert "Accept the invitation" not in german.body
    assert english.subject == "Acme Outdoors invites you to its expert program"
    assert "Accept the invitation here (the link works until" in english.body
    assert "Einladung" not in english.body
    # the links still point at the site, in both languages
    assert "/invitations/" in link_of(german)
    assert "/invitations/" in link_of(english)


def test_the_private_link_is_in_the_language_the_anonymous_customer_asked_in(
    cast: Any, held_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # when: one asks on a German page, one on an English page
    for address, language in (("anna@example.com", "de"), ("walk.in@example.com", "en")):
        with translation.override(language), django_capture_on_commit_callbacks(execute=True):
            routing.question_create(
                brand=cast.acme,
                asked_by=None,
                body="Ist das Zelt freistehend?",
                product_id=None,
                contact_email=address,
            )

    german, english = to("anna@example.com"), to("walk.in@example.com")
    assert german.subject == "Ihre Frage an Acme Outdoors auf GigCX"
    assert "Unter diesem privaten Link verfolgen Sie Ihre Unterhaltung" in german.body
    assert "Thanks for asking" not in german.body
    assert english.subject == "Your question to Acme Outdoors on GigCX"
    assert "Thanks for asking Acme Outdoors." in english.body
    assert re.search(r"/q/\d+/#t=\S+$", link_of(german))


def test_the_private_link_follows_the_questions_own_language_once_it_is_known(
    cast: Any, held_tasks: Any
) -> None:
    question, token = routing.question_create(
        brand=cast.acme,
        asked_by=None,
        body="Ist das Zelt freistehend?",
        product_id=None,
        contact_email="anna@example.com",
    )
    question.language = "de"

    question_link_send(question=question, token=token)  # from an English context

    assert to("anna@example.com").subject == "Ihre Frage an Acme Outdoors auf GigCX"


def test_the_escalation_reaches_each_staff_member_in_her_language(
    cast: Any, ask: Any, online: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: Maya reads German, Sam keeps English; Ada (English) escalates
    speaks(cast.maya, "de")
    speaks(cast.sam, "en")
    online(cast.ada)
    question = ask()
    offer = routing.routing_offer_question(question_id=question.pk)[0]
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        routing.assignment_escalate(question_id=question.pk, user=cast.ada, reason="Wants a refund")

    german, english = to("maya@acme.example"), to("sam@acme.example")
    assert german.subject == f"[Acme Outdoors] Eine Frage braucht Ihr Team (#{question.pk})"
    assert "Eine Kundenfrage wurde an das Team von Acme Outdoors eskaliert." in german.body
    assert re.search(r"^Grund: Experte: Wants a refund$", german.body, re.M)
    assert english.subject == f"[Acme Outdoors] A question needs your team (#{question.pk})"
    assert re.search(r"^Reason: Expert: Wants a refund$", english.body, re.M)
    assert link_of(german) == link_of(english) == f"http://localhost:8000/questions/{question.pk}/"
    assert not [m for m in mail.outbox if "quinn@acme.example" in m.to]  # QA: none


def test_a_german_reader_gets_gigcxs_own_escalation_reason_in_german(
    cast: Any, ask: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    from routing import system_texts
    from routing.services.offers import question_escalate_locked

    speaks(cast.maya, "de")
    speaks(cast.sam, "en")
    question = ask()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        question_escalate_locked(question, reason=system_texts.ESCALATION_NO_EXPERT)

    german, english = to("maya@acme.example"), to("sam@acme.example")
    assert re.search(
        r"^Grund: Auch nach Ausweitung der Suche war kein Experte verfügbar\.$", german.body, re.M
    )
    assert "widening" not in german.body
    assert re.search(r"^Reason: No available expert after widening\.$", english.body, re.M)


def resolve(cast: Any, ask: Any, online: Any, capture: Any) -> Any:
    online(cast.ada)
    question = ask()
    offer = routing.routing_offer_question(question_id=question.pk)[0]
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    with capture(execute=True):
        routing.question_resolve(question_id=question.pk, actor=cast.ada)
    return question


@pytest.mark.parametrize(
    ("language", "subject", "phrase", "absent"),
    [
        (
            "de",
            "Wie waren wir? Ihre Frage an Acme Outdoors",
            "Ihre Frage an Acme Outdoors wurde beantwortet.",
            "has been answered",
        ),
        (
            "en",
            "How did we do? Your question to Acme Outdoors",
            "Your question to Acme Outdoors has been answered.",
            "beantwortet",
        ),
    ],
)
def test_the_rating_request_is_in_the_customers_language(
    cast: Any,
    ask: Any,
    online: Any,
    django_capture_on_commit_callbacks: Any,
    language: str,
    subject: str,
    phrase: str,
    absent: str,
) -> None:
    speaks(cast.carol, language)
    mail.outbox.clear()
    question = resolve(cast, ask, online, django_capture_on_commit_callbacks)
    # resolving sent it (a second call sends nothing)
    assert rating_request_send(question_id=question.pk) is False

    message = to("carol@example.com")
    assert message.subject == subject
    assert phrase in message.body
    assert absent not in message.body
    assert "/rate/" in link_of(message)


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        (
            "de",
            "Acme Outdoors braucht jetzt Experten: Fragen warten (Andrangsbonus 2,50 EUR)",
            "einen Andrangsbonus von 2,50 EUR",
        ),
        (
            "en",
            "Acme Outdoors needs experts now: questions are waiting (surge bonus 2.50 EUR)",
            "earns a surge bonus of 2.50 EUR",
        ),
    ],
)
def test_the_staffing_invitation_is_in_the_experts_language_with_her_number_format(
    cast: Any,
    ask: Any,
    django_capture_on_commit_callbacks: Any,
    language: str,
    subject: str,
    phrase: str,
) -> None:
    from payments import services as payments
    from routing.models import StaffingSurge
    from routing.services.staffing import staffing_watch

    payments.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=1500,
        surge_bonus_amount=250,
    )
    speaks(cast.ada, language)
    marketplace.expert_profile_update(user=cast.ada, notify_surge_alerts=True)
    routing.routing_settings_update(
        brand=cast.acme, actor=cast.sam, step_waits=[600, 1200, 1800], surge_after_minutes=10
    )
    for person in (cast.ada, cast.grace):
        routing.presence_set(user=person, status="offline")
    for n in range(3):
        ask(f"Question {n} about the Trailblazer 2 sizing")
    mail.outbox.clear()

    # the queue has lasted: the watch opens a surge, then invites
    with django_capture_on_commit_callbacks(execute=True):
        staffing_watch(brand_id=cast.acme.pk)
    StaffingSurge.objects.update(started_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        staffing_watch(brand_id=cast.acme.pk)

    message = to("ada@example.com")
    assert message.subject == subject
    assert phrase in message.body
    assert link_of(message) == "http://localhost:8000/expert/console/"


@pytest.mark.parametrize(
    ("language", "subject", "customer", "expert"),
    [
        (
            "de",
            "Ihr GigCX-Rückruf steht bevor",
            "Ein Experte ruft Sie am {de} UTC wegen Ihrer Frage zurück.",
            "Sie haben am {de} UTC einen Rückruf.",
        ),
        (
            "en",
            "Your GigCX callback is soon",
            "An expert will call you back at {en} UTC about your question.",
            "You have a callback at {en} UTC.",
        ),
    ],
)
def test_the_callback_reminders_are_in_each_ones_language_with_its_date_format(
    cast: Any,
    assigned: Any,
    ada_works_days: Any,
    language: str,
    subject: str,
    customer: str,
    expert: str,
) -> None:
    speaks(cast.carol, language)
    speaks(cast.ada, language)
    day = timezone.now().astimezone(UTC) + timedelta(days=1)
    starts_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    slot = voice.callback_book(question_id=assigned.pk, user=cast.carol, starts_at=starts_at)
    mail.outbox.clear()

    assert voice.callback_reminders_send(now=slot.starts_at - timedelta(minutes=10)) == 2

    de = f"{starts_at.day}. {MONTHS_DE[starts_at.month - 1]} {starts_at.year} 10:00"
    en = f"{MONTHS_EN[starts_at.month - 1]} {starts_at.day}, {starts_at.year}, 10 a.m."
    assert to("carol@example.com").subject == subject
    assert customer.format(de=de, en=en) in to("carol@example.com").body
    assert expert.format(de=de, en=en) in to("ada@example.com").body
