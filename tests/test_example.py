"""The living style example (STYLE 40): how GigCX tests are written. Copy from here.

1. The cast: `cast` (tests/conftest.py) builds Acme Outdoors and its people through the
   same services as `manage.py seed_demo`: sam (owner), maya (manager), quinn (QA),
   ada and grace (experts), carol (customer), and nora, who runs another brand.
2. Mark the phases with # given / # when / # then, and name the test after the behaviour.
3. Hit the real URL, then assert what the database holds afterwards, including the paths
   where nothing may change.
"""

from __future__ import annotations

from typing import Any

import pytest

from gigcx import events
from gigcx.models import AuditEvent, DomainEvent
from marketplace import services
from marketplace.models import Product

pytestmark = pytest.mark.django_db


def test_a_service_call(cast: Any) -> None:
    # given
    footwear = cast.trail_shoe.category

    # when: services take keyword-only arguments and own their transaction
    product = services.product_create(
        brand=cast.acme, name="Summit GTX Boot", category_id=footwear.pk, actor=cast.sam
    )

    # then: the row and its audit line exist together
    assert product.category == footwear
    assert AuditEvent.objects.filter(action="product.created", target_id=str(product.pk)).exists()


def test_an_endpoint_and_its_negative_path(cast: Any, api_as: Any) -> None:
    # when: Acme's manager adds a product; Northwind's owner tries the same
    ok = api_as(cast.maya).post(
        "/api/v1/brands/acme/products", {"name": "Daypack 22"}, format="json"
    )
    refused = api_as(cast.nora).post(
        "/api/v1/brands/acme/products", {"name": "Hijack"}, format="json"
    )

    # then
    assert ok.status_code == 201
    assert (
        refused.status_code == 404
    )  # another brand's staff learn nothing, not even that it exists
    assert list(
        Product.objects.filter(brand=cast.acme).order_by("name").values_list("name", flat=True)
    ) == [
        "Daypack 22",
        "Ridgeline 2P Tent",
        "Trailblazer 2 Trail Shoe",
    ]


def test_work_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    # when: an event is recorded inside a transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = events.event_record(name="example.happened", payload={"product_id": 1})

    # then: its delivery was queued for after COMMIT, and ran then
    assert len(callbacks) == 1
    assert DomainEvent.objects.get(pk=event.pk).delivered_at is not None


def test_a_pinned_query_count(cast: Any, api: Any, django_assert_num_queries: Any) -> None:
    # a list endpoint's queries must not grow with its rows: brand, count, page (+ sessions)
    with django_assert_num_queries(3):
        api.get("/api/v1/brands/acme/products")
