"""Brand metrics on a fixture whose figures are worked out by hand; tenancy; bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from quality.services import quality_settings_update
from routing import services as routing
from routing.models import Message, Question
from routing.triage import question_triage

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixture_questions(
    cast: Any,
    ask: Any,
    resolved: Any,
    rate: Any,
    api_as: Any,
    grace_knows_the_shoe: Any,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Question]:
    """Acme, in the last 30 days:
    q1 answered automatically, resolved by the customer, rated 5;
    q2 ada, first reply 2 min after hand-over, rated 4;
    q3 ada, first reply 6 min after hand-over, rated 2 not solved, reopened, grace resolves;
    q4 a tent question nobody answered, past its SLA;
    plus one Acme question 40 days old and one Northwind question (both outside the figures).
    """
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=0)
    routing.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse with lukewarm water and a soft brush; dry away from radiators.",
    )
    q1, _ = routing.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="How do I clean my Trailblazer 2 trail shoes?",
        product_id=cast.trail_shoe.pk,
    )
    assert question_triage(question_id=q1.pk).status == "ai_answered"
    with django_capture_on_commit_callbacks(execute=True):
        routing.question_resolve(question_id=q1.pk, actor=cast.carol)
    rate(q1, 5)

    q2 = resolved(cast.ada)
    rate(q2, 4)
    q3 = resolved(cast.ada)
    rate(q3, 2, solved=False)
    routing.presence_set(user=cast.ada, status="offline")
    routing.presence_set(user=cast.grace, status="online")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api_as(cast.carol)
            .post(f"/api/v1/questions/{q3.pk}/reopen", {}, format="json")
            .status_code
            == 200
        )
    offer = q3.assignments.get(status="offered")
    assert offer.expert.user == cast.grace
    routing.assignment_accept(assignment_id=offer.pk, user=cast.grace)
    q3.refresh_from_db()
    routing.message_post(question=q3, author=cast.grace, role="expert", body="Try the wide fit.")
    routing.question_resolve(question_id=q3.pk, actor=cast.grace)

    routing.presence_set(user=cast.grace, status="offline")
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    q4 = ask("Is the Ridgeline 2P tent fine in snow?", product=tent)

    # Hand-set clocks (test data only): hand-over times and the missed SLA.
    for question, minutes in ((q2, 2), (q3, 6)):
        first = question.messages.filter(role="expert").order_by("created_at").first().created_at
        Question.objects.filter(pk=question.pk).update(
            waiting_since=first - timedelta(minutes=minutes),
            sla_due_at=first - timedelta(minutes=minutes) + timedelta(minutes=15),
        )
    Question.objects.filter(pk=q4.pk).update(sla_due_at=timezone.now() - timedelta(minutes=1))

    old = ask("Do the Trailblazer 2 run narrow, old question?")
    Question.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    routing.question_create(
        brand=cast.northwind, asked_by=cast.carol, body="Are the Gravel wheels tubeless?"
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4}


def test_the_figures_match_the_hand_computed_fixture(
    cast: Any, fixture_questions: Any, api_as: Any
) -> None:
    response = api_as(cast.sam).get("/api/v1/brands/acme/metrics")
    assert response.status_code == 200, response.content
    body = response.json()
    overall = body["overall"]
    assert overall["questions"] == 4
    assert overall["automated_share"] == 0.25
    assert overall["human_share"] == 0.75
    assert overall["first_human_reply_seconds"] == pytest.approx(240, abs=1)  # (120 + 360) / 2
    assert overall["sla_hit_rate"] == pytest.approx(2 / 3, abs=1e-3)  # q2, q3 hit; q4 missed
    assert overall["ratings"] == 3
    assert overall["csat_mean"] == pytest.approx(11 / 3, abs=1e-3)
    assert overall["csat_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert overall["csat_automated"] == 5.0
    assert overall["csat_human"] == 3.0
    assert overall["resolved"] == 3
    assert overall["reopen_rate"] == pytest.approx(1 / 3, abs=1e-3)

    products = {row["product"]: row for row in body["by_product"]}
    assert products["Trailblazer 2 Trail Shoe"]["questions"] == 3
    assert products["Trailblazer 2 Trail Shoe"]["sla_hit_rate"] == 1.0
    assert products["Ridgeline 2P Tent"]["questions"] == 1
    assert products["Ridgeline 2P Tent"]["sla_hit_rate"] == 0.0

    experts = {row["expert"]: row for row in body["by_expert"]}
    ada, grace = experts["Ada Lovelace"], experts["Grace Hopper"]
    assert (ada["handled"], ada["resolved"], ada["ratings"]) == (2, 2, 2)
    assert ada["csat_mean"] == 3.0
    assert ada["reopen_rate"] == 0.5
    assert ada["first_reply_seconds"] is not None
    assert (grace["handled"], grace["resolved"], grace["ratings"]) == (1, 1, 0)
    assert sum(day["questions"] for day in body["daily"]) == 4


def test_the_figures_come_from_a_fixed_number_of_queries(
    cast: Any, fixture_questions: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_as(cast.sam)
    # ten for the service figures, one aggregate for the copilot drafts
    with django_assert_max_num_queries(11):
        client.get("/api/v1/brands/acme/metrics")
    # + returning customers, the top customers, their ratings, experts and names
    with django_assert_max_num_queries(16):
        client.get("/api/v1/brands/acme/metrics?customers=true")


def test_the_date_range_selects_questions(cast: Any, fixture_questions: Any, api_as: Any) -> None:
    today = timezone.localdate()
    old_day = (today - timedelta(days=40)).isoformat()
    response = api_as(cast.sam).get(f"/api/v1/brands/acme/metrics?from={old_day}&to={old_day}")
    assert response.json()["overall"]["questions"] == 1
    assert response.json()["overall"]["ratings"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-30&to=2026-11-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "to"),
    ],
)
def test_a_bad_range_is_400_with_a_field_message(
    cast: Any, api_as: Any, query: str, field: str
) -> None:
    response = api_as(cast.sam).get(f"/api/v1/brands/acme/metrics?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_metrics_are_invisible_across_brands_and_to_non_staff(
    cast: Any, fixture_questions: Any, api_as: Any, client: Any
) -> None:
    assert api_as(cast.nora).get("/api/v1/brands/acme/metrics").status_code == 404
    assert api_as(cast.ada).get("/api/v1/brands/acme/metrics").status_code == 404
    assert api_as(cast.carol).get("/api/v1/brands/acme/metrics").status_code == 404
    # Northwind's own figures hold only its question, none of Acme's
    northwind = api_as(cast.nora).get("/api/v1/brands/northwind/metrics").json()
    assert northwind["overall"]["questions"] == 1
    assert northwind["by_expert"] == []
    # QA reads the figures
    assert api_as(cast.quinn).get("/api/v1/brands/acme/metrics").status_code == 200
    # the page and the CSV answer 404 to another brand's staff
    client.force_login(cast.nora)
    assert client.get("/brands/acme/manage/metrics/").status_code == 404
    assert client.get("/brands/acme/manage/metrics.csv").status_code == 404


def test_the_csv_export_has_every_row(cast: Any, fixture_questions: Any, client: Any) -> None:
    client.force_login(cast.quinn)
    response = client.get("/brands/acme/manage/metrics.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("section,name,questions,")
    assert lines[1].startswith("overall,Acme Outdoors,4,")
    assert any(line.startswith("product,Ridgeline 2P Tent,1,") for line in lines)
    assert any(line.startswith("expert,Ada Lovelace,") for line in lines)
    bad = client.get("/brands/acme/manage/metrics.csv?from=nope")
    assert bad.status_code == 400


def test_the_metrics_page_shows_the_figures(cast: Any, fixture_questions: Any, client: Any) -> None:
    client.force_login(cast.sam)
    html = client.get("/brands/acme/manage/metrics/").content.decode()
    assert "Answered automatically" in html
    assert "25%" in html
    assert "Ada Lovelace" in html
    dashboard = client.get("/brands/acme/manage/").content.decode()
    assert "/brands/acme/manage/metrics/" in dashboard
    assert 'id="service-summary"' in dashboard
    assert Message.objects.exists()


def test_the_daily_rollup_gives_the_same_figures_as_live(
    cast: Any, fixture_questions: Any, api_as: Any, rate: Any, resolved: Any
) -> None:
    from quality.models import ExpertDay, ServiceDay
    from quality.services import metrics_rollup

    client = api_as(cast.sam)
    today = timezone.localdate()
    old = (today - timedelta(days=40)).isoformat()
    urls = ["/api/v1/brands/acme/metrics", f"/api/v1/brands/acme/metrics?from={old}"]
    live = [client.get(url).json() for url in urls]

    # when: everything up to today is rolled up (the nightly job stops at yesterday)
    days = metrics_rollup(brand=cast.acme, through=today)

    # then: 41 days from the oldest question, Acme's rows only, and the same figures
    assert days == 41
    assert ServiceDay.objects.filter(brand=cast.acme).exists()
    assert ExpertDay.objects.filter(brand=cast.acme).count() == 2
    assert not ServiceDay.objects.filter(brand=cast.northwind).exists()
    assert [client.get(url).json() for url in urls] == live

    # a later rating counts once the day is rebuilt, which the next run does
    late = resolved(cast.ada)
    rate(late, 1, solved=False)
    assert metrics_rollup(brand=cast.acme, through=today) == 14  # the rebuild window
    overall = api_as(cast.sam).get(urls[0]).json()["overall"]
    assert (overall["questions"], overall["ratings"]) == (5, 4)


def test_the_nightly_rollup_task_runs_once_at_a_time(
    cast: Any, fixture_questions: Any, lock_held_elsewhere: Any
) -> None:
    from quality.models import QualitySettings
    from quality.tasks import rollup_metrics

    assert rollup_metrics() > 0
    settings = QualitySettings.objects.get(brand=cast.acme)
    assert settings.metrics_rolled_through == timezone.localdate() - timedelta(days=1)
    with lock_held_elsewhere("quality.rollup_metrics"):
        assert rollup_metrics() == 0


def test_today_is_served_from_the_frequent_rollup_while_it_is_fresh(
    cast: Any, fixture_questions: Any, api_as: Any, ask: Any
) -> None:
    from quality.models import QualitySettings
    from quality.tasks import rollup_metrics_today

    client = api_as(cast.sam)
    url = "/api/v1/brands/acme/metrics"
    live = client.get(url).json()
    # when: the frequent task rolls up everything through today
    assert rollup_metrics_today() == 41 + 1  # Acme from its oldest question; Northwind today
    # then: the same figures, now from the rollup
    assert client.get(url).json() == live
    # a question asked after it shows at the next refresh...
    ask("Do the Trailblazer 2 come in half sizes?")
    assert client.get(url).json()["overall"]["questions"] == 4
    assert rollup_metrics_today() == 2  # only today is rebuilt, for each brand
    assert client.get(url).json()["overall"]["questions"] == 5
    # ...and when the refresh has stopped, today is computed live again
    ask("Do the Trailblazer 2 come in wide?")
    QualitySettings.objects.filter(brand=cast.acme).update(
        metrics_rolled_at=timezone.now() - timedelta(hours=1)
    )
    assert client.get(url).json()["overall"]["questions"] == 6


def test_the_expert_list_can_be_cut_to_the_busiest(cast: Any, fixture_questions: Any) -> None:
    from quality import metrics

    period = metrics.period_parse(None, None)
    everyone = metrics.brand_metrics(brand=cast.acme, period=period, expert_limit=None)
    busiest = metrics.brand_metrics(brand=cast.acme, period=period, expert_limit=1)
    assert [row["expert"] for row in everyone["by_expert"]] == ["Ada Lovelace", "Grace Hopper"]
    assert [row["expert"] for row in busiest["by_expert"]] == ["Ada Lovelace"]
    assert busiest["overall"] == everyone["overall"]
