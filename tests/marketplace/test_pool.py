"""Pool management by staff: filters and search, tier, suspend and reinstate, verification."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import AuditEvent
from marketplace import services
from marketplace.models import Expert, ExpertSkill
from tests.marketplace.factories import UserFactory
from tests.test_tenancy import database_fingerprint

pytestmark = pytest.mark.django_db


def emails(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["email"] for row in response.json()["results"])


def test_the_pool_filters_by_status_tier_product_verification_language_and_search(
    cast: Any, api_as: Any
) -> None:
    # given: ada (en, shoe verified), grace (en+de, tent unverified, gold), carol applied
    services.expert_tier_set(
        expert=Expert.objects.get(user=cast.grace), tier="gold", actor=cast.sam
    )
    services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 2)],
        languages=["de"],
        motivation="Yes.",
        accept_terms=True,
    )
    client = api_as(cast.quinn)
    url = "/api/v1/brands/acme/experts"

    # then
    assert emails(client.get(url)) == ["ada@example.com", "carol@example.com", "grace@example.com"]
    assert emails(client.get(url, {"status": "applied"})) == ["carol@example.com"]
    assert emails(client.get(url, {"tier": "gold"})) == ["grace@example.com"]
    assert emails(client.get(url, {"product": cast.trail_shoe.pk})) == [
        "ada@example.com",
        "carol@example.com",
    ]
    assert emails(client.get(url, {"verified": "true"})) == ["ada@example.com"]
    assert emails(client.get(url, {"verified": "false"})) == [
        "carol@example.com",
        "grace@example.com",
    ]
    assert emails(client.get(url, {"language": "de"})) == ["carol@example.com", "grace@example.com"]
    assert emails(client.get(url, {"q": "hopper"})) == ["grace@example.com"]
    assert emails(client.get(url, {"page_size": 1})) == ["ada@example.com"]
    bad = client.get(url, {"status": "sleeping"})
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]


def test_the_pool_list_costs_the_same_queries_for_one_or_many_experts(
    cast: Any, api_as: Any, django_assert_num_queries: Any
) -> None:
    client = api_as(cast.sam)
    client.get("/api/v1/brands/acme/experts")  # warm the session
    for _index in range(5):
        services.application_submit(
            brand=cast.acme,
            user=UserFactory(),
            items=[(cast.trail_shoe.pk, 3)],
            languages=["en"],
            motivation="Fan.",
            accept_terms=True,
        )
    # user, memberships, experts (viewer), brand, count, page, skills (the session: cached)
    with django_assert_num_queries(7):
        response = client.get("/api/v1/brands/acme/experts")
    assert response.json()["count"] == 7


def test_staff_change_the_tier_and_it_is_audited(cast: Any, api_as: Any) -> None:
    response = api_as(cast.maya).patch(
        f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}", {"tier": "silver"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["tier"] == "silver"
    cast.ada_expert.refresh_from_db()
    assert cast.ada_expert.tier == "silver"
    assert AuditEvent.objects.filter(
        action="expert.tier_changed", actor=cast.maya, data__to="silver"
    ).exists()


def test_suspend_and_reinstate_need_a_reason_the_expert_sees(
    cast: Any, api_as: Any, client: Any
) -> None:
    api = api_as(cast.sam)
    base = f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}"

    no_reason = api.post(f"{base}/suspend", {"reason": "  "}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["error"]["fields"]

    suspended = api.post(f"{base}/suspend", {"reason": "Shared a phone number."}, format="json")
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    again = api.post(f"{base}/suspend", {"reason": "Again."}, format="json")
    assert again.status_code == 409

    client.force_login(cast.ada)
    assert "Suspended: Shared a phone number." in client.get("/expert/").content.decode()

    reinstated = api.post(
        f"{base}/reinstate", {"reason": "Talked it through.", "status": "probation"}, format="json"
    )
    assert reinstated.status_code == 200
    assert reinstated.json()["status"] == "probation"
    actions = list(
        AuditEvent.objects.filter(target_id=str(cast.ada_expert.pk), action__startswith="expert.")
        .order_by("pk")
        .values_list("action", "reason")
    )
    assert actions[-2:] == [
        ("expert.suspended", "Shared a phone number."),
        ("expert.probation", "Talked it through."),
    ]


def test_reinstating_someone_who_is_not_suspended_is_a_conflict(cast: Any, api_as: Any) -> None:
    response = api_as(cast.sam).post(
        f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}/reinstate",
        {"reason": "Why not."},
        format="json",
    )
    assert response.status_code == 409
    assert "Only a suspended expert" in response.json()["error"]["message"]


def test_staff_grant_and_withdraw_verification(cast: Any, api_as: Any) -> None:
    grace = Expert.objects.get(user=cast.grace)
    tent = grace.skills.get().product
    client = api_as(cast.maya)
    url = f"/api/v1/brands/acme/experts/{grace.pk}/skills/{tent.pk}/verification"

    granted = client.post(url, {"level": 5}, format="json")
    assert granted.status_code == 200
    skill = ExpertSkill.objects.get(expert=grace)
    assert skill.verified_level == 5

    withdrawn = client.delete(url)
    assert withdrawn.status_code == 200
    skill.refresh_from_db()
    assert (skill.verified_level, skill.verified_at) == (None, None)
    assert AuditEvent.objects.filter(action="skill.unverified", target_id=str(skill.pk)).exists()

    missing = client.post(
        f"/api/v1/brands/acme/experts/{grace.pk}/skills/{cast.trail_shoe.pk}/verification",
        {"level": 3},
        format="json",
    )
    assert missing.status_code == 404


def test_quality_reviewers_read_the_pool_but_cannot_change_it(cast: Any, api_as: Any) -> None:
    client = api_as(cast.quinn)
    before = database_fingerprint()
    base = f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}"

    assert client.get(base).status_code == 200
    assert client.patch(base, {"tier": "gold"}, format="json").status_code == 403
    assert client.post(f"{base}/suspend", {"reason": "x"}, format="json").status_code == 403
    assert database_fingerprint() == before


def test_the_pool_page_filters_and_shows_the_columns(cast: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    html = client.get("/brands/acme/manage/pool/").content.decode()
    for words in ("Ada Lovelace", "Grace Hopper", "Approved", "New", "DE, EN", "never", "Quality"):
        assert words in html
    filtered = client.get("/brands/acme/manage/pool/?q=grace").content.decode()
    assert "Grace Hopper" in filtered
    assert "Ada Lovelace" not in filtered


def test_suspending_from_the_expert_page(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    url = f"/brands/acme/manage/pool/{cast.ada_expert.pk}/"

    empty = client.post(url, {"action": "suspend", "suspend-reason": ""})
    assert empty.status_code == 400
    assert 'id="id_suspend-reason-errors"' in empty.content.decode()

    done = client.post(url, {"action": "suspend", "suspend-reason": "Late answers."})
    assert done.status_code == 302
    cast.ada_expert.refresh_from_db()
    assert (cast.ada_expert.status, cast.ada_expert.status_reason) == ("suspended", "Late answers.")

    client.post(url, {"action": "reinstate", "reinstate-reason": "Better now."})
    cast.ada_expert.refresh_from_db()
    assert cast.ada_expert.status == "approved"


def test_another_brands_staff_cannot_open_the_pool_pages(cast: Any, client: Any) -> None:
    client.force_login(cast.nora)
    before = database_fingerprint()
    assert client.get("/brands/acme/manage/pool/").status_code == 404
    url = f"/brands/acme/manage/pool/{cast.ada_expert.pk}/"
    assert client.post(url, {"action": "suspend", "suspend-reason": "x"}).status_code == 404
    assert database_fingerprint() == before
