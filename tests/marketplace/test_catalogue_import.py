"""Catalogue editing pages and CSV import with a per-row report, preview then confirm."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Category, Product
from tests.test_tenancy import database_fingerprint

pytestmark = pytest.mark.django_db

GOOD = (
    "name,category,sku,description\n"
    "Summit GTX Boot,Footwear,SGB,Waterproof\n"
    "Trail Runner 3,Footwear / Running,TR3,\n"
)
MIXED = GOOD + (
    "Trailblazer 2 Trail Shoe,Footwear,,\n"  # exists already
    ",Footwear,X1,\n"  # no name
    "Camp Stove,,SGB,\n"  # SKU repeated from line 2
)


def upload(client: Any, text: str) -> Any:
    file = SimpleUploadedFile("catalogue.csv", text.encode(), content_type="text/csv")
    return client.post("/brands/acme/manage/products/import/", {"file": file})


def payload_of(response: Any) -> str:
    return re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)


def test_a_clean_file_is_previewed_then_imported_with_new_categories(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.maya)
    before = database_fingerprint()

    preview = upload(client, GOOD)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 valid" in html
    assert "new category &#x27;Footwear / Running&#x27;" in html
    assert database_fingerprint() == before  # a preview writes nothing

    done = client.post("/brands/acme/manage/products/import/", {"payload": payload_of(preview)})

    assert done.status_code == 302
    runner = Product.objects.get(brand=cast.acme, name="Trail Runner 3")
    assert (runner.category.name, runner.category.parent.name, runner.sku) == (
        "Running",
        "Footwear",
        "TR3",
    )
    assert Product.objects.get(name="Summit GTX Boot").category == cast.trail_shoe.category
    assert "Imported 2 products." in client.get(done["Location"]).content.decode()


def test_a_file_with_errors_imports_nothing_unless_only_valid_rows_are_confirmed(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.maya)
    preview = upload(client, MIXED)
    html = preview.content.decode()
    assert "3 with errors" in html
    assert "there is already a product called &#x27;Trailblazer 2 Trail Shoe&#x27;" in html
    assert "the name is empty" in html
    assert "SKU &#x27;SGB&#x27; is already on line 2" in html
    before = database_fingerprint()

    refused = client.post("/brands/acme/manage/products/import/", {"payload": payload_of(preview)})

    assert refused.status_code == 400
    assert "no products were imported" in refused.content.decode()
    assert database_fingerprint() == before

    partial = client.post(
        "/brands/acme/manage/products/import/",
        {"payload": payload_of(preview), "only_valid": "1"},
    )
    assert partial.status_code == 302
    assert set(Product.objects.filter(brand=cast.acme).values_list("name", flat=True)) == {
        "Trailblazer 2 Trail Shoe",
        "Ridgeline 2P Tent",
        "Summit GTX Boot",
        "Trail Runner 3",
    }


def test_the_confirmation_validates_against_the_catalogue_as_it_is_now(
    cast: Any, api_as: Any
) -> None:
    client = api_as(cast.maya)
    preview = client.post("/api/v1/brands/acme/products/import", {"csv": GOOD}, format="json")
    assert preview.json()["valid"] == 2
    client.post("/api/v1/brands/acme/products", {"name": "Summit GTX Boot"}, format="json")
    before = database_fingerprint()

    confirm = client.post(
        "/api/v1/brands/acme/products/import", {"csv": GOOD, "confirm": True}, format="json"
    )

    assert confirm.status_code == 400
    assert confirm.json()["error"]["fields"] == {
        "line 2": ["there is already a product called 'Summit GTX Boot'"]
    }
    assert database_fingerprint() == before


def test_not_a_csv_file_is_refused_clearly(cast: Any, api_as: Any) -> None:
    client = api_as(cast.maya)
    latin1 = SimpleUploadedFile("x.csv", "name\nCaf\xe9 Mug\n".encode("latin-1"))
    response = client.post("/api/v1/brands/acme/products/import", {"file": latin1})
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]["message"]
    empty = client.post("/api/v1/brands/acme/products/import", {"csv": "name\n"}, format="json")
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "The file has a header but no rows."


def test_editing_a_product_and_a_category(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    product_url = f"/brands/acme/manage/products/{cast.trail_shoe.pk}/edit/"
    assert 'value="Trailblazer 2 Trail Shoe"' in client.get(product_url).content.decode()

    clash = client.post(product_url, {"name": "Ridgeline 2P Tent"})
    assert clash.status_code == 400
    assert 'id="id_name-errors"' in clash.content.decode()

    saved = client.post(product_url, {"name": "Trailblazer 2.1", "sku": "TB21"})
    assert saved.status_code == 302
    cast.trail_shoe.refresh_from_db()
    assert (cast.trail_shoe.name, cast.trail_shoe.sku, cast.trail_shoe.category) == (
        "Trailblazer 2.1",
        "TB21",
        None,
    )

    footwear = Category.objects.get(brand=cast.acme, name="Footwear")
    tents = Category.objects.get(brand=cast.acme, name="Tents")
    moved = client.post(
        f"/brands/acme/manage/categories/{tents.pk}/edit/",
        {"name": "Shelters", "parent": footwear.pk},
    )
    assert moved.status_code == 302
    tents.refresh_from_db()
    assert (tents.name, tents.parent) == ("Shelters", footwear)


def test_a_category_cannot_move_inside_itself(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    footwear = Category.objects.get(brand=cast.acme, name="Footwear")
    running = client.post(
        "/api/v1/brands/acme/categories",
        {"name": "Running", "parent_id": footwear.pk},
        format="json",
    ).json()
    response = client.patch(
        f"/api/v1/brands/acme/categories/{footwear.pk}",
        {"parent_id": running["id"]},
        format="json",
    )
    assert response.status_code == 400
    assert "parent_id" in response.json()["error"]["fields"]
    footwear.refresh_from_db()
    assert footwear.parent is None


def test_quality_reviewers_cannot_import_or_edit(cast: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    before = database_fingerprint()
    assert client.get("/brands/acme/manage/products/import/").status_code == 404
    assert upload(client, GOOD).status_code == 302  # redirected with "look but not change"
    edit = client.post(
        f"/brands/acme/manage/products/{cast.trail_shoe.pk}/edit/", {"name": "Renamed"}
    )
    assert edit.status_code == 302
    assert database_fingerprint() == before
