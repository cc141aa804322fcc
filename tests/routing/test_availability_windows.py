"""Availability windows act: offers only inside them unless the expert went online by hand.

The clock is pinned to a Wednesday in December; Ada works Wednesdays 09:00-12:00 Berlin time
(08:00-11:00 UTC in winter). Grace has no windows at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from marketplace import services as marketplace
from routing import services
from routing.models import Assignment, Presence
from routing.services.presence import WINDOW_ENDED
from routing.tasks import sweep

pytestmark = pytest.mark.django_db

WEDNESDAY = 2
OPENS = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
CLOSES = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


@pytest.fixture
def ada_works_wednesday_mornings(cast: Any) -> None:
    marketplace.expert_profile_update(
        user=cast.ada,
        timezone="Europe/Berlin",
        availability=[(WEDNESDAY, time(9, 0), time(12, 0))],
    )


def offered_to(question_id: int) -> list[Any]:
    return [
        a.expert.user
        for a in Assignment.objects.filter(question_id=question_id).select_related("expert__user")
    ]


def presence(user: Any) -> Presence:
    return Presence.objects.get(user=user)


def test_online_inside_her_window_she_gets_the_offer_until_the_window_ends(
    cast: Any, ask: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    # given: 10:30 Berlin, inside her window
    clock.at(OPENS + timedelta(hours=1, minutes=30))
    services.presence_set(user=cast.ada, status="online")
    assert presence(cast.ada).window_ends_at == CLOSES
    # when
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    # then
    assert offered_to(question.pk) == [cast.ada]


def test_after_her_window_ends_she_gets_no_offer_even_before_the_sweep(
    cast: Any, ask: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    # given: online on her schedule, console still open (fresh heartbeat) at 12:00 sharp
    clock.at(CLOSES - timedelta(minutes=10))
    services.presence_set(user=cast.ada, status="online")
    clock.at(CLOSES)
    services.presence_heartbeat(user=cast.ada)
    assert presence(cast.ada).status == Presence.Status.ONLINE
    # when
    question = ask()
    offers = services.routing_offer_question(question_id=question.pk)
    # then: the window's end is the edge, whatever the sweep has done
    assert offers == []
    assert offered_to(question.pk) == []


def test_the_sweep_sets_her_away_at_the_windows_end_and_says_why(
    cast: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    clock.at(CLOSES - timedelta(seconds=20))
    services.presence_set(user=cast.ada, status="online")
    clock.at(CLOSES + timedelta(seconds=5))
    services.presence_heartbeat(user=cast.ada)
    # when
    sweep.apply().get()
    # then
    row = presence(cast.ada)
    assert row.status == Presence.Status.AWAY
    assert row.away_by_schedule is True
    assert row.status_reason == WINDOW_ENDED
    assert row.window_ends_at is None


def test_her_next_window_brings_her_back_while_the_console_is_open(
    cast: Any, ask: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    # given: set away by last week's window end, console kept open
    clock.at(CLOSES - timedelta(seconds=20))
    services.presence_set(user=cast.ada, status="online")
    clock.at(CLOSES + timedelta(seconds=5))
    sweep.apply().get()
    # when: a heartbeat outside any window leaves her away...
    clock.at(OPENS + timedelta(days=7) - timedelta(seconds=1))
    assert services.presence_heartbeat(user=cast.ada).status == Presence.Status.AWAY
    # ...and one inside the next window brings her back on that window
    clock.at(OPENS + timedelta(days=7))
    back = services.presence_heartbeat(user=cast.ada)
    # then
    assert back.status == Presence.Status.ONLINE
    assert back.window_ends_at == CLOSES + timedelta(days=7)
    assert back.away_by_schedule is False
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    assert offered_to(question.pk) == [cast.ada]


def test_going_away_herself_means_no_window_brings_her_back(
    cast: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    clock.at(CLOSES - timedelta(seconds=20))
    services.presence_set(user=cast.ada, status="online")
    clock.at(CLOSES + timedelta(seconds=5))
    sweep.apply().get()
    services.presence_set(user=cast.ada, status="away")
    clock.at(OPENS + timedelta(days=7, minutes=1))
    assert services.presence_heartbeat(user=cast.ada).status == Presence.Status.AWAY


def test_online_by_hand_outside_her_window_takes_offers_until_she_goes_offline(
    cast: Any, ask: Any, clock: Any, ada_works_wednesday_mornings: None, api_as: Any
) -> None:
    # given: 12:30 Berlin, after her window; she clicks online through the API
    clock.at(CLOSES + timedelta(minutes=30))
    response = api_as(cast.ada).post("/api/v1/expert/presence", {"status": "online"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "online"
    assert response.json()["online_by_hand"] is True
    assert response.json()["window_ends_at"] is None
    # when: hours later, heartbeats kept up, the sweep runs
    for minutes in range(0, 240, 1):
        clock.at(CLOSES + timedelta(minutes=30 + minutes))
        services.presence_heartbeat(user=cast.ada)
    sweep.apply().get()
    # then: still online, and offered
    assert presence(cast.ada).status == Presence.Status.ONLINE
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    assert offered_to(question.pk) == [cast.ada]
    # and going offline ends it
    services.presence_set(user=cast.ada, status="offline")
    second = ask("Do the Trailblazer 2 run wide?")
    assert services.routing_offer_question(question_id=second.pk) == []


def test_online_by_hand_ends_when_her_heartbeat_lapses(
    cast: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    clock.at(CLOSES + timedelta(hours=1))
    services.presence_set(user=cast.ada, status="online")
    clock.at(CLOSES + timedelta(hours=1, minutes=1))
    sweep.apply().get()
    row = presence(cast.ada)
    assert row.status == Presence.Status.AWAY
    assert row.away_by_schedule is False  # a lapse is not her schedule: no auto return


def test_an_expert_without_windows_is_online_by_hand_as_before(
    cast: Any, ask: Any, clock: Any, grace_knows_the_shoe: None
) -> None:
    clock.at(CLOSES + timedelta(hours=3))
    services.presence_set(user=cast.grace, status="online")
    assert presence(cast.grace).window_ends_at is None
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    assert offered_to(question.pk) == [cast.grace]


def test_outside_her_window_the_next_expert_gets_it(
    cast: Any, ask: Any, clock: Any, ada_works_wednesday_mornings: None, grace_knows_the_shoe: None
) -> None:
    # given: both online at 11:59 Berlin; Ada on her schedule, Grace (no windows) by hand
    clock.at(CLOSES - timedelta(minutes=1))
    services.presence_set(user=cast.ada, status="online")
    services.presence_set(user=cast.grace, status="online")
    # when: a question at 12:00:30 Berlin
    clock.at(CLOSES + timedelta(seconds=30))
    services.presence_heartbeat(user=cast.ada)
    services.presence_heartbeat(user=cast.grace)
    question = ask()
    services.routing_offer_question(question_id=question.pk)
    # then: Ada, the stronger match, is skipped
    assert offered_to(question.pk) == [cast.grace]


def test_the_console_tells_her_where_she_stands(
    cast: Any, client: Any, clock: Any, ada_works_wednesday_mornings: None
) -> None:
    client.force_login(cast.ada)
    clock.at(OPENS + timedelta(minutes=30))
    services.presence_set(user=cast.ada, status="online")
    page = client.get("/expert/console/").content.decode()
    assert "Inside your window until 12:00" in page
    assert "online on your schedule" in page
    assert "Wed 09:00–12:00" in page
    assert "Europe/Berlin" in page
    clock.at(CLOSES + timedelta(minutes=30))
    services.presence_set(user=cast.ada, status="online")
    page = client.get("/expert/console/").content.decode()
    assert "Outside your windows" in page
    assert "online by hand" in page
    services.presence_set(user=cast.ada, status="offline")
    page = client.get("/expert/console/").content.decode()
    assert "next window opens Wednesday 09:00" in page


def test_the_notification_opt_in_follows_her_profile_choice(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    assert 'id="notify-optin"' in client.get("/expert/console/").content.decode()
    marketplace.expert_profile_update(user=cast.ada, notify_offers_browser=False)
    client.force_login(cast.ada)
    page = client.get("/expert/console/").content.decode()
    assert 'id="notify-optin"' not in page
    assert "<kbd>A</kbd> accepts" in page
