"""Expert quality scores: recomputed on each rating and nightly, kept as history, written down
for routing; a run of low ratings puts the expert on probation for staff to decide."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from gigcx.models import AuditEvent
from marketplace import services as marketplace
from marketplace.models import Expert
from quality.models import ExpertScore
from quality.tasks import recompute_scores
from routing import services as routing
from routing.models import Assignment, Presence

pytestmark = pytest.mark.django_db


def test_a_rating_recomputes_the_score_and_writes_it_down(
    cast: Any, resolved: Any, rate: Any
) -> None:
    # given
    question = resolved(cast.ada)
    assert cast.ada_expert.quality_score is None
    # when
    rate(question, 5)
    # then
    snapshot = ExpertScore.objects.get(expert=cast.ada_expert)
    assert snapshot.trigger == "rating"
    assert snapshot.ratings_count == 1
    assert snapshot.csat_mean == 5.0
    assert snapshot.csat_bayes == pytest.approx(5.0)  # the brand's only rating is hers
    assert snapshot.resolution_rate == pytest.approx((1 + 0.8 * 5) / 6)
    assert snapshot.acceptance_rate == 1.0
    assert snapshot.first_reply_seconds is not None
    assert set(snapshot.parts) == {
        "csat",
        "resolution",
        "qa",
        "lift",
        "acceptance",
        "first_reply",
        "empathy",  # kept and shown, weighs nothing in the score (routing uses it)
    }
    assert snapshot.parts["empathy"]["weight"] == 0.0
    assert snapshot.sentiment_lift is None  # the customer wrote once: no lift yet
    expert = Expert.objects.get(pk=cast.ada_expert.pk)
    assert expert.quality_score == snapshot.score
    assert expert.tier == "bronze"
    assert AuditEvent.objects.filter(action="expert.tier_changed", actor=None).count() == 1


def test_scores_are_kept_as_history(cast: Any, resolved: Any, rate: Any) -> None:
    rate(resolved(cast.ada), 5)
    rate(resolved(cast.ada), 3)
    scores = list(ExpertScore.objects.filter(expert=cast.ada_expert))
    assert [s.ratings_count for s in scores] == [2, 1]  # newest first
    assert scores[0].score < scores[1].score


def test_a_better_rated_expert_outranks_an_otherwise_equal_one(
    cast: Any, resolved: Any, rate: Any, ask: Any
) -> None:
    # given: grace knows the shoe exactly as well as ada; each resolved two questions
    grace_expert = Expert.objects.get(brand=cast.acme, user=cast.grace)
    marketplace.expert_skill_set(
        expert=grace_expert, product=cast.trail_shoe, level=5, verified=True, actor=cast.sam
    )
    marketplace.expert_profile_update(user=cast.grace, capacity=2)
    for user, score in ((cast.ada, 2), (cast.grace, 5), (cast.ada, 2), (cast.grace, 5)):
        rate(resolved(user), score)
    ada = Expert.objects.get(pk=cast.ada_expert.pk)
    grace_expert.refresh_from_db()
    assert grace_expert.quality_score > ada.quality_score
    # both online, equally idle (set here so fairness cannot tell them apart)
    routing.presence_set(user=cast.ada, status="online")
    routing.presence_set(user=cast.grace, status="online")
    Presence.objects.filter(user__in=[cast.ada, cast.grace]).update(last_assigned_at=None)

    # when
    question = ask("Do the Trailblazer 2 run narrow for wide feet?")
    offers = routing.routing_offer_question(question_id=question.pk)

    # then: grace, and only quality told them apart
    assert [o.expert for o in offers] == [grace_expert]
    offer = Assignment.objects.get(pk=offers[0].pk)
    assert offer.breakdown["quality"]["value"] == pytest.approx(
        float(grace_expert.quality_score), abs=1e-3
    )
    assert offer.breakdown["quality"]["points"] > 0


def test_a_run_of_low_ratings_puts_the_expert_on_probation_with_a_reason(
    cast: Any, resolved: Any, rate: Any
) -> None:
    # given / when
    for score in (1, 4, 2, 2):
        rate(resolved(cast.ada), score, solved=score > 2)
    # then
    expert = Expert.objects.get(pk=cast.ada_expert.pk)
    assert expert.status == "probation"
    assert "3 of the last 4 ratings were 2 stars or fewer" in expert.status_reason
    audit = AuditEvent.objects.get(action="expert.probation", target_id=str(expert.pk))
    assert audit.actor is None
    assert audit.reason == expert.status_reason
    # probation is not a ban: she still receives offers
    assert expert.receives_offers


def test_staff_lift_probation_and_the_slate_is_clean(
    cast: Any, resolved: Any, rate: Any, api_as: Any
) -> None:
    for score in (1, 1, 1):
        rate(resolved(cast.ada), score, solved=False)
    url = f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}/probation"

    # QA cannot decide; another brand's owner does not see her; bad input is 400
    assert (
        api_as(cast.quinn).post(url, {"decision": "lift", "reason": "x"}, format="json").status_code
        == 403
    )
    assert (
        api_as(cast.nora).post(url, {"decision": "lift", "reason": "x"}, format="json").status_code
        == 404
    )
    bad = api_as(cast.sam).post(url, {"decision": "forgive", "reason": ""}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"decision", "reason"}
    assert Expert.objects.get(pk=cast.ada_expert.pk).status == "probation"

    # when
    response = api_as(cast.sam).post(
        url, {"decision": "lift", "reason": "Talked it through; new sizing chart."}, format="json"
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert AuditEvent.objects.filter(action="quality.probation_lift", actor=cast.sam).exists()
    again = api_as(cast.sam).post(url, {"decision": "lift", "reason": "Again"}, format="json")
    assert again.status_code == 409
    # a single low rating after the decision does not put her back on probation
    rate(resolved(cast.ada), 1, solved=False)
    assert Expert.objects.get(pk=cast.ada_expert.pk).status == "approved"


def test_staff_may_suspend_instead(cast: Any, resolved: Any, rate: Any, api_as: Any) -> None:
    for score in (1, 2, 1):
        rate(resolved(cast.ada), score, solved=False)
    response = api_as(cast.maya).post(
        f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}/probation",
        {"decision": "suspend", "reason": "Three unhappy customers in a row."},
        format="json",
    )
    assert response.status_code == 200
    assert Expert.objects.get(pk=cast.ada_expert.pk).status == "suspended"


def test_staff_read_the_score_history_of_their_pool_only(
    cast: Any, resolved: Any, rate: Any, api_as: Any
) -> None:
    rate(resolved(cast.ada), 4)
    url = f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}/quality"
    rows = api_as(cast.quinn).get(url).json()["results"]
    assert [r["ratings_count"] for r in rows] == [1]
    assert rows[0]["parts"]["csat"]["value"] is not None
    assert api_as(cast.nora).get(url).status_code == 404
    assert api_as(cast.ada).get(url).status_code == 404
    northwind_expert = marketplace.expert_enrol(
        brand=cast.northwind, user=cast.grace, status="approved", actor=cast.nora
    )
    other = f"/api/v1/brands/acme/experts/{northwind_expert.pk}/quality"
    assert api_as(cast.sam).get(other).status_code == 404


def test_the_nightly_task_recomputes_every_pool_expert_once_at_a_time(
    cast: Any, resolved: Any, rate: Any, lock_held_elsewhere: Any
) -> None:
    rate(resolved(cast.ada), 5)
    assert recompute_scores() == 2  # ada and grace
    nightly = ExpertScore.objects.filter(trigger="nightly")
    assert nightly.count() == 2
    assert nightly.get(expert__user=cast.grace).score is None  # no ratings, no score
    # another beat holding the lock: nothing runs
    with lock_held_elsewhere("quality.recompute_scores"):
        assert recompute_scores() == 0
    assert "quality.recompute_scores" in settings.CELERY_BEAT_SCHEDULE


def test_staff_decide_on_the_pool_page(cast: Any, resolved: Any, rate: Any, client: Any) -> None:
    for score in (1, 2, 1):
        rate(resolved(cast.ada), score, solved=False)
    page = f"/brands/acme/manage/pool/{cast.ada_expert.pk}/"
    url = f"/brands/acme/manage/pool/{cast.ada_expert.pk}/probation/"
    # QA sees the figures but no decision form, and cannot post one
    client.force_login(cast.quinn)
    html = client.get(page).content.decode()
    assert 'id="quality"' in html
    assert 'id="probation"' not in html
    client.post(url, {"decision": "lift", "reason": "Looks fine"})
    assert Expert.objects.get(pk=cast.ada_expert.pk).status == "probation"
    # another brand's owner: 404
    client.force_login(cast.nora)
    assert client.post(url, {"decision": "lift", "reason": "x"}).status_code == 404
    # the owner: a missing reason is refused, then the decision is recorded
    client.force_login(cast.sam)
    assert 'id="probation"' in client.get(page).content.decode()
    client.post(url, {"decision": "lift", "reason": ""})
    assert Expert.objects.get(pk=cast.ada_expert.pk).status == "probation"
    response = client.post(url, {"decision": "lift", "reason": "We talked it through."})
    assert response.status_code == 302
    expert = Expert.objects.get(pk=cast.ada_expert.pk)
    assert (expert.status, expert.status_reason) == ("approved", "We talked it through.")
