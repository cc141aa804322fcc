"""Brands and their catalogue through the API: create, read, change, archive."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gigcx.models import AuditEvent
from marketplace.models import Brand, BrandMembership, Product

pytestmark = pytest.mark.django_db


def test_creating_a_brand_makes_the_caller_its_owner(cast: Any, api_as: Any) -> None:
    # when
    response = api_as(cast.carol).post(
        "/api/v1/brands", {"name": "Carol's Kayaks", "languages": ["en", "fr"]}, format="json"
    )
    # then
    assert response.status_code == 201
    assert response.json()["slug"] == "carols-kayaks"
    brand = Brand.objects.get(slug="carols-kayaks")
    assert brand.languages == ["en", "fr"]
    assert BrandMembership.objects.get(brand=brand).role == "owner"
    assert AuditEvent.objects.filter(
        action="brand.created", brand_id=brand.pk, actor=cast.carol
    ).exists()


def test_reserved_and_taken_brand_addresses_are_refused(cast: Any, api_as: Any) -> None:
    client = api_as(cast.carol)
    reserved = client.post(
        "/api/v1/brands", {"name": "New", "slug": "new", "languages": ["en"]}, format="json"
    )
    taken = client.post(
        "/api/v1/brands", {"name": "Acme", "slug": "acme", "languages": ["en"]}, format="json"
    )
    assert reserved.status_code == 400
    assert reserved.json()["error"]["fields"] == {"slug": ["Choose another address."]}
    assert taken.status_code == 409
    assert Brand.objects.count() == 2


def test_anyone_can_read_an_active_brands_catalogue(cast: Any, api: Any) -> None:
    brand = api.get("/api/v1/brands/acme")
    products = api.get("/api/v1/brands/acme/products")

    assert brand.status_code == 200
    assert brand.json()["name"] == "Acme Outdoors"
    assert [p["name"] for p in products.json()["results"]] == [
        "Ridgeline 2P Tent",
        "Trailblazer 2 Trail Shoe",
    ]


def test_an_inactive_brand_is_hidden_from_the_public_but_not_from_its_staff(
    cast: Any, api_as: Any
) -> None:
    Brand.objects.filter(pk=cast.northwind.pk).update(is_active=False)
    assert api_as(None).get("/api/v1/brands/northwind").status_code == 404
    assert api_as(cast.carol).get("/api/v1/brands/northwind/products").status_code == 404
    # its own staff still reach it (to reactivate it, or take their data out)
    assert api_as(cast.nora).get("/api/v1/brands/northwind").status_code == 200


def test_staff_add_a_product_in_a_category(cast: Any, api_as: Any) -> None:
    category = cast.trail_shoe.category
    response = api_as(cast.maya).post(
        "/api/v1/brands/acme/products",
        {"name": "Summit GTX Boot", "category_id": category.pk, "sku": "SGB"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["category"] == "Footwear"
    product = Product.objects.get(pk=body["id"])
    assert (product.brand, product.sku) == (cast.acme, "SGB")


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": ""}, 400, "name"),
        ({"name": "Trailblazer 2 Trail Shoe"}, 409, "name"),
        ({"name": "trailblazer 2 trail shoe"}, 409, "name"),
        ({"name": "New", "sku": "TB2"}, 409, "sku"),
        ({"name": "New", "category_id": 999999}, 400, "category_id"),
        ({"name": "New", "brand": "northwind"}, 400, "brand"),
        ({"name": "x" * 161}, 400, "name"),
    ],
)
def test_bad_product_input_is_refused_and_nothing_is_stored(
    cast: Any, api_as: Any, payload: dict[str, Any], status: int, field: str
) -> None:
    before = Product.objects.count()
    response = api_as(cast.sam).post("/api/v1/brands/acme/products", payload, format="json")
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert Product.objects.count() == before


def test_archiving_hides_a_product_from_customers_but_keeps_it(cast: Any, api_as: Any) -> None:
    url = reverse("api:product-detail", kwargs={"slug": "acme", "product_id": cast.trail_shoe.pk})

    response = api_as(cast.sam).delete(url)

    assert response.status_code == 200
    assert response.json()["is_archived"] is True
    assert Product.objects.filter(pk=cast.trail_shoe.pk, is_archived=True).exists()
    assert api_as(cast.carol).get(url).status_code == 404
    staff_list = api_as(cast.sam).get("/api/v1/brands/acme/products?archived=1").json()
    assert "Trailblazer 2 Trail Shoe" in [p["name"] for p in staff_list["results"]]
    # archiving twice is harmless and logged once
    api_as(cast.sam).delete(url)
    assert AuditEvent.objects.filter(action="product.archived").count() == 1


def test_renaming_a_product_to_an_existing_name_conflicts(cast: Any, api_as: Any) -> None:
    url = reverse("api:product-detail", kwargs={"slug": "acme", "product_id": cast.trail_shoe.pk})
    response = api_as(cast.sam).patch(url, {"name": "Ridgeline 2P Tent"}, format="json")
    assert response.status_code == 409
    cast.trail_shoe.refresh_from_db()
    assert cast.trail_shoe.name == "Trailblazer 2 Trail Shoe"


def test_categories_nest_and_refuse_foreign_parents(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    parent = cast.trail_shoe.category
    ok = client.post(
        "/api/v1/brands/acme/categories", {"name": "Running", "parent_id": parent.pk}, format="json"
    )
    foreign = client.post(
        "/api/v1/brands/acme/categories",
        {"name": "Wheels too", "parent_id": cast.northwind_product.category_id},
        format="json",
    )
    duplicate = client.post("/api/v1/brands/acme/categories", {"name": "footwear"}, format="json")

    assert ok.status_code == 201
    assert ok.json()["parent_id"] == parent.pk
    assert foreign.status_code == 400
    assert "parent_id" in foreign.json()["error"]["fields"]
    assert duplicate.status_code == 409


def test_brand_settings_can_be_changed_by_editors_only(cast: Any, api_as: Any) -> None:
    ok = api_as(cast.maya).patch("/api/v1/brands/acme", {"tagline": "Out there."}, format="json")
    qa = api_as(cast.quinn).patch("/api/v1/brands/acme", {"tagline": "Nope"}, format="json")
    bad = api_as(cast.sam).patch("/api/v1/brands/acme", {"languages": []}, format="json")

    assert ok.status_code == 200
    assert qa.status_code == 403
    assert bad.status_code == 400
    cast.acme.refresh_from_db()
    assert (cast.acme.tagline, cast.acme.languages) == ("Out there.", ["de", "en"])


def test_product_list_query_count_does_not_grow_with_products(
    cast: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        Product.objects.create(brand=cast.acme, name=f"Sock {n}", category=cast.trail_shoe.category)
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/brands/acme/products?page_size=50")
    assert response.json()["count"] == 22


def test_pool_list_query_count_is_flat(
    cast: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.marketplace.factories import ExpertFactory, ExpertProfileFactory, ExpertSkillFactory

    for _ in range(10):
        expert = ExpertFactory(brand=cast.acme)
        ExpertProfileFactory(user=expert.user)
        ExpertSkillFactory(expert=expert)
    client = api_as(cast.sam)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/brands/acme/experts")
    assert response.json()["count"] == 12
    assert all(row["display_name"] for row in response.json()["results"])


def test_pool_list_filters_by_status_and_rejects_unknown_ones(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    assert client.get("/api/v1/brands/acme/experts?status=suspended").json()["count"] == 0
    bad = client.get("/api/v1/brands/acme/experts?status=bogus")
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]
