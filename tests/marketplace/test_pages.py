"""The HTML pages of the three roles, as a signed-in person uses them."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Brand, Product

pytestmark = pytest.mark.django_db


def test_home_page_speaks_to_all_three_roles(client: Any) -> None:
    html = client.get("/").content.decode()
    for words in ("Customers", "Gig experts", "Brands", "Log in", "Sign up"):
        assert words in html


def test_customer_home_lists_brands_with_their_counts(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)
    html = client.get("/customer/").content.decode()
    assert "Acme Outdoors" in html
    assert "Northwind Cycles" in html
    assert "2 products · 2 experts" in html


def test_expert_console_shows_pools_skills_and_verification(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    html = client.get("/expert/").content.decode()
    assert "Acme Outdoors" in html
    assert "Trailblazer 2 Trail Shoe" in html
    assert "verified" in html
    assert "Up to 2 questions at once" in html


def test_a_suspended_expert_sees_why(cast: Any, client: Any) -> None:
    from marketplace.services import expert_enrol

    expert_enrol(
        brand=cast.acme,
        user=cast.ada,
        status="suspended",
        actor=cast.sam,
        reason="Shared a customer's address.",
    )
    client.force_login(cast.ada)
    html = client.get("/expert/").content.decode()
    assert "Suspended: Shared a customer&#x27;s address." in html


def test_brand_dashboard_shows_pool_catalogue_team_and_activity(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    html = client.get("/brands/acme/manage/").content.decode()
    for words in (
        "Trailblazer 2 Trail Shoe",
        "Footwear",
        "Maya Lind",
        "Quality reviewer",
        "added a product",
        "Add a product",
    ):
        assert words in html


def test_adding_a_product_from_the_dashboard(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    response = client.post(
        "/brands/acme/manage/products/",
        {"name": "Summit GTX Boot", "category": cast.trail_shoe.category_id, "sku": "SGB"},
    )
    assert response.status_code == 302
    assert Product.objects.filter(brand=cast.acme, name="Summit GTX Boot", sku="SGB").exists()
    assert "Added Summit GTX Boot." in client.get(response["Location"]).content.decode()


def test_a_duplicate_product_shows_the_error_beside_the_name_field(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    response = client.post("/brands/acme/manage/products/", {"name": "Trailblazer 2 Trail Shoe"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name-errors"' in html
    assert "There is already a product called" in html
    assert Product.objects.filter(name="Trailblazer 2 Trail Shoe").count() == 1


def test_qa_can_view_the_dashboard_but_not_change_it(cast: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    page = client.get("/brands/acme/manage/").content.decode()
    assert "Add a product" not in page
    response = client.post("/brands/acme/manage/products/", {"name": "QA Boot"})
    assert response.status_code == 302
    assert not Product.objects.filter(name="QA Boot").exists()


def test_archiving_from_the_dashboard(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    response = client.post(f"/brands/acme/manage/products/{cast.trail_shoe.pk}/archive/")
    assert response.status_code == 302
    cast.trail_shoe.refresh_from_db()
    assert cast.trail_shoe.is_archived
    assert "customers no longer see it" in client.get(response["Location"]).content.decode()
    assert "Trailblazer" not in client.get("/brands/acme/").content.decode()


def test_creating_a_brand_from_the_web(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)
    bad = client.post("/brands/new/", {"name": "Acme", "slug": "acme", "languages": ["en"]})
    assert bad.status_code == 200
    assert "Already taken." in bad.content.decode()
    ok = client.post("/brands/new/", {"name": "Carol's Kayaks", "languages": ["en"]})
    assert ok.status_code == 302
    assert ok["Location"] == "/brands/carols-kayaks/manage/"
    assert Brand.objects.filter(slug="carols-kayaks").exists()


def test_navigation_shows_each_role_its_places(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    html = client.get("/").content.decode()
    assert 'href="/brands/acme/manage/"' in html
    client.force_login(cast.carol)
    html = client.get("/").content.decode()
    assert 'href="/brands/acme/manage/"' not in html
    assert "For brands" in html


def test_the_expert_console_links_the_profile_quizzes_and_applications(
    cast: Any, client: Any
) -> None:
    from marketplace import services

    services.quiz_create(
        brand=cast.acme,
        title="Shoe basics",
        product_id=cast.trail_shoe.pk,
        questions=[{"text": "Q", "choices": [{"text": "a", "is_correct": True}, {"text": "b"}]}],
        actor=cast.sam,
    )
    services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 3)],
        languages=["en"],
        motivation="Yes.",
        accept_terms=True,
    )
    client.force_login(cast.carol)
    html = client.get("/expert/").content.decode()
    assert 'href="/expert/profile/"' in html
    assert "Shoe basics" in html
    assert "Waiting for review" in html


def test_the_dashboard_links_the_recruitment_pages(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    html = client.get("/brands/acme/manage/").content.decode()
    for href in (
        "/brands/acme/manage/pool/",
        "/brands/acme/manage/applications/",
        "/brands/acme/manage/invitations/",
        "/brands/acme/manage/quizzes/",
        "/brands/acme/manage/products/import/",
        f"/brands/acme/manage/products/{cast.trail_shoe.pk}/edit/",
        "/brands/acme/apply/",
    ):
        assert f'href="{href}' in html, href
