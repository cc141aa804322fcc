"""Each staff member chooses the brand's messages she gets (/brands/<slug>/manage/notifications/),
and the senders follow the choice."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import BrandMembership
from routing import services

pytestmark = pytest.mark.django_db
URL = "/brands/acme/manage/notifications/"


def _membership(cast: Any, user: Any) -> BrandMembership:
    return BrandMembership.objects.get(brand=cast.acme, user=user)


def test_a_manager_turns_escalation_emails_off_and_is_no_longer_mailed(
    cast: Any,
    client: Any,
    ask: Any,
    online: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    # given maya opens her notifications page: both choices on by default
    client.force_login(cast.maya)
    page = client.get(URL).content.decode()
    assert 'name="notify_escalation_email"' in page
    assert 'name="notify_surge_alerts"' in page
    # when she leaves only the surge alerts ticked
    response = client.post(URL, {"notify_surge_alerts": "on"})
    # then her membership says so, and sam's is untouched
    assert response.status_code == 302
    maya = _membership(cast, cast.maya)
    assert (maya.notify_escalation_email, maya.notify_surge_alerts) == (False, True)
    assert _membership(cast, cast.sam).notify_escalation_email is True
    # and an escalation is mailed to sam only
    online(cast.ada)
    question = ask()
    offer = services.routing_offer_question(question_id=question.pk)[0]
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_escalate(question_id=question.pk, user=cast.ada, reason="Refund")
    escalation = [m for m in mailoutbox if "needs your team" in m.subject]
    assert [m.to for m in escalation] == [["sam@acme.example"]]


def test_a_quality_reviewer_chooses_surge_alerts_only(cast: Any, client: Any) -> None:
    # quality reviewers are never sent escalations: no such choice for them
    client.force_login(cast.quinn)
    page = client.get(URL).content.decode()
    assert 'name="notify_escalation_email"' not in page
    assert client.post(URL, {}).status_code == 302
    quinn = _membership(cast, cast.quinn)
    assert quinn.notify_surge_alerts is False
    assert quinn.notify_escalation_email is True  # untouched (and never used for her role)


def test_another_brands_staff_and_strangers_are_refused(cast: Any, client: Any) -> None:
    client.force_login(cast.nora)  # Northwind's staff
    assert client.get(URL).status_code == 404
    assert client.post(URL, {}).status_code == 404
    client.force_login(cast.carol)  # a customer
    assert client.get(URL).status_code == 404
    client.logout()
    assert client.get(URL).status_code == 302  # to sign in
    assert _membership(cast, cast.sam).notify_surge_alerts is True


def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.maya)
    response = client.post(URL, {"notify_escalation_email": "maybe", "notify_surge_alerts": ""})
    assert response.status_code == 400
    assert "Tick the box or leave it empty; “maybe” is neither." in response.content.decode()
    maya = _membership(cast, cast.maya)
    assert (maya.notify_escalation_email, maya.notify_surge_alerts) == (True, True)


def test_the_page_speaks_german_to_a_german_speaker(cast: Any, client: Any) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=cast.maya.pk).update(language="de")
    client.force_login(cast.maya)
    page = client.get(URL).content.decode()
    assert "Ihre Benachrichtigungen" in page
