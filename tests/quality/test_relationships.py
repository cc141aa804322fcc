"""Returning customers and each customer's relationship with the brand, on a fixture whose
figures are worked out by hand; the page, the API and the CSV; tenancy."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from gigcx.accounts import user_create
from routing import services as routing
from routing.models import Question

pytestmark = pytest.mark.django_db


def days_ago(question: Question, days: int) -> None:
    # Hand-set clocks (test data only), then the customers' chains of questions linked again
    # as the migration links rows stored before the chain existed.
    Question.objects.filter(pk=question.pk).update(created_at=timezone.now() - timedelta(days=days))
    chain = importlib.import_module("routing.migrations.0012_customer_question_chain")
    chain.chain_questions(apps, SimpleNamespace(connection=connection))


def day(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


@pytest.fixture
def customers(
    cast: Any, ask: Any, resolved: Any, rate: Any, grace_knows_the_shoe: Any
) -> dict[str, Any]:
    """Acme's signed-in customers (days ago):
    carol asks at 20 (ada resolves, rated 4) and 10 (grace resolves, rated 2): returns;
    kim asks at 5 only; lee asks at 40 and 25 (his first in the last 30 days is at 25, no
    later one); dan asks at 200 and 95 (105 days apart: not a return); an anonymous visitor
    asks at 3 (not counted); carol also asks Northwind (not Acme's)."""
    kim = user_create(email="kim@example.com", password="x-12345678", name="Kim Park")
    lee = user_create(email="lee@example.com", password="x-12345678", name="Lee Chen")
    dan = user_create(email="dan@example.com", password="x-12345678", name="Dan Ode")
    first = resolved(cast.ada)
    rate(first, 4)
    second = resolved(cast.grace)
    rate(second, 2, solved=False)
    days_ago(first, 20)
    days_ago(second, 10)
    days_ago(ask(asked_by=kim), 5)
    days_ago(ask(asked_by=lee), 40)
    days_ago(ask(asked_by=lee), 25)
    days_ago(ask(asked_by=dan), 200)
    days_ago(ask(asked_by=dan), 95)
    anonymous, _ = routing.question_create(
        brand=cast.acme, body="Do you ship to Norway?", contact_email="v@example.com"
    )
    days_ago(anonymous, 3)
    routing.question_create(
        brand=cast.northwind, asked_by=cast.carol, body="Are the Gravel wheels tubeless?"
    )
    return {"kim": kim, "lee": lee, "dan": dan, "first": first, "second": second}


def test_returning_customers_match_the_hand_computed_fixture(
    cast: Any, customers: Any, api_as: Any
) -> None:
    client = api_as(cast.sam)
    # last 30 days: carol, kim, lee; only carol came back
    body = client.get("/api/v1/brands/acme/metrics?customers=true").json()
    assert body["customers"] == {
        "customers": 3,
        "returning_customers": 1,
        "returning_share": 0.3333,
        "return_window_days": 90,
    }
    # lee's question at 40 days: he came back 15 days later, after the range ended
    lee = client.get(f"/api/v1/brands/acme/metrics?customers=1&from={day(45)}&to={day(35)}").json()
    assert (lee["customers"]["customers"], lee["customers"]["returning_customers"]) == (1, 1)
    # dan came back after 105 days: not within 90
    dan = client.get(
        f"/api/v1/brands/acme/metrics?customers=1&from={day(205)}&to={day(195)}"
    ).json()
    assert (dan["customers"]["customers"], dan["customers"]["returning_customers"]) == (1, 0)
    # a range with only the anonymous visitor's question has no customers, and no share
    # without asking, the figures stay out (they cost a scan of the range's questions)
    assert "customers" not in client.get("/api/v1/brands/acme/metrics").json()
    bad = client.get("/api/v1/brands/acme/metrics?customers=maybe")
    assert bad.status_code == 400
    assert "customers" in bad.json()["error"]["fields"]
    none = client.get(f"/api/v1/brands/acme/metrics?customers=1&from={day(3)}&to={day(3)}").json()
    assert none["customers"]["customers"] == 0
    assert none["customers"]["returning_share"] is None


def test_the_customers_who_ask_most_with_ratings_and_experts_seen(
    cast: Any, customers: Any, api_as: Any
) -> None:
    rows = (
        api_as(cast.sam).get("/api/v1/brands/acme/metrics?customers=true").json()["top_customers"]
    )
    assert [row["customer"] for row in rows] == ["Carol Danvers", "Kim Park", "Lee Chen"]
    carol = rows[0]
    assert carol["customer_id"] == cast.carol.pk
    assert (carol["questions"], carol["ratings"], carol["csat_mean"]) == (2, 2, 3.0)
    assert carol["experts_seen"] == 2
    assert (rows[1]["questions"], rows[1]["ratings"], rows[1]["experts_seen"]) == (1, 0, 0)


def test_the_relationship_page_and_api_for_one_customer(
    cast: Any, customers: Any, client: Any, api_as: Any
) -> None:
    # the dashboard links to her page
    client.force_login(cast.quinn)
    dashboard = client.get("/brands/acme/manage/metrics/").content.decode()
    url = f"/brands/acme/manage/customers/{cast.carol.pk}/"
    assert url in dashboard
    assert "Returning customers" in dashboard
    assert "33%" in dashboard

    html = client.get(url).content.decode()
    assert "Carol Danvers" in html
    assert "Ada Lovelace" in html and "Grace Hopper" in html  # noqa: PT018
    assert "falling" in html  # 4 then 2
    assert f"#{customers['first'].pk}" in html
    assert "Gravel" not in html  # her Northwind question is not Acme's

    body = api_as(cast.sam).get(f"/api/v1/brands/acme/customers/{cast.carol.pk}").json()
    assert body["question_count"] == 2
    assert body["csat_mean"] == 3.0
    assert body["csat_trend"] == "down"
    assert [r["score"] for r in body["ratings"]] == [4, 2]
    assert {e["expert"]: e["csat_mean"] for e in body["experts"]} == {
        "Ada Lovelace": 4.0,
        "Grace Hopper": 2.0,
    }
    assert [q["id"] for q in body["questions"]] == [customers["second"].pk, customers["first"].pk]
    assert body["questions"][0]["experts"] == ["Grace Hopper"]


def test_a_customer_is_invisible_across_brands_and_to_non_staff(
    cast: Any, customers: Any, client: Any, api_as: Any
) -> None:
    api_url = f"/api/v1/brands/acme/customers/{cast.carol.pk}"
    page_url = f"/brands/acme/manage/customers/{cast.carol.pk}/"
    for outsider in (cast.nora, cast.ada, cast.carol):
        assert api_as(outsider).get(api_url).status_code == 404
        client.force_login(outsider)
        assert client.get(page_url).status_code == 404
    # someone who never asked Acme: 404 for Acme's staff too; Northwind sees only its own
    assert api_as(cast.sam).get(f"/api/v1/brands/acme/customers/{cast.nora.pk}").status_code == 404
    assert api_as(cast.sam).get("/api/v1/brands/acme/customers/999999").status_code == 404
    northwind = api_as(cast.nora).get(f"/api/v1/brands/northwind/customers/{cast.carol.pk}")
    assert northwind.status_code == 200
    assert northwind.json()["question_count"] == 1
    assert (
        api_as(cast.nora)
        .get("/api/v1/brands/northwind/metrics?customers=true")
        .json()["customers"]["customers"]
        == 1
    )


def test_the_csv_has_the_returning_figures_and_a_row_per_customer(
    cast: Any, customers: Any, client: Any
) -> None:
    client.force_login(cast.sam)
    lines = client.get("/brands/acme/manage/metrics.csv").content.decode().strip().splitlines()
    header = lines[0].split(",")
    overall = dict(zip(header, lines[1].split(","), strict=True))
    assert (overall["customers"], overall["returning_customers"]) == ("3", "1")
    assert overall["returning_share"] == "0.3333"
    carol = next(line for line in lines if line.startswith("customer,Carol Danvers,"))
    row = dict(zip(header, carol.split(","), strict=True))
    assert (row["questions"], row["ratings"], row["csat_mean"], row["experts_seen"]) == (
        "2",
        "2",
        "3.0",
        "2",
    )
    assert sum(line.startswith("customer,") for line in lines) == 3


def test_intake_chains_a_customer_questions_to_the_brand(cast: Any, ask: Any) -> None:
    first = ask(asked_by=cast.carol)
    second = ask(asked_by=cast.carol)
    third = ask(asked_by=cast.carol)
    elsewhere, _ = routing.question_create(
        brand=cast.northwind, asked_by=cast.carol, body="Are the Gravel wheels tubeless?"
    )
    anonymous, _ = routing.question_create(
        brand=cast.acme, body="Do you ship to Norway?", contact_email="v@example.com"
    )
    rows = {
        q.pk: (q.asked_before_at, q.asked_again_at, q.created_at)
        for q in Question.objects.filter(pk__in=[first.pk, second.pk, third.pk, elsewhere.pk])
    }
    assert rows[first.pk][:2] == (None, rows[second.pk][2])
    assert rows[second.pk][:2] == (rows[first.pk][2], rows[third.pk][2])
    assert rows[third.pk][:2] == (rows[second.pk][2], None)
    assert rows[elsewhere.pk][:2] == (None, None)  # another brand: a chain of its own
    anonymous.refresh_from_db()
    assert (anonymous.asked_before_at, anonymous.asked_again_at) == (None, None)

    # rows stored before the chain existed are linked by the migration, the same way
    Question.objects.update(asked_before_at=None, asked_again_at=None)
    chain = importlib.import_module("routing.migrations.0012_customer_question_chain")
    chain.chain_questions(apps, SimpleNamespace(connection=connection))
    relinked = {
        q.pk: (q.asked_before_at, q.asked_again_at, q.created_at)
        for q in Question.objects.filter(pk__in=rows)
    }
    assert relinked == rows
