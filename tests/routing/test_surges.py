"""Proactive care: a surge of one problem on a product is raised once, with its examples and
a draft entry from the best expert answer; staff publish a known-issue notice in one click;
the ask page and the widget show it for that product only; new questions on it get its entry
first, labelled, one click from a person; staff end it. Another brand's staff get 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gigcx.exceptions import ApplicationError, ConflictError
from gigcx.models import AuditEvent
from routing import services
from routing.models import Assignment, AutoAnswer, KnowledgeEntry, Question, SurgeIncident
from routing.services.surges import surges_detect, surges_detect_all
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

PEELING = [
    "The sole of my Trailblazer 2 is peeling off after a week",
    "Trailblazer 2 sole peeling off, only bought them last week",
    "My new Trailblazer 2: the sole is coming off at the toe",
    "Is the sole peeling off on everyone's Trailblazer 2?",
    "Sole peeling off my Trailblazer 2 shoes already, what now?",
]
FIX = "It is a glue fault in one batch: send them back with the free label and we replace them."
BACKGROUND = [
    "What size should I order for wide feet?",
    "Are the Trailblazer 2 good for road running?",
    "How do I clean the Trailblazer 2 after a muddy run?",
    "Do the laces come in other colours?",
]


@pytest.fixture(autouse=True)
def _tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fall-back backend: fast and deterministic (the detector's unit tests and the
    # benchmark cover the embeddings).
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "tfidf")


def asked(cast: Any, clock: Any, body: str, minutes_ago: float, product: Any = None) -> Question:
    start = clock.now
    clock.at(start - timedelta(minutes=minutes_ago))
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body=body,
        product_id=(product or cast.trail_shoe).pk,
    )
    clock.at(start)
    return question


def resolved_by_ada(cast: Any, question: Question, answer: str) -> Question:
    services.presence_set(user=cast.ada, status="online")
    services.presence_set(user=cast.grace, status="offline")
    services.question_send_to_experts(question=question)
    services.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    services.message_post(question=question, author=cast.ada, role="expert", body=answer)
    services.question_resolve(question_id=question.pk, actor=cast.ada)
    question.refresh_from_db()
    return question


@pytest.fixture
def surge(cast: Any, clock: Any) -> SurgeIncident:
    """Usual questions over the last weeks, then five customers with a peeling sole within
    two hours; the first of them resolved by Ada. The detector raises one incident."""
    for day in range(1, 15):
        asked(cast, clock, BACKGROUND[day % len(BACKGROUND)], minutes_ago=day * 24 * 60)
    first = asked(cast, clock, PEELING[0], minutes_ago=120)
    resolved_by_ada(cast, first, FIX)
    for i, body in enumerate(PEELING[1:]):
        asked(cast, clock, body, minutes_ago=90 - 20 * i)
    raised = surges_detect(product_id=cast.trail_shoe.pk)
    assert len(raised) == 1
    return raised[0]


def test_a_burst_of_one_problem_raises_one_incident_with_a_draft_from_the_best_answer(
    cast: Any, clock: Any, surge: SurgeIncident
) -> None:
    # then the five questions are grouped, with nothing like them before
    assert surge.status == SurgeIncident.Status.OPEN
    assert surge.question_count == 5
    assert surge.expected_count == 0
    assert surge.backend == "tfidf"
    assert set(
        Question.objects.filter(pk__in=surge.question_ids).values_list("body", flat=True)
    ) == set(PEELING)
    # and Ada's answer became a draft entry, not yet quoted
    assert surge.entry is not None
    assert (surge.entry.status, surge.entry.answer) == ("draft", FIX)
    assert AuditEvent.objects.filter(action="surge.detected").count() == 1

    # when the detector runs again, and once more after a sixth customer asks
    again = surges_detect(product_id=cast.trail_shoe.pk)
    asked(cast, clock, "Trailblazer 2 sole peeling off at the heel", minutes_ago=1)
    later = surges_detect_all()

    # then still one incident, which took the new question
    assert [i.pk for i in again] == [surge.pk]
    assert later == 1
    assert SurgeIncident.objects.count() == 1
    surge.refresh_from_db()
    assert surge.question_count == 6


def test_usual_questions_and_other_products_raise_nothing(cast: Any, clock: Any) -> None:
    # given many different questions on the shoe, and two about the tent's sole
    for i, body in enumerate(BACKGROUND):
        asked(cast, clock, body, minutes_ago=30 + i)
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    for i, body in enumerate(PEELING[:2]):
        asked(cast, clock, body.replace("Trailblazer 2", "Ridgeline tent"), 10 + i, product=tent)

    # then no product has a surge (the tent's two are under min count)
    assert surges_detect_all() == 0
    assert not SurgeIncident.objects.exists()


def test_staff_see_the_alert_with_examples_and_the_best_answer(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    client.force_login(cast.maya)
    listing = client.get("/brands/acme/manage/surges/").content.decode()
    assert "Trailblazer 2 Trail Shoe: 5 similar questions" in listing
    page = client.get(f"/brands/acme/manage/surges/{surge.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Asked like this" in html
    assert "peeling off after a week" in html
    assert "Best expert answer so far" in html
    assert "glue fault in one batch" in html
    assert "Open the draft entry" in html
    assert "Answered by Ada Lovelace" in html
    assert "Publish the notice" in html


@pytest.mark.parametrize("who", ["nora", "ada", "carol"])
def test_other_brands_staff_experts_and_customers_get_404(
    cast: Any, client: Any, surge: SurgeIncident, who: str
) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(f"/brands/acme/manage/surges/{surge.pk}/").status_code == 404
    assert client.get("/brands/acme/manage/surges/").status_code == 404
    action = f"/brands/acme/manage/surges/{surge.pk}/action/"
    assert client.post(action, {"action": "publish", "headline": "x"}).status_code == 404
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.OPEN


def test_another_brands_incident_is_not_found_under_our_brand(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    client.force_login(cast.nora)
    assert client.get(f"/brands/northwind/manage/surges/{surge.pk}/").status_code == 404
    response = client.post(
        f"/brands/northwind/manage/surges/{surge.pk}/action/", {"action": "dismiss"}
    )
    assert response.status_code == 404
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.OPEN


def test_quality_reviewers_read_but_cannot_publish(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    client.force_login(cast.quinn)
    page = client.get(f"/brands/acme/manage/surges/{surge.pk}/").content.decode()
    assert "Publish the notice" not in page
    client.post(
        f"/brands/acme/manage/surges/{surge.pk}/action/", {"action": "publish", "headline": "Soles"}
    )
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.OPEN


def test_one_click_publishes_the_notice_for_that_product_only(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    # when Maya publishes it
    client.force_login(cast.maya)
    response = client.post(
        f"/brands/acme/manage/surges/{surge.pk}/action/",
        {"action": "publish", "headline": "Soles of one batch can come loose"},
    )

    # then the notice is in force and its entry published
    assert response.status_code == 302
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.PUBLISHED
    assert surge.entry.is_published
    assert AuditEvent.objects.filter(action="surge.notice_published").count() == 1

    # and the ask page and the widget show it, naming the product; Northwind's do not
    client.logout()
    for url in ("/brands/acme/ask/", "/embed/acme/"):
        html = client.get(url).content.decode()
        assert (
            "Known issue with Trailblazer 2 Trail Shoe: Soles of one batch can come loose" in html
        )
        assert f'data-known-issue="{cast.trail_shoe.pk}"' in html
    for url in ("/brands/northwind/ask/", "/embed/northwind/"):
        assert "Known issue" not in client.get(url).content.decode()


def test_new_questions_on_the_product_get_the_notice_first_and_a_person_one_click_away(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    services.surge_incident_publish(
        incident=surge, actor=cast.maya, headline="Soles of one batch can come loose"
    )
    # when a new question on the shoe is triaged, about anything
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="Do they run narrow?",
        product_id=cast.trail_shoe.pk,
    )
    answered = question_triage(question_id=question.pk)

    # then the notice's entry answers first, labelled as a known issue and automated
    assert answered.status == Question.Status.AI_ANSWERED
    assert answered.triage["known_issue_id"] == surge.pk
    reply = answered.messages.get(role="ai").body
    assert reply.startswith("Known issue with Trailblazer 2 Trail Shoe: Soles of one batch")
    assert FIX in reply
    assert "Automated answer from" in reply
    auto = AutoAnswer.objects.get(question=answered)
    assert (auto.entry_id, auto.known_issue_id) == (surge.entry_id, surge.pk)
    # and one click reaches a person
    waiting = services.question_request_human(question=answered)
    assert waiting.status in (Question.Status.WAITING, Question.Status.OFFERED)

    # a question on another product, or one asking for a person, is untouched by it
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    other, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do they run narrow?", product_id=tent.pk
    )
    assert question_triage(question_id=other.pk).triage["known_issue_id"] is None
    person, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="My sole is peeling",
        product_id=cast.trail_shoe.pk,
        preference="expert",
    )
    assert question_triage(question_id=person.pk).status != Question.Status.AI_ANSWERED


def test_ending_the_notice_takes_it_down_and_unpublishes_its_entry(
    cast: Any, client: Any, surge: SurgeIncident
) -> None:
    services.surge_incident_publish(incident=surge, actor=cast.maya, headline="Soles come loose")
    client.force_login(cast.maya)
    response = client.post(f"/brands/acme/manage/surges/{surge.pk}/action/", {"action": "end"})
    assert response.status_code == 302
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.ENDED
    assert surge.ended_at is not None
    assert not KnowledgeEntry.objects.get(pk=surge.entry_id).is_published
    assert "Known issue" not in client.get("/brands/acme/ask/").content.decode()
    question, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="Do they run narrow?",
        product_id=cast.trail_shoe.pk,
    )
    assert question_triage(question_id=question.pk).triage["known_issue_id"] is None


def test_bad_input_says_what_to_fix(cast: Any, client: Any, surge: SurgeIncident) -> None:
    client.force_login(cast.maya)
    url = f"/brands/acme/manage/surges/{surge.pk}/action/"
    # an empty headline
    response = client.post(url, {"action": "publish", "headline": "  "})
    assert response.status_code == 400
    assert "Say in one line what customers should know." in response.content.decode()
    # an unknown action
    response = client.post(url, {"action": "explode"})
    assert response.status_code == 400
    assert "Choose publish, dismiss or end." in response.content.decode()
    # ending a notice that is not in force
    response = client.post(url, {"action": "end"})
    assert response.status_code == 409
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.OPEN
    # publishing twice
    assert client.post(url, {"action": "publish", "headline": "Soles"}).status_code == 302
    response = client.post(url, {"action": "publish", "headline": "Soles"})
    assert response.status_code == 409
    assert "already notice published" in response.content.decode()


def test_without_an_expert_answer_staff_write_the_notice_answer(cast: Any, clock: Any) -> None:
    for i, body in enumerate(PEELING):
        asked(cast, clock, body, minutes_ago=60 - 10 * i)
    (incident,) = surges_detect(product_id=cast.trail_shoe.pk)
    assert incident.entry is None
    with pytest.raises(ApplicationError) as refused:
        services.surge_incident_publish(incident=incident, actor=cast.maya, headline="Soles")
    assert refused.value.fields == {
        "answer": ["No expert has answered yet: write what customers should do."]
    }
    published = services.surge_incident_publish(
        incident=incident, actor=cast.maya, headline="Soles come loose", answer=FIX
    )
    assert published.entry.is_published
    assert (published.entry.question, published.entry.answer) == ("Soles come loose", FIX)


def test_one_notice_per_product(cast: Any, clock: Any, surge: SurgeIncident) -> None:
    services.surge_incident_publish(incident=surge, actor=cast.maya, headline="Soles")
    other = SurgeIncident.objects.create(
        brand=cast.acme, product=cast.trail_shoe, started_at=clock.now, question_ids=[]
    )
    with pytest.raises(ConflictError):
        services.surge_incident_publish(
            incident=other,
            actor=cast.maya,
            headline="The laces fray after a week",
            answer="Use the spare pair in the box.",
        )


def test_a_dismissed_surge_does_not_come_straight_back(
    cast: Any, clock: Any, surge: SurgeIncident
) -> None:
    services.surge_incident_dismiss(incident=surge, actor=cast.maya)
    asked(cast, clock, "Trailblazer 2 sole peeling off at the heel", minutes_ago=1)
    assert [i.pk for i in surges_detect(product_id=cast.trail_shoe.pk)] == [surge.pk]
    assert SurgeIncident.objects.count() == 1
    surge.refresh_from_db()
    assert surge.status == SurgeIncident.Status.DISMISSED


def test_the_beat_task_runs_once_at_a_time(
    cast: Any, surge: SurgeIncident, lock_held_elsewhere: Any
) -> None:
    from routing.tasks import detect_surges

    with lock_held_elsewhere("routing.detect_surges"):
        assert detect_surges() == 0
    assert detect_surges() == 1


def test_the_live_surge_alert_goes_to_staff_who_kept_it_on(
    cast: Any, clock: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from marketplace import services as marketplace_services
    from marketplace.models import BrandMembership

    # given maya turned surge alerts off on her notifications page
    marketplace_services.membership_notifications_update(
        membership=BrandMembership.objects.get(brand=cast.acme, user=cast.maya),
        notify_surge_alerts=False,
    )
    pushed: list[tuple[int, str]] = []
    monkeypatch.setattr(
        "routing.live.push_to_user", lambda user_id, event: pushed.append((user_id, event["type"]))
    )
    first = asked(cast, clock, PEELING[0], minutes_ago=120)
    resolved_by_ada(cast, first, FIX)
    for i, body in enumerate(PEELING[1:]):
        asked(cast, clock, body, minutes_ago=90 - 20 * i)
    # when the detector raises the surge
    with django_capture_on_commit_callbacks(execute=True):
        assert len(surges_detect(product_id=cast.trail_shoe.pk)) == 1
    # then sam and quinn are told live, maya is not
    told = {user_id for user_id, kind in pushed if kind == "surge.detected"}
    assert told == {cast.sam.pk, cast.quinn.pk}
