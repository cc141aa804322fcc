"""Callbacks: booked inside the experts' windows only, taken once, reminded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from gigcx.exceptions import ApplicationError, ConflictError
from voice import services
from voice.models import Call, CallbackSlot

pytestmark = pytest.mark.django_db


def tomorrow_at(hour: int) -> datetime:
    day = timezone.now().astimezone(UTC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_booking_inside_a_window_is_accepted_and_goes_to_the_questions_expert(
    cast: Any, assigned: Any, ada_works_days: Any, api_as: Any
) -> None:
    # when
    response = api_as(cast.carol).post(
        f"/api/v1/questions/{assigned.pk}/callbacks",
        {"starts_at": tomorrow_at(10).isoformat()},
        format="json",
    )

    # then
    assert response.status_code == 201, response.json()
    slot = CallbackSlot.objects.get()
    assert slot.starts_at == tomorrow_at(10)
    assert slot.status == CallbackSlot.Status.TAKEN
    assert slot.expert == cast.ada_expert
    assert assigned.messages.filter(body__startswith="Callback booked").exists()


def test_booking_outside_every_window_is_refused_with_a_clear_error(
    cast: Any, assigned: Any, ada_works_days: Any, api_as: Any
) -> None:
    response = api_as(cast.carol).post(
        f"/api/v1/questions/{assigned.pk}/callbacks",
        {"starts_at": tomorrow_at(20).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert "No expert is available at that time" in body["message"]
    assert "starts_at" in body["fields"]
    assert not CallbackSlot.objects.exists()


def test_a_slot_running_past_the_windows_end_is_refused(
    cast: Any, assigned: Any, ada_works_days: Any
) -> None:
    with pytest.raises(ApplicationError, match="No expert is available"):
        services.callback_book(
            question_id=assigned.pk,
            user=cast.carol,
            starts_at=tomorrow_at(16) + timedelta(minutes=50),
        )


def test_bad_times_are_refused(cast: Any, assigned: Any, ada_works_days: Any, api_as: Any) -> None:
    client = api_as(cast.carol)
    url = f"/api/v1/questions/{assigned.pk}/callbacks"
    past = client.post(url, {"starts_at": "2020-01-01T10:00:00Z"}, format="json")
    assert past.status_code == 400
    assert "at least 10 minutes" in past.json()["error"]["message"]
    garbage = client.post(url, {"starts_at": "soon"}, format="json")
    assert garbage.status_code == 400
    far = client.post(
        url, {"starts_at": (tomorrow_at(10) + timedelta(days=8)).isoformat()}, format="json"
    )
    assert far.status_code == 400
    assert (
        api_as(cast.ada)
        .post(url, {"starts_at": tomorrow_at(10).isoformat()}, format="json")
        .status_code
        == 404
    )


def test_one_pending_callback_per_question(cast: Any, assigned: Any, ada_works_days: Any) -> None:
    services.callback_book(question_id=assigned.pk, user=cast.carol, starts_at=tomorrow_at(10))
    with pytest.raises(ConflictError, match="already booked"):
        services.callback_book(question_id=assigned.pk, user=cast.carol, starts_at=tomorrow_at(11))


def test_the_offered_times_all_lie_inside_the_windows(cast: Any, ada_works_days: Any) -> None:
    times = services.callback_times(brand_id=cast.acme.pk)
    assert times
    assert all(9 <= t.astimezone(UTC).hour < 17 for t in times)
    assert all(services.callback_time_ok(brand_id=cast.acme.pk, starts_at=t) for t in times)


def test_an_open_slot_is_taken_by_one_expert(
    cast: Any, ask: Any, ada_works_days: Any, held_tasks: Any, grace_knows_the_shoe: Any
) -> None:
    question = ask()  # nobody has it yet
    slot = services.callback_book(
        question_id=question.pk, user=cast.carol, starts_at=tomorrow_at(10)
    )
    assert slot.status == CallbackSlot.Status.OPEN
    services.callback_take(slot_id=slot.pk, user=cast.ada)
    with pytest.raises(ConflictError, match="Another expert"):
        services.callback_take(slot_id=slot.pk, user=cast.grace)
    with pytest.raises(Exception, match="No such callback"):
        services.callback_take(slot_id=slot.pk, user=cast.carol)  # not an expert
    slot.refresh_from_db()
    assert slot.expert == cast.ada_expert


def test_both_are_reminded_once_before_the_slot(
    cast: Any, assigned: Any, ada_works_days: Any
) -> None:
    slot = services.callback_book(
        question_id=assigned.pk, user=cast.carol, starts_at=tomorrow_at(10)
    )
    mail.outbox.clear()

    # an hour before: too early
    assert services.callback_reminders_send(now=slot.starts_at - timedelta(hours=1)) == 0
    # ten minutes before: both reminded
    assert services.callback_reminders_send(now=slot.starts_at - timedelta(minutes=10)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "carol@example.com"]
    # the beat runs again: nothing more
    assert services.callback_reminders_send(now=slot.starts_at - timedelta(minutes=9)) == 0
    assert len(mail.outbox) == 2


def test_the_expert_calls_at_the_time_and_the_call_rings_the_customer(
    cast: Any, assigned: Any, ada_works_days: Any
) -> None:
    slot = services.callback_book(
        question_id=assigned.pk, user=cast.carol, starts_at=tomorrow_at(10)
    )
    with pytest.raises(ConflictError, match="too early"):
        services.callback_call(slot_id=slot.pk, user=cast.ada)
    CallbackSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now())

    call = services.callback_call(slot_id=slot.pk, user=cast.ada)
    assert call.status == Call.Status.RINGING
    assert call.expert == cast.ada_expert
    assert call.customer == cast.carol
    services.call_connected(call_id=call.pk, user=cast.carol)
    services.call_hang_up(call_id=call.pk, user=cast.carol)
    slot.refresh_from_db()
    assert slot.status == CallbackSlot.Status.DONE


def test_an_expert_takes_an_open_callback_from_her_console_and_calling_gives_her_the_question(
    cast: Any, ask: Any, ada_works_days: Any, held_tasks: Any, api_as: Any
) -> None:
    # given: nobody had carol's question when she booked
    question = ask()
    slot = services.callback_book(
        question_id=question.pk, user=cast.carol, starts_at=tomorrow_at(10)
    )
    client = api_as(cast.ada)
    listed = client.get("/api/v1/expert/callbacks").json()
    assert [(s["id"], s["yours"], s["customer_name"]) for s in listed] == [
        (slot.pk, False, "Carol Danvers")
    ]
    # another brand's owner and the customer see no such list entry
    assert api_as(cast.nora).get("/api/v1/expert/callbacks").status_code == 403  # not an expert

    # when: ada takes it, and calls at the time
    assert api_as(cast.ada).post(f"/api/v1/callbacks/{slot.pk}/take").json()["yours"] is True
    CallbackSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now())
    from routing import services as routing

    routing.presence_set(user=cast.ada, status="online")
    response = api_as(cast.ada).post(f"/api/v1/callbacks/{slot.pk}/call")

    # then: the call rings carol and ada has the conversation
    assert response.status_code == 201, response.json()
    question.refresh_from_db()
    assert question.status == "assigned"
    assert response.json()["status"] == "ringing"


def test_asking_with_talk_now_opens_the_conversation_ready_to_call(
    cast: Any, client: Any, held_tasks: Any
) -> None:
    client.force_login(cast.carol)
    response = client.post(
        "/brands/acme/ask/",
        {
            "product": cast.trail_shoe.pk,
            "body": "Do the Trailblazer 2 run narrow?",
            "preference": "expert",
            "tone_analysis": "on",
            "talk": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?talk=1")
    page = client.get(response["Location"])
    assert b"data-call-panel" in page.content
    assert b'data-call-action="talk"' in page.content


def test_the_beat_task_reminds_once_however_often_it_runs(
    cast: Any, assigned: Any, ada_works_days: Any
) -> None:
    from voice.tasks import sweep

    slot = services.callback_book(
        question_id=assigned.pk, user=cast.carol, starts_at=tomorrow_at(10)
    )
    CallbackSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() + timedelta(minutes=5))
    mail.outbox.clear()

    assert sweep.apply().get() == 2
    assert sweep.apply().get() == 0
    assert len(mail.outbox) == 2
