"""The expert's own profile: languages, timezone, capacity, weekly windows, notifications."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from marketplace.models import AvailabilityWindow, ExpertProfile

pytestmark = pytest.mark.django_db


def test_a_new_person_creates_a_profile_with_windows(cast: Any, api_as: Any) -> None:
    client = api_as(cast.carol)
    assert client.get("/api/v1/expert/profile").status_code == 404

    response = client.patch(
        "/api/v1/expert/profile",
        {
            "display_name": "Carol D.",
            "languages": ["en", "fr"],
            "timezone": "Europe/Paris",
            "capacity": 3,
            "notify_offers_email": True,
            "availability": [
                {"weekday": 5, "start": "09:00", "end": "12:00"},
                {"weekday": 0, "start": "18:00", "end": "21:30"},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["initials"], body["timezone"], body["capacity"]) == ("CD", "Europe/Paris", 3)
    assert body["availability"] == [
        {"weekday": 0, "start": "18:00", "end": "21:30"},
        {"weekday": 5, "start": "09:00", "end": "12:00"},
    ]
    profile = ExpertProfile.objects.get(user=cast.carol)
    assert profile.notify_offers_email is True
    assert profile.notify_offers_browser is True  # default kept
    assert list(profile.availability.values_list("weekday", "start")) == [
        (0, time(18)),
        (5, time(9)),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"capacity": 11}, "capacity"),
        ({"languages": []}, "languages"),
        ({"availability": [{"weekday": 1, "start": "10:00", "end": "09:00"}]}, "availability"),
        (
            {
                "availability": [
                    {"weekday": 1, "start": "09:00", "end": "12:00"},
                    {"weekday": 1, "start": "11:00", "end": "13:00"},
                ]
            },
            "availability",
        ),
        ({"quality_score": 5}, "quality_score"),
    ],
)
def test_bad_profile_changes_are_400_and_change_nothing(
    cast: Any, api_as: Any, change: dict[str, Any], field: str
) -> None:
    client = api_as(cast.ada)
    response = client.patch("/api/v1/expert/profile", change, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    profile = ExpertProfile.objects.get(user=cast.ada)
    assert (profile.capacity, profile.timezone, profile.languages) == (2, "UTC", ["en"])
    assert not AvailabilityWindow.objects.exists()


def test_the_profile_lists_every_pool_the_person_is_in(cast: Any, api_as: Any) -> None:
    from marketplace import services

    services.expert_enrol(brand=cast.northwind, user=cast.ada, status="approved", actor=cast.nora)
    pools = api_as(cast.ada).get("/api/v1/expert/profile").json()["pools"]
    assert {pool["brand"] for pool in pools} == {"acme", "northwind"}


def test_the_profile_page_saves_windows_and_notifications(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    page = client.get("/expert/profile/")
    assert page.status_code == 200
    assert "Weekly windows" in page.content.decode()
    response = client.post(
        "/expert/profile/",
        {
            "display_name": "Ada L.",
            "bio": "Ultra runner.",
            "languages": ["en", "de"],
            "timezone": "Europe/Berlin",
            "capacity": "4",
            "notify_program_email": "on",
            "windows-TOTAL_FORMS": "2",
            "windows-INITIAL_FORMS": "0",
            "windows-0-weekday": "2",
            "windows-0-start": "08:00",
            "windows-0-end": "10:00",
            "windows-1-weekday": "",
            "windows-1-start": "",
            "windows-1-end": "",
        },
    )
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=cast.ada)
    assert (profile.display_name, profile.capacity, profile.timezone) == (
        "Ada L.",
        4,
        "Europe/Berlin",
    )
    assert (profile.notify_offers_browser, profile.notify_program_email) == (False, True)
    assert list(profile.availability.values_list("weekday", "start", "end")) == [
        (2, time(8), time(10))
    ]


def test_a_half_filled_window_is_an_error_on_the_page(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    response = client.post(
        "/expert/profile/",
        {
            "display_name": "Ada",
            "languages": ["en"],
            "timezone": "UTC",
            "capacity": "2",
            "windows-TOTAL_FORMS": "1",
            "windows-INITIAL_FORMS": "0",
            "windows-0-weekday": "2",
            "windows-0-start": "08:00",
            "windows-0-end": "",
        },
    )
    assert response.status_code == 400
    assert "Give the day, the start and the end." in response.content.decode()
    assert not AvailabilityWindow.objects.exists()


def test_api_keys_have_no_expert_profile(cast: Any, api: Any) -> None:
    from marketplace import services

    _, plain = services.api_key_create(brand=cast.acme, name="crm", actor=cast.sam)
    response = api.get("/api/v1/expert/profile", HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert response.status_code == 403
