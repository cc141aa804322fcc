"""The marketplace, the site's frame and its API errors read German for a German browser:
the home page, the staff pages (dashboard, pool, brand details), flash messages, form errors,
error pages, the sign-in page and the API's error wrapper. English stays as it was."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from marketplace.models import Brand

pytestmark = pytest.mark.django_db
DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client: Client, url: str, **headers: Any) -> str:
    response = client.get(url, **(headers or DE))
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_home_page_and_the_frame_read_german(client: Client) -> None:
    # when
    html = page(client, "/")

    # then: the page, the menu, the footer and the page title
    assert '<html lang="de">' in html
    assert "Antworten von Menschen, die das Produkt selbst besitzen." in html
    assert "Zum Inhalt springen" in html
    assert ">Anmelden<" in html
    assert ">Registrieren<" in html
    assert "Kundenservice von Menschen, die das Produkt kennen · GigCX" in html
    assert 'aria-label="Menü öffnen"' in html
    for english in ("Answers from people who own the product.", "Skip to content", ">Log in<"):
        assert english not in html


def test_english_stays_as_it_was(client: Client) -> None:
    html = page(client, "/", **EN)

    assert "Answers from people who own the product." in html
    assert ">Log in<" in html
    assert "Antworten von Menschen" not in html


def test_the_owners_dashboard_reads_german(cast: Any, client: Client) -> None:
    # given
    client.force_login(cast.sam)

    # when
    html = page(client, "/brands/acme/manage/")

    # then: the tabs, the figures, the catalogue, the team and the owner's settings
    assert "Sie sind Inhaber der Marke" in html
    assert ">Übersicht<" in html
    assert ">Posteingang<" in html
    assert ">Expertenpool<" in html
    assert "Katalog" in html
    assert "Produkt hinzufügen" in html
    assert "Alle im Team müssen die Zwei-Faktor-Authentifizierung nutzen" in html
    assert "Gelöste Gespräche aufbewahren für (Tage)" in html
    assert 'placeholder="Leer: aufbewahren"' in html
    assert "Acme Outdoors · Übersicht · GigCX" in html
    assert "hat ein Produkt hinzugefügt" in html  # the recent activity, in words
    for english in ("Recent activity", "Add a product", "You are the brand's owner", ">Dashboard<"):
        assert english not in html


def test_a_quality_reviewer_reads_her_role_in_words(cast: Any, client: Client) -> None:
    client.force_login(cast.quinn)

    assert "You are the brand&#x27;s quality reviewer" in page(client, "/brands/acme/manage/", **EN)
    assert "Sie sind Qualitätsprüfer der Marke" in page(client, "/brands/acme/manage/")


def test_the_pool_reads_german_with_its_filters_and_statuses(cast: Any, client: Client) -> None:
    client.force_login(cast.maya)

    html = page(client, "/brands/acme/manage/pool/")

    assert "Expertenpool · Acme Outdoors" in html
    assert ">Zuletzt aktiv<" in html
    assert ">Kenntnisse<" in html
    assert "2 aufgenommen · 0 auf Probe" in html
    assert ">Aufgenommen<" in html  # the status badge (a model choice)
    assert ">Filtern<" in html
    assert "Last active" not in html
    assert ">Approved<" not in html


def test_a_form_with_errors_names_them_in_german(cast: Any, client: Client) -> None:
    # given
    client.force_login(cast.maya)

    # when: the name is left empty
    response = client.post(
        "/brands/acme/manage/details/",
        {"name": "", "languages": ["en"], "anonymous_questions_per_hour": 0},
        **DE,
    )

    # then: German labels, help and errors, and nothing changed
    html = response.content.decode()
    assert response.status_code == 400
    assert "Dieses Feld ist zwingend erforderlich." in html  # Django's own message
    assert "Slogan" in html
    assert "So, wie Ihre Kunden sie kennen." in html
    assert "This field is required." not in html
    assert Brand.objects.get(slug="acme").name == "Acme Outdoors"


def test_flash_messages_are_german(cast: Any, client: Client) -> None:
    # given
    client.force_login(cast.sam)

    # when
    response = client.post(
        "/brands/acme/manage/retention/", {"conversation_retention_days": "30"}, follow=True, **DE
    )

    # then
    html = response.content.decode()
    assert "Der Text gelöster Gespräche wird jetzt 30 Tage nach der Lösung gelöscht" in html
    assert Brand.objects.get(slug="acme").conversation_retention_days == 30


def test_a_refused_change_is_explained_in_german(cast: Any, client: Client) -> None:
    client.force_login(cast.quinn)

    response = client.post(
        "/brands/acme/manage/retention/", {"conversation_retention_days": "30"}, follow=True, **DE
    )

    assert "Ihre Rolle darf ansehen, aber nichts ändern" in response.content.decode()
    assert Brand.objects.get(slug="acme").conversation_retention_days is None


def test_error_pages_are_german(client: Client) -> None:
    response = client.get("/no/such/page/", **DE)

    html = response.content.decode()
    assert response.status_code == 404
    assert "Seite nicht gefunden" in html
    assert "Zur Startseite" in html
    assert "Page not found" not in html


def test_the_sign_in_page_is_german(client: Client) -> None:
    html = page(client, "/accounts/login/")

    assert "Passwort vergessen?" in html
    assert re.search(r"<title>\s*Anmeldung\s*· GigCX</title>", html)
    assert "Sie haben noch kein Konto?" in html  # formal, as the rest of the site
    assert "Forgot your password?" not in html
    assert "Du hast" not in html


def test_an_api_validation_error_is_german_with_our_wrapper(cast: Any, api_as: Any) -> None:
    # when: three fields are wrong
    response = api_as(cast.sam).post(
        "/api/v1/brands",
        {"name": "", "languages": ["xx"], "is_active": False},
        format="json",
        **DE,
    )

    # then: DRF's messages and ours are German, the field names stay as the API spells them
    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["fields"]["is_active"] == ["Unbekanntes Feld; es kann hier nicht gesetzt werden."]
    assert error["message"].endswith(
        "(2 weitere Felder zu korrigieren; jedes ist mit seinem Problem aufgeführt.)"
    )
    assert "fields" not in error["message"]


def test_an_api_domain_error_is_german(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).post(
        "/api/v1/brands/acme/categories", {"name": "   "}, format="json", **DE
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] in (
        "Eine Kategorie braucht einen Namen.",
        "name: Dieses Feld darf nicht leer sein.",
    )


def test_an_api_refusal_names_the_brand_in_german(cast: Any, api_as: Any) -> None:
    # when: a quality reviewer tries to add a category
    response = api_as(cast.quinn).post(
        "/api/v1/brands/acme/categories", {"name": "Socks"}, format="json", **DE
    )

    # then
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Ihre Rolle im Team von Acme Outdoors darf das nicht; "
        "wenden Sie sich an einen Inhaber oder Manager."
    )
    assert not cast.acme.categories.filter(name="Socks").exists()
