"""Applying to a brand's advocate program and the staff review of applications."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import AuditEvent
from marketplace import services
from marketplace.models import Application, Brand, Expert, ExpertProfile, ExpertSkill
from marketplace.selectors import (
    HistorySection,
    applicant_history_provider_register,
    applicant_history_provider_unregister,
)
from tests.test_tenancy import database_fingerprint

pytestmark = pytest.mark.django_db


def body(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "products": [{"product_id": cast.trail_shoe.pk, "level": 4}],
        "languages": ["en", "de"],
        "motivation": "I guide hikes every weekend.",
        "accept_terms": True,
    }
    data.update(overrides)
    return data


def test_a_customer_applies_and_appears_as_applied_with_self_rated_skills(
    cast: Any, api_as: Any
) -> None:
    # when
    response = api_as(cast.carol).post(
        "/api/v1/brands/acme/applications", body(cast), format="json"
    )

    # then
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    application = Application.objects.get(user=cast.carol)
    assert [(i.product, i.level) for i in application.items.all()] == [(cast.trail_shoe, 4)]
    expert = Expert.objects.get(brand=cast.acme, user=cast.carol)
    assert expert.status == "applied"
    assert ExpertSkill.objects.get(expert=expert).verified_at is None
    assert ExpertProfile.objects.get(user=cast.carol).languages == ["de", "en"]
    assert AuditEvent.objects.filter(action="application.submitted", actor=cast.carol).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"accept_terms": False}, "accept_terms"),
        ({"motivation": "   "}, "motivation"),
        ({"products": []}, "products.non_field_errors"),
        ({"products": [{"product_id": 1, "level": 9}]}, "products.0.level"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"status": "approved"}, "status"),  # not client-writable
    ],
)
def test_bad_applications_are_400_with_the_field_and_store_nothing(
    cast: Any, api_as: Any, overrides: dict[str, Any], field: str
) -> None:
    client = api_as(cast.carol)
    before = database_fingerprint()
    response = client.post(
        "/api/v1/brands/acme/applications", body(cast, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert database_fingerprint() == before


def test_a_product_of_another_brand_is_refused(cast: Any, api_as: Any) -> None:
    client = api_as(cast.carol)
    before = database_fingerprint()
    response = client.post(
        "/api/v1/brands/acme/applications",
        body(cast, products=[{"product_id": cast.northwind_product.pk, "level": 3}]),
        format="json",
    )
    assert response.status_code == 400
    assert "products" in response.json()["error"]["fields"]
    assert database_fingerprint() == before


def test_applying_twice_is_a_conflict(cast: Any, api_as: Any) -> None:
    client = api_as(cast.carol)
    assert (
        client.post("/api/v1/brands/acme/applications", body(cast), format="json").status_code
        == 201
    )
    again = client.post("/api/v1/brands/acme/applications", body(cast), format="json")
    assert again.status_code == 409
    assert Application.objects.count() == 1


def test_an_expert_already_in_the_pool_cannot_apply(cast: Any, api_as: Any) -> None:
    response = api_as(cast.ada).post("/api/v1/brands/acme/applications", body(cast), format="json")
    assert response.status_code == 409
    assert "already in" in response.json()["error"]["message"]


def test_an_inactive_brand_takes_no_applications(cast: Any, api_as: Any) -> None:
    Brand.objects.filter(pk=cast.acme.pk).update(is_active=False)
    client = api_as(cast.carol)
    response = client.post("/api/v1/brands/acme/applications", body(cast), format="json")
    assert response.status_code == 404
    assert not Application.objects.exists()


def test_applicants_see_only_their_own_applications(cast: Any, api_as: Any) -> None:
    api_as(cast.carol).post("/api/v1/brands/acme/applications", body(cast), format="json")
    mine = api_as(cast.carol).get("/api/v1/brands/acme/applications").json()
    theirs = api_as(cast.grace).get("/api/v1/brands/acme/applications").json()
    assert [row["email"] for row in mine["results"]] == ["carol@example.com"]
    assert theirs["results"] == []
    application = Application.objects.get()
    detail = api_as(cast.grace).get(f"/api/v1/brands/acme/applications/{application.pk}")
    assert detail.status_code == 404
    own = api_as(cast.carol).get(f"/api/v1/brands/acme/applications/{application.pk}")
    assert own.json()["history"] is None  # the staff's notes on her are not hers to read


def test_approving_puts_the_applicant_in_the_pool_with_an_audit_line(
    cast: Any, api_as: Any
) -> None:
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="Yes.",
        accept_terms=True,
    )
    response = api_as(cast.maya).post(
        f"/api/v1/brands/acme/applications/{application.pk}/approve",
        {"status": "probation", "reason": "First month on probation."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    expert = Expert.objects.get(brand=cast.acme, user=cast.carol)
    assert (expert.status, expert.status_reason) == ("probation", "First month on probation.")
    assert ExpertSkill.objects.get(expert=expert).level == 4
    event = AuditEvent.objects.get(action="application.approved")
    assert (event.actor, event.target_id) == (cast.maya, str(application.pk))

    twice = api_as(cast.maya).post(
        f"/api/v1/brands/acme/applications/{application.pk}/approve", {}, format="json"
    )
    assert twice.status_code == 409


def test_rejecting_needs_a_reason_that_the_applicant_sees(
    cast: Any, api_as: Any, client: Any
) -> None:
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 2)],
        languages=["en"],
        motivation="Yes.",
        accept_terms=True,
    )
    staff = api_as(cast.sam)
    url = f"/api/v1/brands/acme/applications/{application.pk}/reject"
    assert staff.post(url, {"reason": ""}, format="json").status_code == 400
    assert staff.post(url, {}, format="json").status_code == 400

    response = staff.post(url, {"reason": "We need level 3 or more."}, format="json")

    assert response.status_code == 200
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == (
        "rejected",
        "We need level 3 or more.",
    )
    assert Expert.objects.get(brand=cast.acme, user=cast.carol).status == "removed"
    assert AuditEvent.objects.filter(
        action="application.rejected", reason="We need level 3 or more."
    ).exists()
    client.force_login(cast.carol)
    assert "Reason: We need level 3 or more." in client.get("/expert/").content.decode()
    assert "We need level 3 or more." in client.get("/brands/acme/apply/").content.decode()
    # and she may apply again
    again = api_as(cast.carol).post("/api/v1/brands/acme/applications", body(cast), format="json")
    assert again.status_code == 201


def test_staff_see_the_applicants_history_including_other_apps_sections(
    cast: Any, api_as: Any, client: Any
) -> None:
    # given: an earlier rejected application, and a section a higher app registers
    first = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 2)],
        languages=["en"],
        motivation="First try.",
        accept_terms=True,
    )
    services.application_reject(application=first, actor=cast.sam, reason="Too early.")
    second = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="Second try.",
        accept_terms=True,
    )

    def questions(*, brand: Any, user: Any, viewer: Any) -> HistorySection:
        return HistorySection("Questions asked", [f"{user.email} asked 3 questions"])

    applicant_history_provider_register(questions)
    try:
        response = api_as(cast.quinn).get(f"/api/v1/brands/acme/applications/{second.pk}")
        client.force_login(cast.quinn)
        page = client.get(f"/brands/acme/manage/applications/{second.pk}/").content.decode()
    finally:
        applicant_history_provider_unregister(questions)

    history = response.json()["history"]
    assert history["pool_status"] == "applied"
    assert [a["decision_reason"] for a in history["applications"]] == ["Too early."]
    assert {
        "title": "Questions asked",
        "lines": ["carol@example.com asked 3 questions"],
    } in history["sections"]
    assert "Too early." in page
    assert "carol@example.com asked 3 questions" in page
    assert "Approve" not in page  # QA reads the queue but does not decide


def test_the_review_page_rejects_without_a_reason_beside_the_field(cast: Any, client: Any) -> None:
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 2)],
        languages=["en"],
        motivation="Yes.",
        accept_terms=True,
    )
    client.force_login(cast.sam)
    url = f"/brands/acme/manage/applications/{application.pk}/"
    response = client.post(url, {"reject": "1", "reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason-errors"' in response.content.decode()
    application.refresh_from_db()
    assert application.status == "pending"


def test_the_become_an_expert_page_speaks_to_visitors_and_shows_the_form_when_signed_in(
    cast: Any, client: Any
) -> None:
    visitor = client.get("/brands/acme/apply/").content.decode()
    assert "Become an expert for Acme Outdoors" in visitor
    assert "/accounts/signup/?next=%2Fbrands%2Facme%2Fapply%2F" in visitor
    client.force_login(cast.carol)
    form = client.get("/brands/acme/apply/").content.decode()
    assert "Trailblazer 2 Trail Shoe" in form
    assert "I accept the advocate program terms" in form
    missing = client.post("/brands/acme/apply/", {"languages": ["en"], "motivation": "x"})
    assert missing.status_code == 400
    assert "Choose at least one product" in missing.content.decode()
    assert not Application.objects.exists()
    assert "Become an expert" in client.get("/brands/acme/").content.decode()


def test_the_review_queue_costs_the_same_queries_for_one_or_many(
    cast: Any, api_as: Any, django_assert_num_queries: Any
) -> None:
    from tests.marketplace.factories import UserFactory

    client = api_as(cast.maya)
    client.get("/api/v1/brands/acme/applications")  # warm the session
    for _ in range(4):
        services.application_submit(
            brand=cast.acme,
            user=UserFactory(),
            items=[(cast.trail_shoe.pk, 3)],
            languages=["en"],
            motivation="Fan.",
            accept_terms=True,
        )
    # user, memberships, experts (viewer), brand, count, page, items (the session: cached)
    with django_assert_num_queries(7):
        response = client.get("/api/v1/brands/acme/applications", {"status": "pending"})
    assert response.json()["count"] == 4
