"""The rating page behind the "how did we do?" email, in German: the form, its errors, the
thanks, a broken link, and the API's rating errors."""

from __future__ import annotations

from typing import Any

import pytest

from quality.models import Rating
from quality.services.survey import rate_link_token

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def test_a_german_customer_rates_through_the_link_in_german(
    cast: Any, resolved: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    question = resolved()
    url = f"/rate/{rate_link_token(question.pk)}/"

    page = client.get(url, **GERMAN)
    assert page.status_code == 200
    assert page.headers["Content-Language"] == "de"
    text = page.content.decode()
    assert "<h1>Wie waren wir?</h1>" in text
    assert "Ist Ihr Problem gelöst?" in text
    assert "Bewertung senden" in text
    assert "How did we do?" not in text
    assert "Send rating" not in text

    missing = client.post(url, {"score": "9"}, **GERMAN)
    assert missing.status_code == 400
    assert "Sagen Sie uns, ob Ihr Problem gelöst ist." in missing.content.decode()
    assert not Rating.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"score": "2", "solved": "no"}, **GERMAN)
    assert done.status_code == 200
    assert "Vielen Dank" in done.content.decode()
    assert "nicht gelöst" in done.content.decode()
    assert Rating.objects.get(question=question).score == 2

    again = client.post(url, {"score": "5", "solved": "yes"}, **GERMAN)
    assert "Bereits bewertet" in again.content.decode()
    assert Rating.objects.get(question=question).score == 2


def test_a_broken_link_explains_itself_in_german(cast: Any, client: Any) -> None:
    response = client.get("/rate/not-a-token/", **GERMAN)

    assert response.status_code == 404
    text = response.content.decode()
    assert "Dieser Link funktioniert nicht" in text
    assert "Dieser Bewertungslink ist ungültig oder abgelaufen." in text
    assert "not valid" not in text


def test_the_rating_api_errors_follow_the_browsers_language(
    cast: Any, resolved: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    question = resolved()
    client = api_as(cast.carol)
    url = f"/api/v1/questions/{question.pk}/rating"

    bad = client.post(url, {"score": 9, "solved": True}, format="json", **GERMAN)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"score": 4, "solved": True}, format="json")
    twice = client.post(url, {"score": 4, "solved": True}, format="json", **GERMAN)

    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["score"] == [
        "Bewerten Sie von 1 (schlecht) bis 5 (ausgezeichnet)."
    ]
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == "Sie haben diese Frage bereits bewertet."
    assert twice.json()["error"]["code"] == "already_rated"  # codes stay as they are


def test_the_figures_are_in_the_languages_number_format() -> None:
    from django.utils import translation

    from quality.templatetags.quality_tags import duration, percent, stars

    with translation.override("en"):
        assert (percent(0.456), duration(600), stars(4.25)) == ("46%", "10.0 min", "4.25")
    with translation.override("de"):
        assert (percent(0.456), duration(600), stars(4.25)) == ("46 %", "10,0 min", "4,25")
    assert percent(None) == duration(None) == stars(None) == "—"


def test_an_expert_reads_the_leaderboard_and_her_handled_list_in_german(
    cast: Any, client: Any, resolved: Any
) -> None:
    resolved()
    client.force_login(cast.ada)

    board = client.get("/expert/leaderboard/acme/", **GERMAN)
    standing = client.get("/expert/standing/", **GERMAN)

    assert board.status_code == 200
    assert "<h1>Bestenliste</h1>" in board.content.decode()
    assert "Sie sind nicht gelistet." in board.content.decode()
    assert "Leaderboard" not in board.content.decode()
    assert standing.status_code == 200
    assert "Beendet" in standing.content.decode()
    assert "nicht bewertet" in standing.content.decode()
    assert "not rated" not in standing.content.decode()


def test_joining_the_leaderboard_is_confirmed_in_german(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)

    response = client.post(
        "/expert/standing/acme/leaderboard/", {"leaderboard": "on"}, follow=True, **GERMAN
    )

    assert response.status_code == 200
    assert "Sie stehen auf der Bestenliste von Acme Outdoors." in response.content.decode()
