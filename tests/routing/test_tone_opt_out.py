"""Honest about itself: a customer may opt out of tone analysis. Then the classifier is never
called for her question, nothing of her mood is stored, and routing uses its defaults."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.urls import reverse

from gigcx.models import User
from routing import services, text
from routing.models import Message, Question
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

ANGRY = (
    "This is useless!!! My Trailblazer 2 fell apart after a week, I have asked THREE times. "
    "Unacceptable, I want my money back NOW."
)


@pytest.fixture
def classifier_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A spy on the frustration classifier: records each call, then runs the real one."""
    calls: list[str] = []
    real = text.frustration

    def spy(body: str) -> Any:
        calls.append(body)
        return real(body)

    monkeypatch.setattr(text, "frustration", spy)
    return calls


def _tone_box(page: str) -> str:
    """The ask page's tone-analysis checkbox tag."""
    match = re.search(r"<input[^>]*name=\"tone_analysis\"[^>]*>", page)
    assert match, "no tone_analysis checkbox"
    return match.group(0)


def _ask(api: Any, **extra: Any) -> Any:
    payload = {"body": ANGRY, "contact_email": "kim@example.com", **extra}
    return api.post(reverse("api:questions", kwargs={"slug": "acme"}), payload, format="json")


def test_opted_out_question_is_never_scored_and_routed_on_defaults(
    cast: Any, api: Any, classifier_calls: list[str]
) -> None:
    # when
    response = _ask(api, tone_analysis=False)
    question = question_triage(question_id=response.json()["id"])

    # then
    assert response.status_code == 201, response.content
    assert response.json()["tone_analysis"] is False
    assert classifier_calls == []
    question.refresh_from_db()
    assert question.tone_analysis is False
    assert question.frustration is None
    assert question.urgency is None
    assert question.priority == 0  # no mood boost, however angry the words
    assert question.triage["frustration"] is None
    assert question.triage["tone_analysis"] is False
    assert question.status in (Question.Status.WAITING, Question.Status.OFFERED)
    assert not Message.objects.filter(question=question).exclude(frustration=None).exists()


def test_without_opting_out_the_same_words_are_scored_and_put_first_in_line(
    cast: Any, api: Any, classifier_calls: list[str]
) -> None:
    response = _ask(api)
    question = question_triage(question_id=response.json()["id"])

    assert classifier_calls == [ANGRY]
    question.refresh_from_db()
    assert question.tone_analysis is True
    assert question.frustration is not None
    assert question.frustration >= text.frustration_threshold()
    assert question.priority == 2


def test_follow_up_messages_of_an_opted_out_customer_are_not_scored(
    cast: Any, api: Any, classifier_calls: list[str]
) -> None:
    # given: an automated answer, then an angry follow-up
    services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse with lukewarm water and a soft brush; dry away from radiators.",
    )
    created = _ask(
        api,
        body="How do I clean my Trailblazer 2 trail shoes?",
        product_id=cast.trail_shoe.pk,
        tone_analysis=False,
    ).json()
    question = question_triage(question_id=created["id"])
    assert question.status == Question.Status.AI_ANSWERED

    # when
    response = api.post(
        reverse("api:question-messages", kwargs={"question_id": question.pk}),
        {"body": ANGRY},
        format="json",
        HTTP_X_QUESTION_TOKEN=created["access_token"],
    )

    # then
    assert response.status_code == 201
    assert classifier_calls == []
    question.refresh_from_db()
    assert question.frustration is None
    assert not Message.objects.filter(question=question).exclude(frustration=None).exists()
    # no mood hand-over: the customer switches to a person herself, one click away
    assert question.status == Question.Status.AI_ANSWERED


def test_a_signed_in_customers_choice_is_remembered_and_prefilled(
    cast: Any, api_as: Any, client: Any
) -> None:
    # when: Carol opts out through the API
    client_api = api_as(cast.carol)
    first = _ask(client_api, tone_analysis=False)
    assert first.status_code == 201

    # then: her account remembers it, her next question without the field inherits it
    assert User.objects.get(pk=cast.carol.pk).tone_analysis is False
    second = _ask(client_api)
    assert Question.objects.get(pk=second.json()["id"]).tone_analysis is False
    # and the ask page shows the box unticked
    client.force_login(cast.carol)
    page = client.get("/brands/acme/ask/").content.decode()
    assert "checked" not in _tone_box(page)

    # when: she ticks it again on the ask page
    client.post(
        "/brands/acme/ask/",
        {"body": "Do they run narrow?", "preference": "auto", "tone_analysis": "on"},
    )

    # then
    assert User.objects.get(pk=cast.carol.pk).tone_analysis is True
    assert Question.objects.order_by("-pk").first().tone_analysis is True
    assert "checked" in _tone_box(client.get("/brands/acme/ask/").content.decode())


def test_an_unticked_box_on_the_ask_page_opts_out(cast: Any, client: Any) -> None:
    assert "checked" in _tone_box(client.get("/brands/acme/ask/").content.decode())  # default

    response = client.post(
        "/brands/acme/ask/",
        {
            "body": "Do the Trailblazer 2 run narrow?",
            "preference": "auto",
            "contact_email": "k@x.io",
        },
    )

    assert response.status_code == 302
    assert Question.objects.get().tone_analysis is False


def test_a_tone_choice_that_is_not_a_yes_or_no_is_refused(cast: Any, api: Any) -> None:
    response = _ask(api, tone_analysis="perhaps")

    assert response.status_code == 400
    assert "tone_analysis" in response.json()["error"]["fields"]
    assert not Question.objects.exists()


def test_the_schema_documents_the_opt_out(client: Any) -> None:
    schema = yaml.safe_load(client.get("/api/schema/").content)

    create = schema["paths"]["/api/v1/brands/{slug}/questions"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert "opts out of tone analysis" in fields["tone_analysis"]["description"]


@pytest.mark.parametrize("url", ["/brands/acme/ask/", "/embed/acme/"])
def test_the_ask_page_and_the_widget_disclose_automation_and_tone_analysis(
    cast: Any, client: Any, url: str
) -> None:
    page = client.get(url).content.decode()

    disclosure = page[page.index('id="disclosure"') : page.index('type="submit"')]
    assert "Replies may be automated" in disclosure
    assert "tone of your messages" in disclosure
    assert 'href="/privacy/"' in disclosure
    assert 'name="tone_analysis"' in page[page.index('id="disclosure"') :]


def test_automated_replies_are_labelled_in_the_widget_conversation(cast: Any, api: Any) -> None:
    services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer="Rinse with lukewarm water and a soft brush; dry away from radiators.",
    )
    created = _ask(
        api, body="How do I clean my Trailblazer 2 trail shoes?", product_id=cast.trail_shoe.pk
    ).json()
    question_triage(question_id=created["id"])

    # what the widget's page script does with the token in its fragment
    page = api.post(
        f"/q/{created['id']}/?embed=1", {"token": created["access_token"]}
    ).content.decode()

    assert '<li class="bubble ai"' in page
    assert '<span class="who">Automated answer</span>' in page
    assert "Automated answer from the Acme Outdoors FAQ" in page
    assert 'data-action="human"' in page
