"""The "how did we do?" email: a signed link to rate, and one reminder a day later."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from gigcx.models import DomainEvent
from quality.models import Rating, RatingRequest
from quality.services.survey import rate_link_token, rating_reminders_send

pytestmark = pytest.mark.django_db


def link_in(message: Any) -> str:
    found = re.search(r"https?://\S+/rate/(\S+)/", message.body)
    assert found, message.body
    return f"/rate/{found.group(1)}/"


def test_resolving_sends_one_how_did_we_do_email_with_a_link_that_rates(
    cast: Any, resolved: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: carol's question is resolved
    question = resolved()

    # then: carol gets one email with a signed link
    asks = [m for m in mail.outbox if "How did we do" in m.subject]
    assert len(asks) == 1
    assert asks[0].to == [cast.carol.email]
    url = link_in(asks[0])
    assert RatingRequest.objects.filter(question=question).count() == 1

    # when she follows it (no sign-in) and rates
    page = client.get(url)
    assert page.status_code == 200
    assert b"How did we do?" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"score": "5", "solved": "yes", "comment": "Spot on"})

    # then: the rating is stored, question.rated is recorded, and she is thanked
    assert done.status_code == 200
    assert b"Thank you" in done.content
    rating = Rating.objects.get(question=question)
    assert (rating.score, rating.solved, rating.comment) == (5, True, "Spot on")
    assert DomainEvent.objects.filter(name="question.rated").count() == 1
    # a second submission through the link changes nothing
    again = client.post(url, {"score": "1", "solved": "no"})
    assert b"Already rated" in again.content
    assert Rating.objects.get(question=question).score == 5


def test_a_bad_answer_on_the_link_page_says_what_to_fix_and_stores_nothing(
    cast: Any, resolved: Any, client: Any
) -> None:
    question = resolved()
    url = f"/rate/{rate_link_token(question.pk)}/"

    for bad in ({"score": "7", "solved": "yes"}, {"score": "x", "solved": "yes"}, {"score": "4"}):
        response = client.post(url, bad)
        assert response.status_code == 400
        assert b'class="errors"' in response.content
    assert not Rating.objects.filter(question=question).exists()


def test_a_forged_or_altered_link_is_404_and_rates_nothing(
    cast: Any, resolved: Any, client: Any
) -> None:
    question = resolved()
    token = rate_link_token(question.pk)
    for url in (f"/rate/{token[:-2]}xx/", "/rate/not-a-token/"):
        response = client.post(url, {"score": "1", "solved": "no"})
        assert response.status_code == 404
        assert b"This link does not work" in response.content
    assert not Rating.objects.exists()


def test_one_reminder_a_day_later_only_if_still_unrated(
    cast: Any, resolved: Any, rate: Any
) -> None:
    unrated, rated = resolved(), resolved(body="Second: do they come in wide?")
    rate(rated, 4)
    RatingRequest.objects.update(sent_at=timezone.now() - timedelta(hours=25))
    mail.outbox.clear()

    assert rating_reminders_send() == 1
    assert rating_reminders_send() == 0  # once
    assert len(mail.outbox) == 1
    assert "A minute for" in mail.outbox[0].subject
    assert link_in(mail.outbox[0])
    assert RatingRequest.objects.get(question=unrated).reminded_at is not None
    assert RatingRequest.objects.get(question=rated).reminded_at is None


def test_no_reminder_before_a_day(cast: Any, resolved: Any) -> None:
    resolved()
    mail.outbox.clear()
    assert rating_reminders_send() == 0
    assert mail.outbox == []
