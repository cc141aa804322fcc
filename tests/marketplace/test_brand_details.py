"""The brand's details page: owners and managers edit name, tagline, website and languages;
quality reviewers read them; bad input is named beside its field and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import AuditEvent
from marketplace.models import Brand

pytestmark = pytest.mark.django_db
URL = "/brands/acme/manage/details/"
LIMITS = {"anonymous_questions_per_hour": 300, "questions_per_customer_per_day": 50}


def test_a_manager_edits_the_details_and_the_public_page_shows_them(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    assert 'id="brand-details-form"' in client.get(URL).content.decode()

    response = client.post(
        URL,
        {
            "name": "Acme Outdoors",
            "tagline": "Gear for wet weekends",
            "website": "https://acme.example",
            "languages": ["en", "de"],
            **LIMITS,
        },
    )

    assert response.status_code == 302
    acme = Brand.objects.get(slug="acme")
    assert (acme.tagline, acme.website, acme.languages) == (
        "Gear for wet weekends",
        "https://acme.example",
        ["de", "en"],
    )
    assert AuditEvent.objects.filter(action="brand.updated", actor=cast.maya).exists()
    assert "Gear for wet weekends" in client.get("/brands/acme/").content.decode()
    assert URL in client.get("/brands/acme/manage/").content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"website": "not a site"}, "website"),
        ({"languages": []}, "languages"),
        ({"languages": ["xx"]}, "languages"),
        ({"anonymous_questions_per_hour": 0}, "anonymous_questions_per_hour"),
        ({"questions_per_customer_per_day": "many"}, "questions_per_customer_per_day"),
    ],
)
def test_bad_input_is_named_beside_its_field_and_nothing_changes(
    cast: Any, client: Any, change: dict[str, Any], field: str
) -> None:
    client.force_login(cast.sam)
    before = Brand.objects.filter(slug="acme").values().get()
    data = {
        "name": "Acme Outdoors",
        "tagline": "",
        "website": "",
        "languages": ["en"],
        **LIMITS,
        **change,
    }

    response = client.post(URL, data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert Brand.objects.filter(slug="acme").values().get() == before


def test_quality_reviewers_read_the_details_without_a_form(cast: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    html = client.get(URL).content.decode()
    assert 'id="brand-details"' in html
    assert 'id="brand-details-form"' not in html
    refused = client.post(URL, {"name": "Hijacked", "languages": ["en"]}, follow=True)
    assert "Your role can look but not change" in refused.content.decode()
    assert Brand.objects.get(slug="acme").name == "Acme Outdoors"
