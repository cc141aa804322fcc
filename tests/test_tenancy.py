"""Brand A's staff cannot read or change anything of brand B, through any URL.

The matrix is generated from the URL resolver, so a new brand-scoped route is covered
(and must pass) the moment it is added.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from rest_framework.permissions import AllowAny

from gigcx.models import DomainEvent
from gigcx.tenancy import ScopedQuerySet
from integrations import services as webhook_services
from marketplace import services
from marketplace.models import Expert
from marketplace.permissions import IsBrandStaff
from routing import services as routing_services
from routing.models import SurgeIncident
from tests.api_world import OUR_APPS, api_patterns, database_fingerprint, handler_methods

pytestmark = pytest.mark.django_db

PUBLIC_API_VIEWS = {"root"}  # allowlist of API views anyone may call


def brand_scoped_api_patterns() -> list[URLPattern]:
    return [p for p in api_patterns() if "<slug:slug>" in str(p.pattern)]


def url_kwargs_for(
    pattern: URLPattern, cast: Any, slug: str, rows: dict[str, Any]
) -> dict[str, Any]:
    """Real ids of Acme's rows for every id a route takes."""
    kwargs: dict[str, Any] = {"slug": slug}
    route = str(pattern.pattern)
    ids = {
        "product_id": cast.trail_shoe.pk,
        "category_id": cast.trail_shoe.category_id,
        "expert_id": cast.ada_expert.pk,
        "key_id": rows["key"].pk,
        "invitation_id": rows["invitation"].pk,
        "application_id": rows["application"].pk,
        "quiz_id": rows["quiz"].pk,
        "entry_id": rows["entry"].pk,
        "incident_id": rows["incident"].pk,
        # payments: the brand check answers before any row is looked up
        "batch_id": 1,
        "earning_id": 1,
        # quality: likewise
        "review_id": 1,
        "customer_id": cast.carol.pk,
        # the staff inbox
        "question_id": rows["question"].pk,
        "reply_id": rows["reply"].pk,
        "tag_id": rows["tag"].pk,
        # outbound webhooks
        "endpoint_id": rows["webhook"].pk,
        "delivery_id": rows["delivery"].pk,
    }
    for name, value in ids.items():
        if f"<int:{name}>" in route:
            kwargs[name] = value
    return kwargs


def acme_rows(cast: Any) -> dict[str, Any]:
    """One row of each kind in Acme, for the detail URLs of the matrix."""
    key, _ = services.api_key_create(brand=cast.acme, name="crm", actor=cast.sam)
    invitation = services.invitation_create(
        brand=cast.acme, email="kim@example.com", actor=cast.sam
    )
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="I run in them every week.",
        accept_terms=True,
    )
    quiz = services.quiz_create(
        brand=cast.acme,
        title="Trail shoe basics",
        product_id=cast.trail_shoe.pk,
        questions=[
            {"text": "Drop?", "choices": [{"text": "8 mm", "is_correct": True}, {"text": "4 mm"}]}
        ],
        actor=cast.sam,
    )
    # A draft: published entries are public, a draft is Acme's staff's alone.
    entry = routing_services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        question="How do I re-lace the Trailblazer 2?",
        answer="Thread the laces from the toe up, skipping the top eyelet.",
        is_published=False,
    )
    question, _ = routing_services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )
    reply = routing_services.canned_reply_create(
        brand=cast.acme, actor=cast.sam, title="Sizing", body="They run half a size small."
    )
    tag = routing_services.question_tag_add(question=question, name="sizing", actor=cast.sam)
    with override_settings(GIGCX_WEBHOOKS_ALLOW_PRIVATE=True):
        webhook, _ = webhook_services.webhook_endpoint_create(
            brand=cast.acme,
            url="https://127.0.0.1/hooks",
            events=["question.asked"],
            actor=cast.sam,
        )
    asked = DomainEvent.objects.get(name="question.asked", payload__question_id=question.pk)
    [delivery] = webhook_services.webhook_event_fanout(event=asked)
    # A surge the detector raised on Acme's shoe (a detection is Acme's staff's alone).
    incident = SurgeIncident.objects.create(
        brand=cast.acme,
        product=cast.trail_shoe,
        started_at=timezone.now(),
        question_ids=[question.pk],
        question_count=1,
    )
    return {
        "webhook": webhook,
        "delivery": delivery,
        "incident": incident,
        "question": question,
        "reply": reply,
        "tag": tag,
        "key": key,
        "invitation": invitation,
        "application": application,
        "quiz": quiz,
        "entry": entry,
    }


def test_every_model_a_request_can_reach_is_scoped_through_visible_to() -> None:
    unscoped = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        queryset_class = type(model._default_manager.all())
        if not issubclass(queryset_class, ScopedQuerySet) or (
            queryset_class.visible_to is ScopedQuerySet.visible_to
        ):
            unscoped.append(model._meta.label)
    assert unscoped == []


def test_every_api_view_requires_authentication_or_is_on_the_public_allowlist() -> None:
    offenders = []
    for pattern in api_patterns():
        view_class = pattern.callback.view_class
        permissions = view_class.permission_classes
        if pattern.name in PUBLIC_API_VIEWS:
            continue
        if not permissions or any(p is AllowAny for p in permissions):
            offenders.append(pattern.name)
        if "<slug:slug>" in str(pattern.pattern) and not any(
            issubclass(p, IsBrandStaff) for p in permissions
        ):
            offenders.append(f"{pattern.name} (brand route without IsBrandStaff)")
    assert offenders == []


def test_staff_of_another_brand_can_neither_read_nor_change_anything_through_the_api(
    cast: Any, api_as: Any
) -> None:
    # given: Acme has an API key, an invitation, an application, a quiz and an archived
    # product; Nora runs Northwind
    rows = acme_rows(cast)
    archived = services.product_create(brand=cast.acme, name="Old Boot", actor=cast.sam)
    services.product_archive(product=archived, actor=cast.sam)
    client = api_as(cast.nora)
    before = database_fingerprint()
    checked = 0

    for pattern in brand_scoped_api_patterns():
        view_class = pattern.callback.view_class
        public_read = view_class.permission_classes and all(
            getattr(p, "__name__", "") == "PublicReadBrandStaffWrite"
            for p in view_class.permission_classes
            if issubclass(p, IsBrandStaff)
        )
        for method in handler_methods(view_class):
            if method in getattr(view_class, "customer_write_methods", ()):
                continue  # e.g. asking a brand a question: open to anyone, tested in routing
            url = reverse(f"api:{pattern.name}", kwargs=url_kwargs_for(pattern, cast, "acme", rows))
            missing = reverse(
                f"api:{pattern.name}", kwargs=url_kwargs_for(pattern, cast, "no-such-brand", rows)
            )
            # when
            response = getattr(client, method)(
                url, {"name": "Hijacked", "languages": ["en"]}, format="json"
            )
            checked += 1
            # then
            if method == "get" and public_read:
                assert response.status_code == 200, (url, response.content)
                assert "Old Boot" not in response.content.decode()  # staff-only rows stay hidden
                continue
            if method.upper() in getattr(view_class, "applicant_methods", ()):
                # Open to any signed-in person as an applicant: Nora may apply to Acme like
                # anyone else, but sees none of Acme's rows (her own lists are empty, Acme's
                # rows answer 404) and her bad body is refused.
                assert response.status_code in (200, 400, 404), (method, url, response.content)
                if response.status_code == 200:
                    assert response.json()["results"] == [], (url, response.content)
                assert "carol" not in response.content.decode().lower()
                assert "kim@" not in response.content.decode()
                continue
            assert response.status_code == 404, (
                method,
                url,
                response.status_code,
                response.content,
            )
            twin = getattr(client, method)(missing, {"name": "Hijacked"}, format="json")
            # Indistinguishable from a brand that does not exist.
            assert response.json() == twin.json()
            assert response.json()["error"]["code"] == "not_found"

    assert checked >= 15
    assert database_fingerprint() == before


def test_staff_cannot_reach_another_brands_rows_by_swapping_ids(cast: Any, api_as: Any) -> None:
    # given
    client = api_as(cast.sam)
    nora_expert = services.expert_enrol(
        brand=cast.northwind, user=cast.carol, status="approved", actor=cast.nora
    )
    nora_key, _ = services.api_key_create(brand=cast.northwind, name="erp", actor=cast.nora)
    foreign_category = cast.northwind_product.category_id
    before = database_fingerprint()

    # when / then: Northwind ids under Acme's URLs are simply not there
    product_url = reverse(
        "api:product-detail", kwargs={"slug": "acme", "product_id": cast.northwind_product.pk}
    )
    assert client.get(product_url).status_code == 404
    assert client.patch(product_url, {"name": "Mine"}, format="json").status_code == 404
    assert client.delete(product_url).status_code == 404
    expert_url = reverse("api:expert-detail", kwargs={"slug": "acme", "expert_id": nora_expert.pk})
    assert client.get(expert_url).status_code == 404
    key_url = reverse("api:api-key-revoke", kwargs={"slug": "acme", "key_id": nora_key.pk})
    assert client.delete(key_url).status_code == 404

    # and a foreign category id in a write is a field error, not a cross-brand link
    response = client.post(
        reverse("api:products", kwargs={"slug": "acme"}),
        {"name": "Sneaky", "category_id": foreign_category},
        format="json",
    )
    assert response.status_code == 400
    assert "category_id" in response.json()["error"]["fields"]
    assert database_fingerprint() == before


def test_lists_contain_only_the_callers_brand(cast: Any, api_as: Any) -> None:
    services.expert_enrol(brand=cast.northwind, user=cast.carol, status="approved", actor=cast.nora)
    client = api_as(cast.sam)

    experts = client.get(reverse("api:experts", kwargs={"slug": "acme"})).json()
    members = client.get(reverse("api:members", kwargs={"slug": "acme"})).json()

    assert {row["email"] for row in experts["results"]} == {"ada@example.com", "grace@example.com"}
    assert experts["count"] == 2
    assert {row["email"] for row in members["results"]} == {
        "sam@acme.example",
        "maya@acme.example",
        "quinn@acme.example",
    }


def test_staff_pages_of_another_brand_answer_404_and_change_nothing(cast: Any, client: Any) -> None:
    client.force_login(cast.nora)
    before = database_fingerprint()

    assert client.get("/brands/acme/manage/").status_code == 404
    assert client.post("/brands/acme/manage/products/", {"name": "Hijack"}).status_code == 404
    assert client.post("/brands/acme/manage/categories/", {"name": "Hijack"}).status_code == 404
    archive = f"/brands/acme/manage/products/{cast.trail_shoe.pk}/archive/"
    assert client.post(archive).status_code == 404

    assert database_fingerprint() == before


def brand_scoped_page_patterns() -> list[URLPattern]:
    """Every HTML route under ``brands/<slug>/manage/`` (the brand's staff pages)."""
    found = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                if getattr(pattern, "namespace", None) == "api":
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or "")
            elif "<slug:slug>/manage/" in prefix + str(pattern.pattern) and pattern.name:
                found.append((f"{namespace}:{pattern.name}", pattern))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_staff_page_of_another_brand_answers_404_and_changes_nothing(
    cast: Any, client: Any
) -> None:
    # given Acme's rows (a draft knowledge entry among them); Nora runs Northwind
    rows = acme_rows(cast)
    client.force_login(cast.nora)
    before = database_fingerprint()
    checked = set()

    for name, pattern in brand_scoped_page_patterns():
        kwargs = url_kwargs_for(pattern, cast, "acme", rows)
        if "<str:action>" in str(pattern.pattern):
            kwargs["action"] = "revoke"
        url = reverse(name, kwargs=kwargs)
        # when / then: reading and writing are both "no such brand"
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"name": "Hijacked", "action": "archive"})
            assert response.status_code == 404, (method, url, response.status_code)
        checked.add(name)

    assert {
        "routing:knowledge-list",
        "routing:knowledge-create",
        "routing:knowledge-staff-entry",
        "routing:knowledge-entry-status",
        "routing:knowledge-gaps",
        "routing:knowledge-gap-propose",
        "routing:surges",
        "routing:surge-detail",
        "routing:surge-action",
        "routing:routing-settings",
        "routing:staff-queue",
        "routing:staff-queue-counts",
        "routing:question-note-add",
        "routing:question-tags",
        "routing:question-reassign",
        "routing:canned-replies",
        "routing:canned-reply-edit",
        "routing:tag-delete",
        "integrations:webhooks",
        "integrations:webhook-detail",
        "integrations:webhook-action",
        "integrations:webhook-delivery-replay",
    } <= checked
    assert len(checked) >= 20
    assert database_fingerprint() == before


@pytest.mark.parametrize("who", ["carol", "ada"])
def test_customers_and_experts_are_not_brand_staff(cast: Any, api_as: Any, who: str) -> None:
    client = api_as(getattr(cast, who))
    for name in ("experts", "members", "api-keys"):
        response = client.get(reverse(f"api:{name}", kwargs={"slug": "acme"}))
        assert response.status_code == 404, name
    response = client.post(
        reverse("api:products", kwargs={"slug": "acme"}), {"name": "X"}, format="json"
    )
    assert response.status_code == 404
    assert not cast.acme.products.filter(name="X").exists()


def test_quality_reviewers_read_but_cannot_change_the_catalogue(cast: Any, api_as: Any) -> None:
    client = api_as(cast.quinn)

    assert client.get(reverse("api:experts", kwargs={"slug": "acme"})).status_code == 200
    response = client.post(
        reverse("api:products", kwargs={"slug": "acme"}), {"name": "QA Boot"}, format="json"
    )

    assert response.status_code == 403
    assert "owner or manager" in response.json()["error"]["message"]
    assert not cast.acme.products.filter(name="QA Boot").exists()


def test_an_expert_sees_only_their_own_pool_rows(cast: Any) -> None:
    from gigcx.tenancy import viewer_for_user

    viewer = viewer_for_user(cast.ada)
    assert list(Expert.objects.visible_to(viewer)) == [cast.ada_expert]
