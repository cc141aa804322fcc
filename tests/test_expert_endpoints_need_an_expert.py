"""The /api/v1/expert/* endpoints answer 403, with a message saying why, to signed-in people
who are not experts (customers, brand staff); experts keep their answers."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from routing.models import Presence

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["carol", "sam"])
def test_a_non_expert_is_told_the_endpoints_are_for_experts(cast: Any, who: str) -> None:
    client = APIClient()
    client.force_authenticate(getattr(cast, who))
    for url in ("/api/v1/expert/offers", "/api/v1/expert/earnings", "/api/v1/expert/history"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "for experts" in response.json()["error"]["message"], url
    # and nothing was written for her (no presence row from a refused go-online)
    assert (
        client.post("/api/v1/expert/presence", {"status": "online"}, format="json").status_code
        == 403
    )
    assert not Presence.objects.filter(user=getattr(cast, who)).exists()


def test_an_expert_keeps_her_answers(cast: Any) -> None:
    client = APIClient()
    client.force_authenticate(cast.ada)
    assert client.get("/api/v1/expert/offers").status_code == 200
    assert (
        client.post("/api/v1/expert/presence", {"status": "online"}, format="json").status_code
        == 200
    )


def test_the_refusal_speaks_german_to_a_german_speaker(cast: Any) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=cast.carol.pk).update(language="de")
    client = APIClient()
    client.force_login(cast.carol)  # a session, as the site's pages use: her language applies
    response = client.get("/api/v1/expert/offers")
    assert response.status_code == 403
    assert "für Expertinnen und Experten" in response.json()["error"]["message"]
