"""An anonymous asker's private link keeps its token out of addresses and logs (issue 11).

The emailed link is ``/q/<id>/#t=<token>`` (a fragment never reaches the server); the page
posts the token once and the browser lands on ``/q/<id>/``. Links mailed before, with the
token in the path, still work: exchanged for the session, then redirected. Log lines mask
whatever looks like a token."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.test import Client

from gigcx.log_filters import ScrubSecrets, scrub_secrets
from routing import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk_in(cast: Any, held_tasks: Any) -> tuple[Any, str]:
    """A question asked without an account, and its private-link token."""
    question, token = services.question_create(
        brand=cast.acme,
        asked_by=None,
        body="Is the Ridgeline 2P free-standing?",
        product_id=None,
        contact_email="walk.in@example.com",
    )
    assert token
    return question, token


def all_logged(caplog: Any) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_an_old_link_is_exchanged_and_ends_on_an_address_without_the_token(
    walk_in: Any, caplog: Any
) -> None:
    question, token = walk_in
    browser = Client()

    with caplog.at_level(logging.DEBUG):
        response = browser.get(f"/q/{question.pk}/{token}/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"/q/{question.pk}/", 302)]
    assert "free-standing" in response.content.decode()
    assert token not in response.redirect_chain[-1][0]
    assert token not in all_logged(caplog)
    # the browser keeps access without the token in the address
    again = browser.get(f"/q/{question.pk}/")
    assert "free-standing" in again.content.decode()


def test_a_wrong_old_link_is_refused_and_its_token_never_reaches_a_log_line(
    walk_in: Any, caplog: Any
) -> None:
    question, _token = walk_in
    guessed = "Zm9vYmFyLXNlY3JldC10b2tlbi12YWx1ZQ"

    with caplog.at_level(logging.DEBUG):
        response = Client().get(f"/q/{question.pk}/{guessed}/")

    assert response.status_code == 404
    logged = all_logged(caplog)
    assert f"Not Found: /q/{question.pk}/[token]/" in logged  # the line is there, masked
    assert guessed not in logged


def test_the_new_link_opens_with_the_token_posted_once(walk_in: Any) -> None:
    question, token = walk_in
    browser = Client()

    # without the token the page shows nothing of the conversation, only how to open it
    closed = browser.get(f"/q/{question.pk}/")
    assert closed.status_code == 200
    assert "free-standing" not in closed.content.decode()
    assert "link we emailed you" in closed.content.decode()

    # what its script does with the fragment: post it, then follow the redirect
    opened = browser.post(f"/q/{question.pk}/", {"token": token})
    assert (opened.status_code, opened["Location"]) == (302, f"/q/{question.pk}/")
    page = browser.get(f"/q/{question.pk}/").content.decode()
    assert "free-standing" in page
    assert f'data-token="{token}"' in page  # the page's own API calls still prove access


def test_a_token_opens_only_its_own_question(cast: Any, walk_in: Any, held_tasks: Any) -> None:
    question, token = walk_in
    other, _ = services.question_create(
        brand=cast.acme,
        asked_by=None,
        body="Do the Summit boots need waxing?",
        product_id=None,
        contact_email="someone.else@example.com",
    )
    browser = Client()

    assert browser.post(f"/q/{other.pk}/", {"token": token}).status_code == 404
    assert browser.get(f"/q/{other.pk}/{token}/").status_code == 404
    assert "waxing" not in browser.get(f"/q/{other.pk}/").content.decode()


def test_the_widget_keeps_the_token_in_its_frame_not_in_a_cookie(walk_in: Any) -> None:
    question, token = walk_in
    # an old widget link: redirected with the token moved to the fragment
    old = Client().get(f"/q/{question.pk}/{token}/?embed=1")
    assert old.status_code == 302
    assert old["Location"] == f"/q/{question.pk}/?embed=1#t={token}"

    # the frame has no cookies on a brand's site: the POST answers the conversation itself
    framed = Client().post(f"/q/{question.pk}/?embed=1", {"token": token})
    assert framed.status_code == 200
    assert "free-standing" in framed.content.decode()
    assert "frame-ancestors" in framed["Content-Security-Policy"]


def test_the_asker_on_the_html_form_lands_on_an_address_without_a_token(
    cast: Any, held_tasks: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/brands/acme/ask/",
            {
                "body": "Can I wash the Daypack 22?",
                "contact_email": "walk.in@example.com",
                "preference": "auto",
                "tone_analysis": "on",
            },
        )

    assert response.status_code == 302, response.content
    assert re.fullmatch(r"/q/\d+/", response["Location"])
    assert "Daypack" in browser.get(response["Location"]).content.decode()
    link = re.search(r"/q/(\d+)/#t=(\S+)", mailoutbox[0].body)
    assert link is not None
    assert Client().post(f"/q/{link.group(1)}/", {"token": link.group(2)}).status_code == 302


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"GET /q/12/Zm9vYmFyLXNlY3JldA/ HTTP/1.1" 302 0', "Zm9vYmFyLXNlY3JldA"),
        ("Not Found: /invitations/eyJpIjoxfQ:1t5xyz:abcDEF123/", "eyJpIjoxfQ:1t5xyz:abcDEF123"),
        ("GET /rate/eJxTKkksSS0uUbJSMjRQ/ 200", "eJxTKkksSS0uUbJSMjRQ"),
        ("GET /accounts/password/reset/key/1-c9k2-abcdef0123/ 200", "1-c9k2-abcdef0123"),
        ("Authorization: Api-Key 1a2b3c4d.s3cr3t-VALUE_xyz", "1a2b3c4d.s3cr3t-VALUE_xyz"),
        ("headers={'X-Question-Token': 'Q9w8e7r6t5y4u3i2'}", "Q9w8e7r6t5y4u3i2"),
        ("https://gigcx.example/q/7/#t=Q9w8e7r6t5y4u3i2", "Q9w8e7r6t5y4u3i2"),
    ],
)
def test_the_log_filter_masks_tokens_and_keys(line: str, secret: str) -> None:
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s", (line,), None)

    assert ScrubSecrets().filter(record) is True

    assert secret not in record.getMessage()
    assert "[token]" in record.getMessage()
    assert scrub_secrets(line) == record.getMessage()


def test_the_log_filter_leaves_ordinary_lines_alone() -> None:
    for line in ['"GET /q/12/ HTTP/1.1" 200', "Task routing.sweep succeeded", "/brands/acme/"]:
        assert scrub_secrets(line) == line
