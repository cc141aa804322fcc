"""Offer emails for experts who asked for them (routing.services.offer_emails)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace.models import ExpertProfile
from routing import services
from routing.models import Assignment, Presence
from routing.services.offer_emails import OFFER_EMAIL_EVERY, offer_email_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_wants_email(cast: Any, online: Any, settings: Any) -> Any:
    """Ada asked for offer emails, is online, and her console is in a background tab (its
    last heartbeat is 35 s old: fresh enough to be offered, not on screen)."""
    settings.SITE_URL = "https://help.acme.example"
    get_user_model().objects.filter(pk=cast.ada.pk).update(language="en")
    ExpertProfile.objects.filter(user=cast.ada).update(notify_offers_email=True)
    online(cast.ada)

    def background() -> None:
        Presence.objects.filter(user=cast.ada).update(
            last_heartbeat_at=timezone.now() - timedelta(seconds=35)
        )

    background()
    return background


def _offer(
    ask: Any, capture: Any, body: str = "Do the Trailblazer 2 run narrow?\nI'm a 43."
) -> Any:
    question = ask(body)
    with capture(execute=True):
        offers = services.routing_offer_question(question_id=question.pk)
    return question, offers


def test_an_expert_who_opted_in_gets_one_email_with_the_offer(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    # given ada asked for emails  # when an offer is made to her
    question, offers = _offer(ask, django_capture_on_commit_callbacks)
    # then one email, in English (her setting)
    assert [o.expert.user for o in offers] == [cast.ada]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ada@example.com"]
    assert mail.subject == "[Acme Outdoors] New offer: Trailblazer 2 Trail Shoe"
    assert "Do the Trailblazer 2 run narrow?" in mail.body
    assert "I'm a 43." not in mail.body  # the first line only
    assert "&#x27;" not in mail.body  # plain text, not HTML-escaped
    assert "The offer is yours for 1 minute." in mail.body
    assert "https://help.acme.example/expert/console/" in mail.body
    assert Assignment.objects.get(pk=offers[0].pk).email_decided_at is not None


def test_the_email_carries_the_redacted_text_experts_see(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    _offer(ask, django_capture_on_commit_callbacks, body="Mail me at carol.d@example.com please")
    assert len(mailoutbox) == 1
    assert "carol.d@example.com" not in mailoutbox[0].body


def test_an_expert_who_did_not_opt_in_gets_no_email(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    ExpertProfile.objects.filter(user=cast.ada).update(notify_offers_email=False)
    _, offers = _offer(ask, django_capture_on_commit_callbacks)
    assert offers
    assert mailoutbox == []


def test_no_email_while_her_console_is_on_screen(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    Presence.objects.filter(user=cast.ada).update(last_heartbeat_at=timezone.now())
    _, offers = _offer(ask, django_capture_on_commit_callbacks)
    assert offers
    assert mailoutbox == []


def test_a_second_offer_within_five_minutes_is_not_mailed_and_the_next_counts_the_open_ones(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    # given ada was mailed about one offer
    _offer(ask, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    # when a second offer comes a moment later
    ada_wants_email()
    _, second = _offer(ask, django_capture_on_commit_callbacks, body="Are they waterproof?")
    # then it is not mailed (throttled), and it is decided: a redelivery sends nothing either
    assert second
    assert len(mailoutbox) == 1
    assert Assignment.objects.get(pk=second[0].pk).email_decided_at is not None
    # when the window has passed and a third offer comes
    ExpertProfile.objects.filter(user=cast.ada).update(
        offer_email_sent_at=timezone.now() - OFFER_EMAIL_EVERY - timedelta(seconds=1)
    )
    Assignment.objects.filter(expert__user=cast.ada).update(
        expires_at=timezone.now() + timedelta(minutes=1)
    )
    ada_wants_email()
    _, third = _offer(ask, django_capture_on_commit_callbacks, body="Do they come in blue?")
    # then it is mailed, with the two offers still open for her counted
    assert third
    assert len(mailoutbox) == 2
    assert "Do they come in blue?" in mailoutbox[1].body
    assert "And 2 more offers are waiting for you there." in mailoutbox[1].body


def test_a_redelivered_task_sends_nothing(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    _, offers = _offer(ask, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    # the broker hands the same task out again, even after the throttle window
    ExpertProfile.objects.filter(user=cast.ada).update(offer_email_sent_at=None)
    assert offer_email_send(assignment_id=offers[0].pk) is False
    assert len(mailoutbox) == 1


def test_an_offer_gone_before_the_task_runs_is_not_mailed(
    cast: Any, ask: Any, ada_wants_email: Any, held_tasks: Any, mailoutbox: Any
) -> None:
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)
    services.assignment_decline(assignment_id=offers[0].pk, user=cast.ada)
    assert offer_email_send(assignment_id=offers[0].pk) is False
    assert offer_email_send(assignment_id=987654) is False
    assert mailoutbox == []


def test_a_german_speaking_expert_gets_the_email_in_german(
    cast: Any,
    ask: Any,
    ada_wants_email: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    # her own setting is German (Acme serves English too, which it would use without one)
    get_user_model().objects.filter(pk=cast.ada.pk).update(language="de")
    _offer(ask, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "[Acme Outdoors] Neues Angebot: Trailblazer 2 Trail Shoe"
    assert "Das Angebot gilt 1 Minute lang." in mail.body
    assert "https://help.acme.example/expert/console/" in mail.body
