"""The data rights page in German: the page, the refusal for staff, a wrong confirmation and
the goodbye message; English is unchanged for an English browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def test_a_customer_reads_her_data_page_in_german(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)

    page = client.get("/account/data/", **GERMAN)

    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Ihre Daten</h1>" in text
    assert "Mein Konto löschen" in text
    assert "Ihren Fragen (noch keine)" in text
    assert "Delete my account" not in text
    assert "Download your data" not in text


def test_a_wrong_confirmation_is_refused_in_german_and_deletes_nothing(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.carol)

    response = client.post("/account/delete/", {"confirm": "nope"}, **GERMAN)

    assert response.status_code == 400
    text = response.content.decode()
    assert "Um das Konto zu löschen, geben Sie genau seine E-Mail-Adresse" in text
    assert "type its email address" not in text
    assert get_user_model().objects.get(pk=cast.carol.pk).is_active


def test_staff_are_told_in_german_why_they_cannot_delete_here(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)

    text = client.get("/account/data/", **GERMAN).content.decode()

    assert "Sie gehören zum Team von Acme Outdoors." in text
    assert "You are on the staff" not in text


def test_the_goodbye_is_german(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)

    response = client.post(
        "/account/delete/", {"confirm": "carol@example.com"}, follow=True, **GERMAN
    )

    assert response.status_code == 200
    assert "Ihr Konto ist gelöscht und Sie sind abgemeldet." in response.content.decode()
    assert not get_user_model().objects.get(pk=cast.carol.pk).is_active


def test_english_is_unchanged(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)

    text = client.get("/account/data/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "One file (JSON) with your account, your questions (none yet), your ratings" in text
    assert "Delete my account" in text
