"""A customer deletes her account: through /account/data/ and DELETE /api/v1/me.

Her words go, the brands' figures and the ledger stay; experts and staff are refused with
whom to write to; a wrong confirmation changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from gigcx.models import AuditEvent, User
from marketplace import demo
from payments.ledger import accounts_reconcile
from payments.models import Posting
from privacy.services import ERASED
from quality.models import Rating
from routing.models import InternalNote, Message, Question
from tests.privacy.conftest import CAROL_LINE, NOTE, STAFF_LINE, acme_webhook_log, webhook_texts

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _snapshot(history: Any) -> dict[str, Any]:
    return {
        "questions": list(Question.objects.order_by("pk").values()),
        "messages": list(Message.objects.order_by("pk").values()),
        "ratings": list(Rating.objects.order_by("pk").values()),
        "users": list(
            User.objects.order_by("pk").values("pk", "email", "name", "is_active", "password")
        ),
    }


def test_a_wrong_confirmation_on_the_page_is_refused_and_changes_nothing(
    cast: Any, history: Any, client: Any
) -> None:
    client.force_login(cast.carol)
    before = _snapshot(history)

    response = client.post("/account/delete/", {"confirm": "carol@example.org"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "type its email address or its password exactly" in page
    assert _snapshot(history) == before
    assert client.get("/customer/").status_code == 200  # still signed in


def test_a_wrong_or_missing_confirmation_over_the_api_names_the_field(
    cast: Any, history: Any, api_as: Any
) -> None:
    api = api_as(cast.carol)
    before = _snapshot(history)

    wrong = api.delete(ME, {"confirm": "not-my-password"}, format="json")
    missing = api.delete(ME, {}, format="json")

    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "confirmation_mismatch"
    assert "email address or its password" in wrong.json()["error"]["message"]
    assert "confirm" in wrong.json()["error"]["fields"]
    assert missing.status_code == 400
    assert "confirm" in missing.json()["error"]["fields"]
    assert _snapshot(history) == before


def test_deleting_through_the_page_anonymises_her_and_keeps_the_figures(
    cast: Any, history: Any, client: Any
) -> None:
    carol = cast.carol
    ledger_before = (Posting.objects.count(), Posting.objects.aggregate(s=Sum("amount"))["s"])
    assert ledger_before[0] > 0  # Ada's earning was booked on Carol's question
    expert_lines = list(
        history.resolved.messages.exclude(role="customer").values_list("role", "body")
    )
    daves_before = Question.objects.filter(pk=history.daves.pk).values().get()
    tone_before = list(
        Message.objects.filter(question__asked_by=carol, role="customer")
        .order_by("pk")
        .values_list("pk", "frustration")
    )
    assert any(score is not None for _, score in tone_before)
    client.force_login(carol)

    response = client.post("/account/delete/", {"confirm": " Carol@Example.com "})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Your account is deleted" in client.get("/").content.decode()
    # the account: disabled, no address, no password, no sessions
    carol.refresh_from_db()
    assert not carol.is_active
    assert not carol.has_usable_password()
    assert carol.email == f"erased-{carol.pk}@erased.invalid"
    assert carol.name == ""
    assert not carol.emailaddress_set.exists()
    assert client.get("/customer/").status_code == 302  # signed out
    assert not Client().login(email="carol@example.com", password=demo.DEMO_PASSWORD)
    # her questions: her words replaced, no link to her, no chain
    for question in Question.objects.filter(pk__in=[history.resolved.pk, history.open.pk]):
        assert question.asked_by_id is None
        assert question.body == ERASED
        assert question.redacted_body == ERASED
        assert question.contact_email == ""
        assert question.asked_before_at is None
        assert question.asked_again_at is None
    assert history.open.asked_before_at is not None  # it was chained before
    resolved = Question.objects.get(pk=history.resolved.pk)
    assert resolved.status == "resolved"
    assert resolved.resolved_at == history.resolved.resolved_at
    customer_lines = Message.objects.filter(question=resolved, role="customer")
    assert set(customer_lines.values_list("body", flat=True)) == {ERASED}
    assert not Message.objects.filter(body=CAROL_LINE).exists()
    # tone scores stay, unlinked: the experts' sentiment figures were computed from them
    tone_after = Message.objects.filter(pk__in=[pk for pk, _ in tone_before]).order_by("pk")
    assert list(tone_after.values_list("pk", "frustration")) == tone_before
    # the experts' and staff's words stay, the staff's notes too (the brand's record)
    assert (
        list(resolved.messages.exclude(role="customer").values_list("role", "body")) == expert_lines
    )
    assert Message.objects.filter(body=STAFF_LINE).exists()
    assert InternalNote.objects.filter(body=NOTE).exists()
    # the rating: stars kept for Ada's record, comment gone
    rating = Rating.objects.get(pk=history.rating.pk)
    assert (rating.score, rating.solved, rating.expert_id) == (5, True, cast.ada_expert.pk)
    assert rating.comment == ""
    assert rating.redacted_comment == ""
    # the question she asked signed out with her address: the address goes
    anonymous = Question.objects.get(pk=history.anonymous.pk)
    assert anonymous.contact_email == ""
    assert anonymous.body == "Is the wheelset tubeless ready?"
    # someone else's question is untouched
    assert Question.objects.filter(pk=history.daves.pk).values().get() == daves_before
    # money: every posting still there and the ledger balanced
    ledger_after = (Posting.objects.count(), Posting.objects.aggregate(s=Sum("amount"))["s"])
    assert ledger_after == ledger_before
    assert ledger_after[1] == 0
    assert accounts_reconcile() == []
    # audited, without her address
    event = AuditEvent.objects.get(action="account.erased")
    assert event.target_id == str(carol.pk)
    assert event.data["questions"] == 2
    assert "carol" not in str(event.data).lower()


def test_deleting_over_the_api_with_her_password_ends_her_other_sessions(
    cast: Any, history: Any, api_as: Any
) -> None:
    phone = Client()
    phone.force_login(cast.carol)
    assert phone.get("/customer/").status_code == 200

    response = api_as(cast.carol).delete(ME, {"confirm": demo.DEMO_PASSWORD}, format="json")

    assert response.status_code == 200
    # her two questions open with her own message each, and she wrote one line more
    assert response.json() == {"deleted": True, "questions": 2, "messages": 3, "ratings": 1}
    assert phone.get("/customer/").status_code == 302
    assert phone.get("/api/v1/me/export").status_code in (401, 403)
    assert not Question.objects.filter(body__contains="run narrow").exists()
    # a second attempt finds nobody signed in
    assert api_as(None).delete(ME, {"confirm": "x"}, format="json").status_code in (401, 403)


def test_an_expert_who_is_also_a_customer_is_told_whom_to_write_to(
    cast: Any, history: Any, ask: Any, api_as: Any, client: Any, settings: Any
) -> None:
    settings.GIGCX_PRIVACY_EMAIL = "dpo@gigcx.example"
    ada = cast.ada
    ask("Ada asking as a customer: which tent for two?", asked_by=ada)
    assert Posting.objects.filter(account__expert=cast.ada_expert).exists()
    before = _snapshot(history)

    response = api_as(ada).delete(ME, {"confirm": "ada@example.com"}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "account_is_expert"
    assert "expert at Acme Outdoors" in error["message"]
    assert "money records" in error["message"]
    assert "dpo@gigcx.example" in error["message"]
    assert _snapshot(history) == before
    # the page says so up front, instead of offering the form
    client.force_login(ada)
    page = client.get("/account/data/").content.decode()
    assert "dpo@gigcx.example" in page
    assert 'name="confirm"' not in page
    posted = client.post("/account/delete/", {"confirm": "ada@example.com"})
    assert posted.status_code == 409
    assert User.objects.get(pk=ada.pk).is_active


def test_an_expert_without_money_is_refused_too(cast: Any, history: Any, api_as: Any) -> None:
    response = api_as(cast.grace).delete(ME, {"confirm": "grace@example.com"}, format="json")

    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert "expert at Acme Outdoors" in message
    assert "money records" not in message


def test_brand_staff_are_asked_to_leave_the_staff_first(
    cast: Any, history: Any, api_as: Any
) -> None:
    response = api_as(cast.maya).delete(ME, {"confirm": "maya@acme.example"}, format="json")

    assert response.status_code == 409
    assert "staff of Acme Outdoors" in response.json()["error"]["message"]
    assert User.objects.get(pk=cast.maya.pk).is_active


def test_an_api_key_cannot_delete_anyone(cast: Any, history: Any, api: Any) -> None:
    from marketplace import services

    _, secret = services.api_key_create(brand=cast.acme, name="CRM", actor=cast.sam)

    response = api.delete(
        ME, {"confirm": "sam@acme.example"}, format="json", HTTP_AUTHORIZATION=f"Api-Key {secret}"
    )

    assert response.status_code == 403
    assert User.objects.get(pk=cast.sam.pk).is_active


def test_get_me_still_answers(cast: Any, api_as: Any) -> None:
    response = api_as(cast.carol).get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == "carol@example.com"


def test_webhook_messages_about_her_questions_no_longer_carry_their_text(
    cast: Any, history: Any, api_as: Any
) -> None:
    # given: Acme's CRM endpoint holds messages about her questions and about Dave's
    log = acme_webhook_log(cast)
    assert webhook_texts(log, history.resolved) == {"Do they run narrow?"}
    assert webhook_texts(log, history.open)
    daves_before = list(
        log.filter(payload__data__question__id=history.daves.pk).values_list("payload", flat=True)
    )
    assert daves_before

    # when
    response = api_as(cast.carol).delete(ME, {"confirm": demo.DEMO_PASSWORD}, format="json")

    # then: a pending message sends the placeholder, and the log and replays keep no words
    assert response.status_code == 200
    assert webhook_texts(log, history.resolved) == {ERASED}
    assert webhook_texts(log, history.open) == {ERASED}
    assert (
        list(
            log.filter(payload__data__question__id=history.daves.pk).values_list(
                "payload", flat=True
            )
        )
        == daves_before
    )
    scrubbed = log.filter(
        payload__data__question__id__in=[history.resolved.pk, history.open.pk]
    ).count()
    assert AuditEvent.objects.get(action="account.erased").data["webhook_messages"] == scrubbed
