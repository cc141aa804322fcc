"""Surge staffing: when more questions wait than the online experts have free slots for
longer than the brand's setting, the experts who opted in are invited once per surge (live
push and email, with the rate card's surge bonus); questions they resolve while it lasts earn
the bonus once, through the ledger; staff see the surge and who answered the call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from marketplace import services as marketplace
from payments import services as payments
from payments.models import Earning, Transaction
from routing import services as routing
from routing.models import Assignment, StaffingSurge, StaffingSurgeInvite
from routing.services.staffing import brand_free_slots, staffing_watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def surge_card(cast: Any) -> Any:
    """Acme pays EUR 4.00 a question (6.00 for the shoe) and a 2.50 surge bonus."""
    return payments.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=1500,
        surge_bonus_amount=250,
        lines=[{"product_id": cast.trail_shoe.pk, "amount": 600}],
    )


@pytest.fixture
def piling_up(cast: Any, ask: Any, clock: Any) -> list[Any]:
    """Three questions waiting, nobody online; Ada opted in to surge alerts, Grace did not."""
    marketplace.expert_profile_update(user=cast.ada, notify_surge_alerts=True)
    # Slow widening, so the questions keep waiting for experts rather than going to staff.
    routing.routing_settings_update(
        brand=cast.acme,
        actor=cast.sam,
        step_waits=[600, 1200, 1800],
        sla_minutes=240,
        surge_after_minutes=10,
    )
    for person in (cast.ada, cast.grace):
        routing.presence_set(user=person, status="offline")
    return [ask(f"Question {n} about the Trailblazer 2 sizing") for n in range(3)]


def watch(cast: Any, clock: Any, minutes: float, captured: Any) -> StaffingSurge | None:
    clock.at(clock.now + timedelta(minutes=minutes))
    with captured(execute=True):
        return staffing_watch(brand_id=cast.acme.pk)


def test_a_lasting_queue_invites_the_opted_in_experts_once(
    cast: Any,
    clock: Any,
    surge_card: Any,
    piling_up: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pushed: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(
        "routing.live.push_to_user", lambda user_id, event: pushed.append((user_id, event))
    )
    # given 3 waiting, 0 free slots: watching, nobody invited before 10 minutes
    surge = watch(cast, clock, 0, django_capture_on_commit_callbacks)
    assert surge is not None
    assert surge.status == StaffingSurge.Status.WATCHING
    assert watch(cast, clock, 9, django_capture_on_commit_callbacks).status == "watching"
    assert not StaffingSurgeInvite.objects.exists()

    # when it has lasted the brand's 10 minutes
    surge = watch(cast, clock, 1, django_capture_on_commit_callbacks)

    # then Ada (opted in, offline) is invited, by push and email, with the bonus; Grace not
    assert surge.status == StaffingSurge.Status.ACTIVE
    assert (surge.bonus_amount, surge.currency, surge.peak_waiting) == (250, "EUR", 3)
    invites = list(StaffingSurgeInvite.objects.filter(surge=surge))
    assert [i.expert for i in invites] == [cast.ada_expert]
    assert [(user_id, event["type"], event["bonus"]) for user_id, event in pushed] == [
        (cast.ada.pk, "staffing.invite", "2.50 EUR")
    ]
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert "surge bonus 2.50 EUR" in mailoutbox[0].subject
    assert "/expert/console/" in mailoutbox[0].body

    # when the beat runs again while the queue is still too long
    watch(cast, clock, 1, django_capture_on_commit_callbacks)
    watch(cast, clock, 5, django_capture_on_commit_callbacks)

    # then nobody is invited twice
    assert StaffingSurgeInvite.objects.count() == 1
    assert len(mailoutbox) == 1
    assert len(pushed) == 1
    assert StaffingSurge.objects.count() == 1


def test_a_short_spike_invites_nobody_and_a_setting_of_zero_turns_it_off(
    cast: Any, clock: Any, piling_up: Any, ask: Any, mailoutbox: Any
) -> None:
    # given the queue outgrew the slots for 5 minutes, then Ada came online with 2 slots
    # and one question was answered by the AI line (2 waiting, 2 free)
    assert staffing_watch(brand_id=cast.acme.pk).status == "watching"
    clock.at(clock.now + timedelta(minutes=5))
    routing.presence_set(user=cast.ada, status="online")
    assert brand_free_slots(brand_id=cast.acme.pk) == 2
    piling_up[0].status = "ai_answered"
    piling_up[0].save(update_fields=["status"])

    # then the surge ends without invitations
    ended = staffing_watch(brand_id=cast.acme.pk)
    assert ended.status == StaffingSurge.Status.ENDED
    assert not StaffingSurgeInvite.objects.exists()
    assert mailoutbox == []

    # and with the setting at 0 nothing is watched at all
    routing.routing_settings_update(brand=cast.acme, actor=cast.sam, surge_after_minutes=0)
    routing.presence_set(user=cast.ada, status="offline")
    assert staffing_watch(brand_id=cast.acme.pk) is None


def test_questions_resolved_in_the_surge_by_invited_experts_earn_the_bonus_once(
    cast: Any,
    clock: Any,
    surge_card: Any,
    piling_up: Any,
    django_capture_on_commit_callbacks: Any,
    client: Any,
) -> None:
    # given Ada was invited
    watch(cast, clock, 0, django_capture_on_commit_callbacks)
    surge = watch(cast, clock, 10, django_capture_on_commit_callbacks)
    assert surge.status == "active"

    # when she answers the call and resolves a waiting question
    clock.at(clock.now + timedelta(minutes=2))
    routing.presence_set(user=cast.ada, status="online")
    staffing_watch(brand_id=cast.acme.pk)
    question = piling_up[0]
    offers = routing.routing_offer_question(question_id=question.pk)
    routing.assignment_accept(assignment_id=offers[0].pk, user=cast.ada)
    with django_capture_on_commit_callbacks(execute=True):
        routing.question_resolve(question_id=question.pk, actor=cast.ada)

    # then her earning carries the surge bonus, booked once in the ledger
    earning = Earning.objects.get(question=question)
    assert (earning.net, earning.surge_bonus, earning.total_net) == (510, 250, 760)
    payments.earning_surge_bonus_book(question_id=question.pk)
    bonus = Transaction.objects.filter(idempotency_key=f"surge-bonus:{question.pk}")
    assert bonus.count() == 1
    assert sorted(p.amount for p in bonus.get().postings.all()) == [-250, 250]
    assert StaffingSurgeInvite.objects.get().answered_at is not None

    # and staff see the surge and who answered the call
    client.force_login(cast.maya)
    page = client.get("/brands/acme/manage/surges/").content.decode()
    # (in the page's body: the title is just the page's name)
    assert "<title>Surges · Acme Outdoors" in page
    page = page.split("</title>", 1)[1]
    assert "Staffing surges" in page
    assert "Ada Lovelace" in page
    assert "1 of 1 invited expert answered the call." in page
    assert "surge bonus 2.50 EUR per resolved question" in page

    # when the queue fits again, a later resolution earns no surge bonus
    surge = staffing_watch(brand_id=cast.acme.pk)
    assert surge.status == StaffingSurge.Status.ENDED
    clock.at(clock.now + timedelta(seconds=30))
    routing.presence_heartbeat(user=cast.ada)
    # (freed by the first resolution, Ada's slot was already offered the next question)
    offer = Assignment.objects.filter(status="offered", expert__user=cast.ada).first()
    later = offer.question
    routing.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    with django_capture_on_commit_callbacks(execute=True):
        routing.question_resolve(question_id=later.pk, actor=cast.ada)
    assert Earning.objects.get(question=later).surge_bonus == 0


def test_an_expert_who_was_not_invited_earns_no_surge_bonus(
    cast: Any,
    clock: Any,
    surge_card: Any,
    piling_up: Any,
    grace_knows_the_shoe: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    watch(cast, clock, 0, django_capture_on_commit_callbacks)
    watch(cast, clock, 10, django_capture_on_commit_callbacks)
    routing.presence_set(user=cast.grace, status="online")
    question = piling_up[0]
    offers = routing.routing_offer_question(question_id=question.pk)
    assert offers[0].expert.user == cast.grace
    routing.assignment_accept(assignment_id=offers[0].pk, user=cast.grace)
    with django_capture_on_commit_callbacks(execute=True):
        routing.question_resolve(question_id=question.pk, actor=cast.grace)
    assert Earning.objects.get(question=question).surge_bonus == 0
    assert not Transaction.objects.filter(idempotency_key__startswith="surge-bonus:").exists()


def test_the_preference_is_on_the_expert_profile(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    page = client.get("/expert/profile/").content.decode()
    assert "Invite me when questions pile up" in page
    marketplace.expert_profile_update(user=cast.ada, notify_surge_alerts=True)
    assert cast.ada.expert_profile.__class__.objects.get(user=cast.ada).notify_surge_alerts


def test_staff_set_the_surge_bonus_on_the_rate_card(cast: Any, api_as: Any, client: Any) -> None:
    # through the API (minor units) and the page (major units)
    response = api_as(cast.sam).put(
        "/api/v1/brands/acme/rate-card",
        {
            "currency": "EUR",
            "default_amount": 400,
            "platform_fee_bps": 1500,
            "surge_bonus_amount": 300,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["surge_bonus_amount"] == 300
    bad = api_as(cast.sam).put(
        "/api/v1/brands/acme/rate-card",
        {
            "currency": "EUR",
            "default_amount": 400,
            "platform_fee_bps": 1500,
            "surge_bonus_amount": -1,
        },
        format="json",
    )
    assert bad.status_code == 400
    client.force_login(cast.maya)
    client.post(
        "/brands/acme/manage/rate-card/",
        {
            "currency": "EUR",
            "default_amount": "4.00",
            "platform_fee_bps": "1500",
            "surge_bonus_amount": "2.50",
        },
    )
    assert cast.acme.rate_cards.order_by("-version").first().surge_bonus_amount == 250
    assert 'value="2.50"' in client.get("/brands/acme/manage/rate-card/").content.decode()
