"""Routing in German (issue 13): the ask page, the conversation, its API errors and flash
messages read in German for a German browser, and stay English for an English one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from routing import services
from routing.models import Question

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def page(client: Client, url: str, **headers: Any) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    assert response.headers["Content-Language"] == "de", url
    return response.content.decode()


def test_a_german_visitor_reads_the_ask_page_in_german(cast: Any, client: Client) -> None:
    response = client.get("/brands/acme/ask/", **GERMAN)
    html = response.content.decode()

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"
    for german in (
        "Acme Outdoors fragen",
        "Wissensdatenbank von Acme Outdoors",
        "Um welches Produkt geht es?",
        "Weiß nicht / anderes",
        "Ihre Frage",
        "Wer soll antworten?",
        "GigCX entscheiden lassen",
        "Zuerst die KI",
        "Ihre E-Mail-Adresse",
        "Antworten können automatisch sein.",
        "Wie wir mit Ihren Daten umgehen",
        "Frage senden",
    ):
        assert german in html, german
    for english in ("Send question", "Who should answer?", "Let GigCX decide", "Your email"):
        assert english not in html, english


def test_an_english_visitor_still_reads_the_ask_page_in_english(cast: Any, client: Client) -> None:
    html = client.get("/brands/acme/ask/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Ask Acme Outdoors" in html
    assert "Send question" in html
    assert "Let GigCX decide" in html
    assert "Frage senden" not in html


def test_a_german_askers_mistakes_are_explained_in_german(
    cast: Any, client: Client, held_tasks: Any
) -> None:
    response = client.post(
        "/brands/acme/ask/",
        {"body": "Hm", "preference": "auto", "tone_analysis": "on"},
        **GERMAN,
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "Dieses Feld ist zwingend erforderlich." in html  # Django's own, for the email
    assert Question.objects.count() == 0

    client.force_login(cast.carol)
    short = client.post(
        "/brands/acme/ask/", {"body": "Hm", "preference": "auto"}, **GERMAN
    ).content.decode()
    assert "Erzählen Sie uns etwas mehr: mindestens" in short
    assert "Tell us a bit more" not in short
    assert Question.objects.count() == 0


def test_the_customers_question_page_reads_in_german(
    cast: Any, client: Client, assigned: Question
) -> None:
    client.force_login(cast.carol)
    html = page(client, f"/questions/{assigned.pk}/", **GERMAN)

    for german in (
        "Ihre Frage",
        "Bei einem Experten",  # the status badge
        "hilft Ihnen",
        "für dieses Produkt verifiziert",
        "Nachricht schreiben …",
        "Als gelöst markieren",
        "Sie",  # her own messages
    ):
        assert german in html, german
    for english in ("Your question", "Mark as resolved", "is helping", "Write a message"):
        assert english not in html, english


def test_the_expert_sees_the_conversation_and_the_rating_in_german(
    cast: Any, client: Client, assigned: Question
) -> None:
    services.question_resolve(question_id=assigned.pk, actor=cast.carol)
    client.force_login(cast.ada)
    html = page(client, f"/questions/{assigned.pk}/", **GERMAN)

    assert "Kundenfrage" in html
    assert "Gelöst" in html
    assert "Der Kunde hat diese Unterhaltung noch nicht bewertet." in html
    assert "Customer question" not in html

    client.force_login(cast.carol)
    carol = page(client, f"/questions/{assigned.pk}/", **GERMAN)
    assert "Wie waren wir?" in carol
    assert "Ist Ihr Problem gelöst?" in carol
    assert "Bewertung senden" in carol
    assert "How did we do?" not in carol


def test_api_errors_follow_the_browsers_language(cast: Any, api_as: Any) -> None:
    api = api_as(cast.carol)
    german = api.post(
        "/api/v1/brands/acme/questions",
        {"body": "About the wheelset please", "product_id": cast.northwind_product.pk},
        format="json",
        **GERMAN,
    )
    english = api.post(
        "/api/v1/brands/acme/questions",
        {"body": "About the wheelset please", "product_id": cast.northwind_product.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert german.status_code == english.status_code == 400
    assert german.json()["error"]["code"] == english.json()["error"]["code"]  # codes stay
    assert german.json()["error"]["fields"] == {
        "product_id": ["Dieses Produkt gibt es bei dieser Marke nicht."]
    }
    assert german.json()["error"]["message"] == (
        "Die Frage konnte nicht gesendet werden; bitte prüfen Sie die Felder."
    )
    assert english.json()["error"]["fields"] == {"product_id": ["No such product at this brand."]}

    missing = api.get("/api/v1/questions/999999", **GERMAN)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Diese Frage gibt es nicht."


def test_an_experts_presence_flash_reads_in_german(cast: Any, client: Client) -> None:
    client.force_login(cast.ada)
    response = client.post("/expert/presence/", {"status": "online"}, follow=True, **GERMAN)

    assert response.status_code == 200
    assert "Sie sind online." in response.content.decode()
    assert "You are online." not in response.content.decode()


def test_the_customers_home_and_the_private_link_page_read_in_german(
    cast: Any, client: Client, assigned: Question
) -> None:
    client.force_login(cast.carol)
    home = page(client, "/customer/", **GERMAN)
    assert "Eine Marke fragen" in home
    assert "Ihre Fragen" in home
    assert "Acme Outdoors fragen" in home
    assert "2 Produkte" in home
    assert "Ask a brand" not in home

    opener = page(Client(), f"/q/{assigned.pk}/", **GERMAN)
    assert "Ihre private Unterhaltung" in opener
    assert "Your private conversation" not in opener


def test_the_widgets_ask_form_reads_in_german(cast: Any, client: Client) -> None:
    html = page(client, "/embed/acme/", **GERMAN)

    assert "Acme Outdoors fragen" in html
    assert "Wer soll antworten?" in html
    assert "GigCX entscheiden lassen" in html
    assert "Datenschutz" in html
    assert "Who should answer?" not in html


def test_the_javascript_catalog_carries_the_live_pages_words(client: Client) -> None:
    german = client.get("/jsi18n/", **GERMAN).content.decode()
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Etwas ist schiefgelaufen." in german
    assert "Allgemeine Frage" in german
    assert "Allgemeine Frage" not in english


def test_a_german_only_brands_page_loads_the_german_catalog_for_an_english_browser(
    cast: Any, client: Client
) -> None:
    cast.northwind.languages = ["de"]
    cast.northwind.save(update_fields=["languages"])

    html = page(client, f"/embed/{cast.northwind.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<script src="/jsi18n/de/"></script>' in html  # the page's language, not the browser's
    english_page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<script src="/jsi18n/en/"></script>' in english_page

    catalog = client.get("/jsi18n/de/", HTTP_ACCEPT_LANGUAGE="en")
    assert catalog.status_code == 200
    assert catalog.headers["Content-Language"] == "de"
    assert "Etwas ist schiefgelaufen." in catalog.content.decode()
    english = client.get("/jsi18n/en/", **GERMAN)
    assert english.headers["Content-Language"] == "en"
    assert "Etwas ist schiefgelaufen." not in english.content.decode()
    for unknown in ("fr", "xx", "de-AT"):
        assert client.get(f"/jsi18n/{unknown}/").status_code == 404, unknown


def test_the_expert_console_reads_in_german(cast: Any, client: Client, online: Any) -> None:
    online(cast.ada)
    client.force_login(cast.ada)
    html = page(client, "/expert/console/", **GERMAN)

    for german in (
        "Expertenkonsole",
        "Angebote",
        "Gerade keine Angebote.",
        "Abwesend",
        "Ihr Verlauf",
    ):
        assert german in html, german
    for english in ("No offers right now", "Answering now", "Your availability"):
        assert english not in html, english


def test_the_staff_inbox_and_its_filter_errors_read_in_german(
    cast: Any, client: Client, assigned: Question
) -> None:
    client.force_login(cast.maya)
    response = client.get("/brands/acme/manage/queue/?tab=nope&mood=grumpy", **GERMAN)
    html = response.content.decode()

    assert response.status_code == 400  # the bad filters are left out and said so

    for german in (
        "Posteingang",
        "Bei einem Experten",  # a tab
        "Einige Filter wurden nicht angewendet:",
        "Einen Reiter „nope“ gibt es nicht.",
        "„grumpy“ ist keine Stimmung, die wir auswerten.",
        "Jede Stimmung",
        "Deutsch",  # the brand's languages, named in German
    ):
        assert german in html, german
    for english in ("Some filters were left out", "Any mood", "Who has it"):
        assert english not in html, english

    panel = page(client, f"/questions/{assigned.pk}/", **GERMAN)
    assert "Interne Notizen" in panel
    assert "Schlagwort hinzufügen" in panel
    assert "Internal notes" not in panel

    note = client.post(
        f"/brands/acme/manage/questions/{assigned.pk}/notes/",
        {"body": "Sie hat schon zweimal gefragt."},
        follow=True,
        **GERMAN,
    )
    assert "Notiz hinzugefügt. Nur Ihr Team sieht sie." in note.content.decode()
    assert assigned.internal_notes.filter(body="Sie hat schon zweimal gefragt.").exists()


def test_the_routing_settings_canned_replies_and_history_read_in_german(
    cast: Any, client: Client
) -> None:
    client.force_login(cast.maya)
    settings = page(client, "/brands/acme/manage/routing/", **GERMAN)
    assert "Wer zuerst ein Angebot erhält" in settings
    assert "Produktkenntnis" in settings  # a factor's label
    assert "Vorschau an den letzten Fragen" in settings
    assert "Who is offered first" not in settings

    refused = client.post(
        "/brands/acme/manage/replies/", {"title": "", "body": ""}, **GERMAN
    ).content.decode()
    assert "Textbausteine und Schlagwörter" in refused
    assert "Dieses Feld ist zwingend erforderlich." in refused
    assert not cast.acme.canned_replies.exists()

    client.force_login(cast.ada)
    history = page(client, "/expert/history/", **GERMAN)
    assert "Ihr Verlauf" in history
    assert "Noch keine abgeschlossenen Unterhaltungen." in history
    assert "Conversations you handled" not in history


def test_the_knowledge_pages_read_in_german(cast: Any, client: Client) -> None:
    entry = services.knowledge_entry_create(
        brand=cast.acme,
        question="How do I clean the Trailblazer 2?",
        answer="Rinse with cold water.",
        actor=cast.sam,
    )
    public = page(Client(), f"/brands/acme/help/{entry.pk}/", **GERMAN)
    assert "Acme Outdoors eine Frage stellen" in public
    assert "Ask Acme Outdoors a question" not in public

    client.force_login(cast.maya)
    listing = page(client, "/brands/acme/manage/knowledge/", **GERMAN)
    assert "Wissensdatenbank" in listing
    assert "1 veröffentlicht" in listing
    assert "Hilfequote" in listing
    assert "Help rate" not in listing

    created = client.post(
        "/brands/acme/manage/knowledge/new/",
        {"question": "Are the laces replaceable?", "answer": "Yes, any 120 cm lace.", "draft": "1"},
        follow=True,
        **GERMAN,
    )
    assert "Eintrag als Entwurf gespeichert." in created.content.decode()
    assert "Letzte automatische Antworten" in created.content.decode()  # the entry's page
    assert "Latest automated answers" not in created.content.decode()
    assert cast.acme.knowledge.filter(question="Are the laces replaceable?").exists()


def test_the_surges_pages_read_in_german(cast: Any, client: Client, clock: Any) -> None:
    from datetime import timedelta

    from routing.models import StaffingSurge, SurgeIncident

    question = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="The sole of my Trailblazer 2 is peeling off",
        product_id=cast.trail_shoe.pk,
    )[0]
    incident = SurgeIncident.objects.create(
        brand=cast.acme,
        product=cast.trail_shoe,
        started_at=clock.now - timedelta(hours=2),
        question_ids=[question.pk],
        question_count=5,
        expected_count=0.4,
    )
    StaffingSurge.objects.create(
        brand=cast.acme, started_at=clock.now, peak_waiting=4, free_slots_at_start=1
    )
    client.force_login(cast.maya)

    listing = page(client, "/brands/acme/manage/surges/", **GERMAN)
    for german in (
        "Braucht eine Entscheidung",
        "Personalengpässe",
        "4 warten in der Spitze, 1 freier Platz online",
        "Baut sich auf: Experten werden eingeladen, wenn es anhält.",
    ):
        assert german in listing, german
    for english in ("Needs a decision", "Staffing surges", "waiting at the peak"):
        assert english not in listing, english

    detail = page(client, f"/brands/acme/manage/surges/{incident.pk}/", **GERMAN)
    for german in (
        "5 Kunden fragen nach demselben Problem",
        "So wurde gefragt",
        "Hinweis auf ein bekanntes Problem",
        "Überschrift, die Kunden sehen",
        "Hinweis veröffentlichen",
    ):
        assert german in detail, german
    for english in ("Asked like this", "Known-issue notice", "Publish the notice"):
        assert english not in detail, english

    # a mistake is explained in German, on the German page
    url = f"/brands/acme/manage/surges/{incident.pk}/action/"
    refused = client.post(url, {"action": "publish", "headline": " "}, **GERMAN)
    assert refused.status_code == 400
    assert "Sagen Sie in einer Zeile, was Kunden wissen sollten." in refused.content.decode()
    assert "Say in one line" not in refused.content.decode()
    incident.refresh_from_db()
    assert incident.status == SurgeIncident.Status.OPEN

    # publishing twice is a conflict, said in German
    notice = {"action": "publish", "headline": "Soles", "answer": "Send them back."}
    assert client.post(url, notice, **GERMAN).status_code == 302
    again = client.post(url, notice, **GERMAN)
    assert again.status_code == 409
    assert "Für diesen Anstieg ist bereits ein Hinweis veröffentlicht." in again.content.decode()


def test_the_gaps_page_reads_in_german(cast: Any, client: Client, ask: Any) -> None:
    ask("How do I pitch the Ridgeline tent in strong wind?", product=None)
    ask("Pitching the Ridgeline tent when it is very windy: any tips?", product=None)
    client.force_login(cast.sam)

    html = page(client, "/brands/acme/manage/knowledge/gaps/", **GERMAN)

    for german in (
        "Lücken in der Wissensdatenbank",
        "2 Fragen der letzten 30 Tage fanden keinen guten Eintrag",
        "So wurde gefragt",
        "Beste Expertenantwort",
        "Noch kein Experte hat eine dieser Fragen gelöst.",
        "Eintrag schreiben",
        "Alle Einträge",
    ):
        assert german in html, german
    for english in ("Gaps in the knowledge base", "had no good entry", "Asked like this"):
        assert english not in html, english


def test_the_applicants_questions_read_in_german_with_a_german_date(
    cast: Any, ask: Any, api_as: Any, clock: Any
) -> None:
    from datetime import UTC, datetime

    from marketplace import services as marketplace

    clock.at(datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    ask("Do the Trailblazer 2 run narrow?", product=None)
    application = marketplace.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="I run in them every day.",
        accept_terms=True,
    )

    history = (
        api_as(cast.sam)
        .get(f"/api/v1/brands/acme/applications/{application.pk}", **GERMAN)
        .json()["history"]
    )

    titles = [section["title"] for section in history["sections"]]
    assert "Questions asked" not in titles
    section = next(s for s in history["sections"] if s["title"] == "Gestellte Fragen")
    assert section["lines"][0].startswith("5. März 2026 · Allgemein · ")


def test_knowledge_api_conflicts_are_explained_in_german(cast: Any, api_as: Any) -> None:
    client = api_as(cast.maya)
    created = client.post(
        "/api/v1/brands/acme/knowledge",
        {"question": "Are the laces replaceable?", "answer": "Yes, any 120 cm lace."},
        format="json",
    )
    assert created.status_code == 201
    base = f"/api/v1/brands/acme/knowledge/{created.json()['id']}"
    assert client.post(f"{base}/archive").status_code == 200

    refused = client.post(f"{base}/publish", **GERMAN)

    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert message == "Stellen Sie den Eintrag wieder her, bevor Sie ihn veröffentlichen."
    english = client.post(f"{base}/publish", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"] == "Restore the entry before publishing it."
