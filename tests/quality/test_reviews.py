"""QA reviews: the queue is sampled from resolved conversations; reviewers score four
criteria once; the expert sees her reviews; QA writes reviews and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import AuditEvent
from quality.models import ExpertScore, Review
from quality.services import quality_settings_update
from quality.services.reviews import DROP_REVIEW_LIFT, is_sampled
from tests.quality.conftest import CALM, UPSET

pytestmark = pytest.mark.django_db

SCORES = {"empathy": 5, "accuracy": 4, "tone": 5, "policy": 3, "comment": "Kind and clear."}


@pytest.fixture
def no_random_share(cast: Any) -> None:
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=0)


def test_every_low_rating_is_queued_and_good_ones_are_not(
    cast: Any, no_random_share: Any, resolved: Any, rate: Any
) -> None:
    low, good = resolved(cast.ada), resolved(cast.ada)
    rate(low, 2, solved=False)
    rate(good, 5)
    review = Review.objects.get()
    assert (review.question, review.reason, review.status) == (low, "low_rating", "pending")
    assert review.expert == cast.ada_expert


def test_every_large_sentiment_drop_is_queued_and_a_calmer_ending_is_not(
    cast: Any, no_random_share: Any, conversed: Any, rate: Any, client: Any
) -> None:
    # given: one customer came calm and left upset; another came upset and left calm
    dropped = conversed(cast.ada, [CALM, UPSET])
    conversed(cast.ada, [UPSET, CALM])
    # then: only the drop is queued, with its lift, whatever the random share says
    review = Review.objects.get()
    assert (review.question, review.reason, review.status) == (dropped, "sentiment_drop", "pending")
    assert review.sentiment_lift <= DROP_REVIEW_LIFT
    # a low rating afterwards keeps the one review and names the stronger reason
    rate(dropped, 1, solved=False)
    review = Review.objects.get()
    assert review.reason == "low_rating"
    assert review.sentiment_lift <= DROP_REVIEW_LIFT
    # the queue says why, and explains the rule
    client.force_login(cast.quinn)
    html = client.get("/brands/acme/manage/reviews/").content.decode()
    assert "mood -0." in html
    assert "left much more upset than she came" in html


def test_a_small_drop_is_left_to_the_random_share(
    cast: Any, no_random_share: Any, conversed: Any
) -> None:
    conversed(cast.ada, [CALM, "Ok."])
    assert not Review.objects.exists()


def test_the_random_share_samples_resolved_conversations_stably(cast: Any, resolved: Any) -> None:
    # given: everything sampled, then nothing
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=100)
    first = resolved(cast.ada)
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=0)
    resolved(cast.ada)
    # then
    assert list(Review.objects.values_list("question_id", "reason")) == [(first.pk, "random")]
    # the draw is stable per question and close to the share over many questions
    assert is_sampled(12345, 30) == is_sampled(12345, 30)
    share = sum(is_sampled(n, 30) for n in range(10_000)) / 10_000
    assert 0.27 < share < 0.33


def test_questions_nobody_answered_are_not_queued(cast: Any, resolved: Any) -> None:
    from routing import services as routing

    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=100)
    question, _ = routing.question_create(
        brand=cast.acme, asked_by=cast.carol, body="How do I clean the Trailblazer 2?"
    )
    routing.question_resolve(question_id=question.pk, actor=cast.carol)
    assert not Review.objects.exists()


def test_qa_scores_a_review_once_and_the_expert_sees_it(
    cast: Any,
    no_random_share: Any,
    resolved: Any,
    rate: Any,
    api_as: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    rate(resolved(cast.ada), 1, solved=False)
    review = Review.objects.get()
    url = f"/api/v1/brands/acme/reviews/{review.pk}"
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(cast.quinn).post(url, SCORES, format="json")
    # then
    assert response.status_code == 200, response.content
    review.refresh_from_db()
    assert (review.status, review.reviewer, review.average) == ("done", cast.quinn, 4.25)
    assert AuditEvent.objects.filter(action="review.done", actor=cast.quinn).exists()
    latest = ExpertScore.objects.filter(expert=cast.ada_expert).first()
    assert latest.trigger == "review"
    assert latest.qa_average == pytest.approx((4.25 - 1) / 4)
    # a second review is 409 and changes nothing
    again = api_as(cast.sam).post(url, {**SCORES, "empathy": 1}, format="json")
    assert again.status_code == 409
    review.refresh_from_db()
    assert review.empathy == 5
    # the expert sees it; another expert does not
    mine = api_as(cast.ada).get("/api/v1/expert/reviews").json()["results"]
    assert [(r["question_id"], r["empathy"]) for r in mine] == [(review.question_id, 5)]
    assert api_as(cast.grace).get("/api/v1/expert/reviews").json()["results"] == []


@pytest.mark.parametrize(
    "bad", [{"empathy": 0}, {"tone": 6}, {"policy": None}, {"accuracy": "good"}]
)
def test_scores_outside_1_to_5_are_400_with_field_messages(
    cast: Any, no_random_share: Any, resolved: Any, rate: Any, api_as: Any, bad: dict
) -> None:
    rate(resolved(cast.ada), 2, solved=False)
    review = Review.objects.get()
    response = api_as(cast.quinn).post(
        f"/api/v1/brands/acme/reviews/{review.pk}", {**SCORES, **bad}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(bad)
    review.refresh_from_db()
    assert review.status == "pending"


def test_pending_reviews_are_staff_only_and_invisible_across_brands(
    cast: Any, no_random_share: Any, resolved: Any, rate: Any, api_as: Any
) -> None:
    rate(resolved(cast.ada), 2, solved=False)
    review = Review.objects.get()
    url = f"/api/v1/brands/acme/reviews/{review.pk}"
    assert api_as(cast.quinn).get("/api/v1/brands/acme/reviews?status=pending").json()["count"] == 1
    assert api_as(cast.quinn).get("/api/v1/brands/acme/reviews?status=odd").status_code == 400
    assert api_as(cast.nora).get(url).status_code == 404
    assert api_as(cast.nora).post(url, SCORES, format="json").status_code == 404
    assert api_as(cast.ada).post(url, SCORES, format="json").status_code == 404
    assert api_as(cast.ada).get("/api/v1/expert/reviews").json()["results"] == []  # pending
    # Northwind's URL with Acme's review id: not there
    foreign = f"/api/v1/brands/northwind/reviews/{review.pk}"
    assert api_as(cast.nora).post(foreign, SCORES, format="json").status_code == 404
    review.refresh_from_db()
    assert review.status == "pending"


def test_qa_writes_reviews_and_nothing_else(cast: Any, api_as: Any, client: Any) -> None:
    qa = api_as(cast.quinn)
    response = qa.patch(
        "/api/v1/brands/acme/quality-settings", {"review_sample_percent": 50}, format="json"
    )
    assert response.status_code == 403
    assert (
        qa.post(
            f"/api/v1/brands/acme/experts/{cast.ada_expert.pk}/probation",
            {"decision": "suspend", "reason": "x"},
            format="json",
        ).status_code
        == 403
    )
    assert qa.get("/api/v1/brands/acme/quality-settings").json() == {"review_sample_percent": 10}
    # the page shows QA the queue but not the settings form
    client.force_login(cast.quinn)
    html = client.get("/brands/acme/manage/reviews/").content.decode()
    assert 'id="quality-settings"' not in html
    posted = client.post("/brands/acme/manage/reviews/", {"review_sample_percent": "50"})
    assert posted.status_code == 302
    assert qa.get("/api/v1/brands/acme/quality-settings").json() == {"review_sample_percent": 10}


def test_the_review_share_is_validated(cast: Any, api_as: Any) -> None:
    url = "/api/v1/brands/acme/quality-settings"
    bad = api_as(cast.sam).patch(url, {"review_sample_percent": 101}, format="json")
    assert bad.status_code == 400
    assert "review_sample_percent" in bad.json()["error"]["fields"]
    good = api_as(cast.sam).patch(url, {"review_sample_percent": 25}, format="json")
    assert good.json() == {"review_sample_percent": 25}
    assert AuditEvent.objects.filter(action="quality.settings_changed").count() == 1


def test_qa_reviews_on_the_page(
    cast: Any, no_random_share: Any, resolved: Any, rate: Any, client: Any
) -> None:
    rate(resolved(cast.ada), 2, solved=False, comment="Wrong size advice")
    review = Review.objects.get()
    client.force_login(cast.quinn)
    queue = client.get("/brands/acme/manage/reviews/").content.decode()
    assert f"/brands/acme/manage/reviews/{review.pk}/" in queue
    page = client.get(f"/brands/acme/manage/reviews/{review.pk}/")
    assert "Wrong size advice" in page.content.decode()
    # a missing score is shown beside its field
    missing = client.post(f"/brands/acme/manage/reviews/{review.pk}/", {"empathy": "5"})
    assert missing.status_code == 400
    assert 'id="id_tone-errors"' in missing.content.decode()
    done = client.post(
        f"/brands/acme/manage/reviews/{review.pk}/",
        {"empathy": "4", "accuracy": "3", "tone": "4", "policy": "5", "comment": "Check sizes."},
    )
    assert done.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.accuracy, review.comment) == ("done", 3, "Check sizes.")
    # the expert sees it on her standing page
    client.force_login(cast.ada)
    assert "Check sizes." in client.get("/expert/standing/").content.decode()
    # and another brand's staff do not reach the page
    client.force_login(cast.nora)
    assert client.get(f"/brands/acme/manage/reviews/{review.pk}/").status_code == 404


def test_the_conversation_page_shows_qa_no_buttons_it_cannot_use(
    cast: Any, ask: Any, client: Any
) -> None:
    question = ask()
    client.force_login(cast.quinn)
    qa_view = client.get(f"/questions/{question.pk}/").content.decode()
    assert 'data-action="resolve"' not in qa_view
    assert 'id="composer"' not in qa_view
    client.force_login(cast.maya)
    manager_view = client.get(f"/questions/{question.pk}/").content.decode()
    assert 'data-action="resolve"' in manager_view
    assert 'id="composer"' in manager_view
