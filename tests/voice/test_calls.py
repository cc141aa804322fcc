"""Talk now: ringing, answering, connecting, hanging up (duration and earning), rating."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gigcx.exceptions import ConflictError, NotFoundError
from payments.models import Account, Transaction
from routing.models import Message, Presence
from voice import services
from voice.models import Call, CallOffer

pytestmark = pytest.mark.django_db


def test_talk_now_rings_the_questions_own_expert_first(cast: Any, assigned: Any) -> None:
    # when
    call = services.call_request(question_id=assigned.pk, user=cast.carol)

    # then
    assert call.status == Call.Status.OFFERED
    assert [o.expert.user for o in CallOffer.objects.filter(call=call)] == [cast.ada]
    # a second click joins the same call
    assert services.call_request(question_id=assigned.pk, user=cast.carol).pk == call.pk


def test_a_whole_call_writes_its_duration_and_books_its_earning(
    cast: Any, assigned: Any, call_rates: Any
) -> None:
    # given: ada answers (a second slot: the call counts against her load)
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    assert Presence.objects.get(user=cast.ada).active == 2
    services.call_connected(call_id=call.pk, user=cast.carol)
    Call.objects.filter(pk=call.pk).update(connected_at=timezone.now() - timedelta(seconds=130))

    # when
    ended = services.call_hang_up(call_id=call.pk, user=cast.carol)

    # then: 130 s, three started minutes: 100 + 3 x 50 = 250 gross, 200 net after the fee
    assert ended.status == Call.Status.ENDED
    assert 130 <= ended.duration_seconds <= 132
    assert Presence.objects.get(user=cast.ada).active == 1
    notes = list(
        Message.objects.filter(question=assigned, role="system").values_list("body", flat=True)
    )
    assert any("started at" in body for body in notes)
    assert any("lasted 2 min 1" in body for body in notes)
    entry = Transaction.objects.get(idempotency_key=f"call-earning:{call.pk}")
    assert entry.kind == Transaction.Kind.EARNING
    pending = Account.objects.get(expert=cast.ada_expert, kind="pending", currency="EUR")
    assert pending.balance == 200
    assert ended.earning_net == 200
    # hanging up again (the other side) changes nothing
    assert (
        services.call_hang_up(call_id=call.pk, user=cast.ada).duration_seconds
        == ended.duration_seconds
    )
    assert Transaction.objects.filter(idempotency_key__startswith="call-earning:").count() == 1


def test_call_earnings_clear_after_the_clearance_period(
    cast: Any, assigned: Any, call_rates: Any
) -> None:
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    services.call_connected(call_id=call.pk, user=cast.ada)
    services.call_hang_up(call_id=call.pk, user=cast.ada)

    later = timezone.now() + timedelta(days=call_rates.clearance_days, minutes=1)
    assert services.call_earnings_clear_due(now=later) == 1
    assert services.call_earnings_clear_due(now=later) == 0
    available = Account.objects.get(expert=cast.ada_expert, kind="available", currency="EUR")
    assert available.balance == 80  # 100 flat, 0 minutes, 20 % fee


def test_a_call_that_never_connected_is_cancelled_and_frees_the_slot(
    cast: Any, assigned: Any, call_rates: Any
) -> None:
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    ended = services.call_hang_up(call_id=call.pk, user=cast.ada)
    assert ended.status == Call.Status.CANCELLED
    assert Presence.objects.get(user=cast.ada).active == 1
    assert not Transaction.objects.filter(idempotency_key__startswith="call-earning:").exists()


def test_an_expert_at_capacity_cannot_take_the_call(cast: Any, assigned: Any) -> None:
    Presence.objects.filter(user=cast.ada).update(capacity=1)
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    with pytest.raises(ConflictError, match="capacity"):
        services.call_accept(call_id=call.pk, user=cast.ada)
    assert Call.objects.get(pk=call.pk).status == Call.Status.OFFERED
    assert Presence.objects.get(user=cast.ada).active == 1


def test_nobody_free_the_call_is_missed_and_a_callback_is_suggested(
    cast: Any, ask: Any, held_tasks: Any
) -> None:
    question = ask()  # nobody is online
    call = services.call_request(question_id=question.pk, user=cast.carol)
    assert call.status == Call.Status.MISSED
    assert Message.objects.filter(question=question, body__contains="book a callback").exists()


def test_an_unanswered_call_rings_the_next_matching_expert_then_is_missed(
    cast: Any, ask: Any, online: Any, held_tasks: Any, grace_knows_the_shoe: Any
) -> None:
    online(cast.ada, cast.grace)
    question = ask()
    call = services.call_request(question_id=question.pk, user=cast.carol)
    first = CallOffer.objects.get(call=call)
    CallOffer.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    services.calls_sweep()
    offers = list(CallOffer.objects.filter(call=call).order_by("pk"))
    assert [o.status for o in offers] == ["expired", "offered"]
    assert offers[0].expert_id != offers[1].expert_id

    CallOffer.objects.filter(pk=offers[1].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    services.calls_sweep()
    assert Call.objects.get(pk=call.pk).status == Call.Status.MISSED


def test_answering_a_call_on_a_waiting_question_takes_the_conversation(
    cast: Any, ask: Any, online: Any, held_tasks: Any
) -> None:
    online(cast.ada)
    question = ask()
    call = services.call_request(question_id=question.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    question.refresh_from_db()
    assert question.status == "assigned"
    assert Presence.objects.get(user=cast.ada).active == 2  # the chat and the call


def test_only_the_two_participants_can_act_on_a_call(cast: Any, assigned: Any) -> None:
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    with pytest.raises(NotFoundError):
        services.call_accept(call_id=call.pk, user=cast.grace)
    with pytest.raises(NotFoundError):
        services.call_hang_up(call_id=call.pk, user=cast.grace)
    with pytest.raises(NotFoundError):
        services.call_request(question_id=assigned.pk, user=cast.ada)  # not her question


def test_the_customer_rates_an_ended_call_once(cast: Any, assigned: Any, api_as: Any) -> None:
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    services.call_connected(call_id=call.pk, user=cast.ada)
    services.call_hang_up(call_id=call.pk, user=cast.ada)

    client = api_as(cast.carol)
    bad = client.post(f"/api/v1/calls/{call.pk}/rating", {"rating": 9}, format="json")
    assert bad.status_code == 400
    ok = client.post(f"/api/v1/calls/{call.pk}/rating", {"rating": 5}, format="json")
    assert ok.status_code == 200
    assert ok.json()["rating"] == 5
    again = client.post(f"/api/v1/calls/{call.pk}/rating", {"rating": 4}, format="json")
    assert again.status_code == 409
    expert = api_as(cast.ada).post(f"/api/v1/calls/{call.pk}/rating", {"rating": 1}, format="json")
    assert expert.status_code == 404


def test_the_api_shows_the_expert_the_customers_display_name_only(
    cast: Any, assigned: Any, api_as: Any
) -> None:
    created = api_as(cast.carol).post(f"/api/v1/questions/{assigned.pk}/call")
    assert created.status_code == 201
    state = api_as(cast.ada).get(f"/api/v1/questions/{assigned.pk}/call").json()
    assert state["call"]["customer_name"] == "Carol Danvers"
    assert state["call"]["ringing_you"] is True
    assert "carol@example.com" not in str(state)
    # another brand's owner and an unrelated expert see nothing, not even that it exists
    for stranger in (cast.nora, cast.grace):
        seen = api_as(stranger).get(f"/api/v1/questions/{assigned.pk}/call")
        missing = api_as(stranger).get("/api/v1/questions/999999/call")
        assert (seen.status_code, seen.json()) == (404, missing.json())
    assert (
        api_as(cast.grace).post(f"/api/v1/calls/{created.json()['id']}/accept").status_code == 404
    )
