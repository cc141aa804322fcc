"""The brand's quality pages (service figures, one customer's relationship, the review queue
and one review) and the expert's standing page, in German for a German browser."""

from __future__ import annotations

from typing import Any

import pytest

from quality.models import Review
from quality.services import quality_settings_update

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def german_page(client: Any, url: str) -> str:
    response = client.get(url, **GERMAN)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"
    text = response.content.decode()
    assert "TEMPLATE_STRING_IF_INVALID" not in text
    return text


@pytest.fixture
def low_rated_review(cast: Any, resolved: Any, rate: Any) -> Review:
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=0)
    rate(resolved(cast.ada), 2, solved=False, comment="Wrong size advice")
    return Review.objects.get()


def test_the_service_figures_and_a_customer_page_are_german(
    cast: Any, resolved: Any, rate: Any, client: Any
) -> None:
    rate(resolved(cast.ada), 5)
    client.force_login(cast.quinn)

    text = german_page(client, "/brands/acme/manage/metrics/")
    for german in (
        "<h1>Service</h1>",
        "Automatisch beantwortet",
        "Erste menschliche Antwort",
        "Wiederkehrende Kunden",
        "Kunden mit den meisten Fragen",
        "Was die Zahlen bedeuten",
        'data-label="Experte"',
    ):
        assert german in text
    for english in ("Answered automatically", "Customers who ask most", "What the figures mean"):
        assert english not in text

    page = german_page(client, f"/brands/acme/manage/customers/{cast.carol.pk}/")
    assert "Kunde von " in page
    assert "Bisherige Experten" in page
    assert "Stimmungsgewinn" in page
    assert "1 Frage" in page
    assert "Experts met" not in page
    assert "Mood lift" not in page


def test_a_bad_range_on_the_german_service_page_stays_a_page(cast: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    response = client.get("/brands/acme/manage/metrics/?from=nope", **GERMAN)
    assert response.status_code == 400
    assert "Was die Zahlen bedeuten" in response.content.decode()


def test_the_review_queue_and_a_review_are_german(
    cast: Any, low_rated_review: Any, client: Any
) -> None:
    client.force_login(cast.quinn)
    queue = german_page(client, "/brands/acme/manage/reviews/")
    assert "<h1>Qualitätsprüfungen</h1>" in queue
    assert "Wartet auf Prüfung" in queue
    assert "Was geprüft wird" in queue
    assert "1 offen" in queue
    assert "Waiting for review" not in queue
    assert "What gets reviewed" not in queue

    url = f"/brands/acme/manage/reviews/{low_rated_review.pk}/"
    page = german_page(client, url)
    assert "<h2>Ihre Prüfung</h2>" in page
    assert "Prüfung speichern" in page
    assert "nicht gelöst" in page
    assert "Save review" not in page
    assert "Your review" not in page

    done = client.post(url, {"empathy": "4", "accuracy": "3", "tone": "4", "policy": "5"}, **GERMAN)
    assert done.status_code == 302
    low_rated_review.refresh_from_db()
    assert low_rated_review.status == "done"
    reviewed = german_page(client, url)
    assert "<h2>Geprüft</h2>" in reviewed
    assert "Richtigkeit" in reviewed


def test_the_review_pages_stay_closed_to_other_brands_in_german(
    cast: Any, low_rated_review: Any, client: Any
) -> None:
    client.force_login(cast.nora)
    response = client.get(f"/brands/acme/manage/reviews/{low_rated_review.pk}/", **GERMAN)
    assert response.status_code == 404


def test_the_expert_standing_is_german(cast: Any, resolved: Any, rate: Any, client: Any) -> None:
    for score in (5, 4):
        rate(resolved(cast.ada), score)
    client.force_login(cast.ada)
    text = german_page(client, "/expert/standing/")
    for german in (
        "<h1>Ihr Ansehen</h1>",
        "Stufe Bronze",
        "<h3>Abzeichen</h3>",
        "So funktionieren Punktzahl und Stufen",
        "Ihre bearbeiteten Unterhaltungen",
        "Bestenliste",
    ):
        assert german in text
    for english in ("Your standing", "How the score and tiers work", "Conversations you handled"):
        assert english not in text


def test_the_next_tier_and_the_score_update_read_as_german(
    cast: Any, resolved: Any, rate: Any, client: Any
) -> None:
    for score in (5, 4):
        rate(resolved(cast.ada), score)
    client.force_login(cast.ada)
    text = german_page(client, "/expert/standing/")
    assert "Silber braucht noch 3 Bewertungen" in text
    assert "Kundenbewertungen (bayesscher Mittelwert)" in text
    assert "(eine neue Bewertung)" in text
    assert "(Ihr Mittelwert 4,50 aus 2, Mittelwert der Marke" in text
    assert "your mean" not in text
    assert "Lösen Sie 10 Gespräche in diesem Expertenpool." in text
    assert "Erste 10 gelöste Fragen" in text
    assert "First 10 resolutions" not in text
    assert "Silver needs" not in text
    assert "Customer ratings (Bayesian average)" not in text


def test_the_metrics_api_explains_a_bad_range_in_german(cast: Any, api_as: Any) -> None:
    client = api_as(cast.quinn)
    bad = client.get("/api/v1/brands/acme/metrics?from=nope", **GERMAN)
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "Der Zeitraum ist ungültig; siehe die Felder."
    assert bad.json()["error"]["fields"]["from"] == ["Verwenden Sie ein Datum wie 2026-11-30."]

    backwards = client.get("/api/v1/brands/acme/metrics?from=2026-11-30&to=2026-11-01", **GERMAN)
    assert backwards.status_code == 400
    assert backwards.json()["error"]["fields"]["from"] == ["Am oder vor dem Enddatum."]

    flag = client.get("/api/v1/brands/acme/metrics?customers=maybe", **GERMAN)
    assert flag.status_code == 400
    assert flag.json()["error"]["fields"]["customers"] == ["Verwenden Sie true oder false."]


def test_a_review_with_a_missing_score_is_explained_in_german(
    cast: Any, low_rated_review: Any, client: Any
) -> None:
    client.force_login(cast.quinn)
    url = f"/brands/acme/manage/reviews/{low_rated_review.pk}/"
    missing = client.post(url, {"empathy": "5"}, **GERMAN)
    assert missing.status_code == 400
    text = missing.content.decode()
    assert 'id="id_tone-errors"' in text
    assert "Dieses Feld ist zwingend erforderlich." in text
    assert "This field is required." not in text
    low_rated_review.refresh_from_db()
    assert low_rated_review.status == "pending"
