"""Voice API errors in German: booking a callback at a bad time, a second callback, and
rating a call that has not ended; each keeps its error code and books nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from voice.models import CallbackSlot

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def tomorrow_at(hour: int) -> datetime:
    day = timezone.now().astimezone(UTC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_callback_errors_are_german_with_their_codes(
    cast: Any, assigned: Any, ada_works_days: Any, api_as: Any
) -> None:
    client = api_as(cast.carol)
    url = f"/api/v1/questions/{assigned.pk}/callbacks"

    past = client.post(url, {"starts_at": "2020-01-01T10:00:00Z"}, format="json", **GERMAN)
    outside = client.post(url, {"starts_at": tomorrow_at(20).isoformat()}, format="json", **GERMAN)
    booked = client.post(url, {"starts_at": tomorrow_at(10).isoformat()}, format="json", **GERMAN)
    again = client.post(url, {"starts_at": tomorrow_at(11).isoformat()}, format="json", **GERMAN)

    assert past.status_code == 400
    assert past.json()["error"]["message"] == (
        "Wählen Sie eine Zeit, die mindestens 10 Minuten in der Zukunft liegt."
    )
    assert past.json()["error"]["fields"]["starts_at"] == ["Zu früh."]
    assert outside.status_code == 400
    assert outside.json()["error"]["code"] == "outside_windows"
    assert "Zu dieser Zeit ist kein Experte verfügbar" in outside.json()["error"]["message"]
    assert "No expert is available" not in outside.json()["error"]["message"]
    assert booked.status_code == 201, booked.content
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "callback_pending"
    assert "Für diese Frage ist bereits ein Rückruf gebucht." in again.json()["error"]["message"]
    assert CallbackSlot.objects.count() == 1


def test_a_missing_question_is_not_found_in_german(cast: Any, api_as: Any) -> None:
    response = api_as(cast.carol).post(
        "/api/v1/questions/999999/callbacks",
        {"starts_at": tomorrow_at(10).isoformat()},
        format="json",
        **GERMAN,
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "Diese Frage gibt es nicht."
    assert not CallbackSlot.objects.exists()
