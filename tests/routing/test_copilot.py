"""The expert's copilot: the brand's best entries and a draft from them and her own past
answers. The draft never sends itself; she sends it, edited or not, and is its author."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from routing import services
from routing.models import CopilotDraft, Message, Question

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

FAQ_ANSWER = (
    "Rinse mud off with lukewarm water and a soft brush, take the insoles out and let them "
    "dry at room temperature, away from radiators."
)
PAST_ANSWER = (
    "I clean mine after every muddy run: knock the dirt off, brush them under lukewarm water, "
    "stuff them with newspaper overnight. Write to me at ada.private@example.com if it fails."
)


def _assigned_to_ada(cast: Any, ask: Any, online: Any, body: str) -> Question:
    online(cast.ada)
    question = ask(body)
    offer = services.routing_offer_question(question_id=question.pk)[0]
    assert offer.expert.user_id == cast.ada.pk
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    return question


@pytest.fixture
def faq(cast: Any) -> Any:
    return services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        product_id=cast.trail_shoe.pk,
        question="How do I clean the Trailblazer 2 trail shoes?",
        answer=FAQ_ANSWER,
    )


@pytest.fixture
def past(cast: Any, ask: Any, online: Any) -> Question:
    """Ada answered a similar question before, and it is resolved."""
    earlier = _assigned_to_ada(cast, ask, online, "What is the best way to wash my trail shoes?")
    services.message_post(question=earlier, author=cast.ada, role="expert", body="Hi!")
    services.message_post(question=earlier, author=cast.ada, role="expert", body=PAST_ANSWER)
    return services.question_resolve(question_id=earlier.pk, actor=cast.ada)


@pytest.fixture
def current(cast: Any, ask: Any, online: Any, faq: Any, past: Question) -> Question:
    return _assigned_to_ada(cast, ask, online, "How do I clean them after a muddy trail run?")


def _copilot_url(question: Question) -> str:
    return reverse("api:question-copilot", kwargs={"question_id": question.pk})


def _messages_url(question: Question) -> str:
    return reverse("api:question-messages", kwargs={"question_id": question.pk})


def test_the_assigned_expert_gets_entries_and_a_draft_and_nothing_is_sent(
    cast: Any, api_as: Any, current: Question, faq: Any, past: Question
) -> None:
    # given
    messages_before = Message.objects.count()

    # when
    response = api_as(cast.ada).get(_copilot_url(current))

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert [entry["id"] for entry in body["entries"]] == [faq.pk]
    assert 0 < body["entries"][0]["score"] <= 1
    assert body["entries"][0]["url"].endswith(f"/brands/acme/help/{faq.pk}/")
    assert body["past_answers"][0]["id"] == past.pk
    draft = body["draft"]
    assert "brush them under lukewarm water" in draft  # her own words
    assert "ada.private@example.com" not in draft  # redacted before reuse
    # the draft never sends itself
    assert Message.objects.count() == messages_before
    assert not Message.objects.filter(question=current, role=Message.Role.EXPERT).exists()
    row = CopilotDraft.objects.get()
    assert row.pk == body["draft_id"]
    assert row.expert.user_id == cast.ada.pk
    assert row.used_at is None
    assert row.past_question_ids == [past.pk]


def test_asking_again_for_the_same_customer_message_returns_the_same_draft(
    cast: Any, api_as: Any, current: Question
) -> None:
    client = api_as(cast.ada)
    first = client.get(_copilot_url(current)).json()

    second = client.get(_copilot_url(current)).json()

    assert second["draft_id"] == first["draft_id"]
    assert CopilotDraft.objects.count() == 1
    # a new customer message gets a new draft
    services.message_post(
        question=current, author=cast.carol, role="customer", body="And the laces, can I wash them?"
    )
    third = client.get(_copilot_url(current)).json()
    assert third["draft_id"] != first["draft_id"]
    assert CopilotDraft.objects.count() == 2


def test_sending_the_draft_unedited_records_it_used_and_she_is_the_author(
    cast: Any, api_as: Any, current: Question
) -> None:
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()

    response = client.post(
        _messages_url(current),
        {"body": draft["draft"], "draft_id": draft["draft_id"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert message.author == cast.ada
    assert message.role == Message.Role.EXPERT
    row = CopilotDraft.objects.get(pk=draft["draft_id"])
    assert row.used_at is not None
    assert row.message == message
    assert row.edited is False


def test_an_edited_draft_counts_as_used_and_edited(
    cast: Any, api_as: Any, current: Question
) -> None:
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()
    edited = draft["draft"].replace("Does that help?", "Mine lasted three years like that.")

    client.post(
        _messages_url(current), {"body": edited, "draft_id": draft["draft_id"]}, format="json"
    )

    row = CopilotDraft.objects.get(pk=draft["draft_id"])
    assert row.used_at is not None
    assert row.edited is True


def test_a_reply_that_is_not_the_draft_does_not_count_as_used(
    cast: Any, api_as: Any, current: Question
) -> None:
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()

    response = client.post(
        _messages_url(current),
        {"body": "Which size do you wear? I will check the stock.", "draft_id": draft["draft_id"]},
        format="json",
    )

    assert response.status_code == 201
    row = CopilotDraft.objects.get(pk=draft["draft_id"])
    assert row.used_at is None
    assert row.message is None


def test_a_draft_counts_once(cast: Any, api_as: Any, current: Question) -> None:
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()
    payload = {"body": draft["draft"], "draft_id": draft["draft_id"]}
    first = client.post(_messages_url(current), payload, format="json").json()

    client.post(_messages_url(current), payload, format="json")

    row = CopilotDraft.objects.get(pk=draft["draft_id"])
    assert row.message_id == first["id"]


@pytest.mark.parametrize("who", ["carol", "sam", "quinn"])
def test_customers_and_staff_get_no_copilot(
    cast: Any, api_as: Any, current: Question, who: str
) -> None:
    response = api_as(getattr(cast, who)).get(_copilot_url(current))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not CopilotDraft.objects.exists()


def test_another_brand_and_other_experts_do_not_see_the_question(
    cast: Any, api_as: Any, current: Question
) -> None:
    for user in (cast.nora, cast.grace):
        response = api_as(user).get(_copilot_url(current))
        assert response.status_code == 404, user
    assert api_as(None).get(_copilot_url(current)).status_code in (401, 403)
    assert not CopilotDraft.objects.exists()


def test_an_expert_only_offered_the_question_gets_no_copilot(
    cast: Any, api_as: Any, ask: Any, online: Any, faq: Any
) -> None:
    online(cast.ada)
    question = ask("How do I clean them after a muddy trail run?")
    services.routing_offer_question(question_id=question.pk)

    response = api_as(cast.ada).get(_copilot_url(question))

    assert response.status_code == 403
    assert not CopilotDraft.objects.exists()


def test_a_resolved_question_has_no_copilot(cast: Any, api_as: Any, current: Question) -> None:
    services.question_resolve(question_id=current.pk, actor=cast.ada)

    assert api_as(cast.ada).get(_copilot_url(current)).status_code == 403


def test_a_draft_of_another_conversation_is_refused_and_nothing_is_sent(
    cast: Any, api_as: Any, current: Question, ask: Any
) -> None:
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()
    other = _assigned_to_ada(cast, ask, lambda *users: None, "Do they come in half sizes?")
    before = Message.objects.count()

    response = client.post(
        _messages_url(other), {"body": "Hello", "draft_id": draft["draft_id"]}, format="json"
    )

    assert response.status_code == 400
    assert "draft_id" in response.json()["error"]["fields"]
    assert Message.objects.count() == before
    assert CopilotDraft.objects.get(pk=draft["draft_id"]).used_at is None


def test_a_customer_cannot_claim_a_draft(cast: Any, api_as: Any, current: Question) -> None:
    draft = api_as(cast.ada).get(_copilot_url(current)).json()
    before = Message.objects.count()

    response = api_as(cast.carol).post(
        _messages_url(current),
        {"body": draft["draft"], "draft_id": draft["draft_id"]},
        format="json",
    )

    assert response.status_code == 400
    assert "draft_id" in response.json()["error"]["fields"]
    assert Message.objects.count() == before


def test_no_draft_when_nothing_is_close(cast: Any, api_as: Any, ask: Any, online: Any) -> None:
    question = _assigned_to_ada(cast, ask, online, "Is the shop open on public holidays?")

    body = api_as(cast.ada).get(_copilot_url(question)).json()

    assert body["draft"] is None
    assert body["draft_id"] is None
    assert body["entries"] == []
    assert not CopilotDraft.objects.exists()


def test_the_conversation_page_shows_the_panel_to_the_assigned_expert_only(
    cast: Any, client: Any, current: Question
) -> None:
    client.force_login(cast.ada)
    page = client.get(f"/questions/{current.pk}/").content.decode()
    assert 'id="copilot"' in page
    assert "Use draft" in page
    assert "How do I clean the Trailblazer 2 trail shoes?" in page
    assert not Message.objects.filter(question=current, role=Message.Role.EXPERT).exists()

    client.force_login(cast.carol)
    assert 'id="copilot"' not in client.get(f"/questions/{current.pk}/").content.decode()
    client.force_login(cast.sam)
    assert 'id="copilot"' not in client.get(f"/questions/{current.pk}/").content.decode()


def test_staff_see_how_often_drafts_are_used(cast: Any, api_as: Any, current: Question) -> None:
    # given: one draft sent as drafted, one offered and not used
    client = api_as(cast.ada)
    draft = client.get(_copilot_url(current)).json()
    client.post(
        _messages_url(current),
        {"body": draft["draft"], "draft_id": draft["draft_id"]},
        format="json",
    )
    services.message_post(
        question=current, author=cast.carol, role="customer", body="Can I clean them in a machine?"
    )
    assert client.get(_copilot_url(current)).json()["draft_id"] is not None

    # when
    today = timezone.localdate().isoformat()
    url = reverse("api:metrics", kwargs={"slug": "acme"}) + f"?from={today}&to={today}"
    figures = api_as(cast.sam).get(url).json()["copilot"]

    # then
    assert figures == {
        "drafts_offered": 2,
        "drafts_used": 1,
        "drafts_used_unedited": 1,
        "used_share": 0.5,
        "unedited_share": 0.5,
    }
    # and another brand's figures do not include Acme's drafts
    nora_url = reverse("api:metrics", kwargs={"slug": "northwind"})
    assert api_as(cast.nora).get(nora_url).json()["copilot"]["drafts_offered"] == 0


def test_the_tfidf_fallback_ranks_and_drafts_too(
    cast: Any, api_as: Any, current: Question, faq: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a machine without the embeddings runtime
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "tfidf")

    # when
    body = api_as(cast.ada).get(_copilot_url(current)).json()

    # then: the FAQ entry leads and the draft quotes it; nothing is sent
    assert body["backend"] == "tfidf"
    assert body["entries"][0]["id"] == faq.pk
    assert body["entries"][0]["used"] is True
    assert FAQ_ANSWER in body["draft"]
    assert CopilotDraft.objects.get().backend == "tfidf"
    assert not Message.objects.filter(question=current, role=Message.Role.EXPERT).exists()
