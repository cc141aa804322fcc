"""A brand's retention setting and the nightly sweep that applies it.

The fixture's rows are checked by hand: Acme keeps 30 days; one conversation resolved 40
days ago goes, one resolved 10 days ago stays, one still open since 60 days ago stays, and
Northwind (no setting) keeps everything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from gigcx.models import AuditEvent
from marketplace.models import Brand
from payments.models import Posting
from privacy.services import EXPIRED, conversations_expired_purge
from privacy.tasks import purge_conversations
from quality.models import Rating
from routing import services as routing
from routing.models import CopilotDraft, InternalNote, Message, Question
from tests.privacy.conftest import CAROL_LINE, NOTE, acme_webhook_log, webhook_texts
from tests.quality.conftest import resolve_through_routing

pytestmark = pytest.mark.django_db


def _days_ago(
    question: Question, *, resolved: int | None = None, created: int | None = None
) -> Question:
    # Test set-up only: move the clock of a row back (the service takes ``now`` otherwise).
    now = timezone.now()
    changes: dict[str, Any] = {}
    if resolved is not None:
        changes["resolved_at"] = now - timedelta(days=resolved)
    if created is not None:
        changes["created_at"] = now - timedelta(days=created)
    Question.objects.filter(pk=question.pk).update(**changes)
    question.refresh_from_db()
    return question


@pytest.fixture
def aged(cast: Any, history: Any, ask: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Acme keeps 30 days. old: resolved 40 days ago (rated, noted); recent: resolved 10
    days ago; still_open: asked 60 days ago, never resolved; northwind: resolved 40 days ago
    at a brand without a setting."""
    Brand.objects.filter(pk=cast.acme.pk).update(conversation_retention_days=30)
    old = _days_ago(history.resolved, resolved=40, created=41)
    with django_capture_on_commit_callbacks(execute=True):
        recent = resolve_through_routing(cast, ask, cast.ada, body="Recent: laces too short?")
    recent = _days_ago(recent, resolved=10, created=11)
    still_open = _days_ago(history.open, created=60)
    northwind, _ = routing.question_create(
        brand=cast.northwind, asked_by=cast.carol, body="Northwind: spoke tension?"
    )
    Question.objects.filter(pk=northwind.pk).update(
        status=Question.Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=40)
    )
    return {"old": old, "recent": recent, "open": still_open, "northwind": northwind}


def _texts(question: Question) -> list[str]:
    return [
        question.body,
        *question.messages.values_list("body", flat=True),
        *InternalNote.objects.filter(question=question).values_list("body", flat=True),
    ]


def test_the_sweep_empties_only_old_resolved_conversations_of_brands_that_ask(
    cast: Any, aged: Any
) -> None:
    old = aged["old"]
    rating_before = (
        Rating.objects.filter(question=old)
        .values("score", "solved", "expert_id", "created_at")
        .get()
    )
    message_times = list(old.messages.values_list("pk", "role", "created_at"))
    ledger_before = list(Posting.objects.order_by("pk").values_list("pk", "account_id", "amount"))
    untouched = {key: _texts(aged[key]) for key in ("recent", "open", "northwind")}

    purged = conversations_expired_purge()

    assert purged == {cast.acme.pk: 1}
    old = Question.objects.get(pk=old.pk)
    assert old.body == EXPIRED
    assert old.redacted_body == EXPIRED
    assert set(old.messages.values_list("body", flat=True)) == {EXPIRED}
    assert set(old.messages.values_list("redacted_body", flat=True)) == {EXPIRED}
    assert not Message.objects.filter(body=CAROL_LINE).exists()
    assert InternalNote.objects.get(question=old).body == EXPIRED
    assert not InternalNote.objects.filter(body=NOTE).exists()
    # the figures stay: status, times, who asked, the messages' roles and times, the stars
    assert old.status == "resolved"
    assert old.resolved_at == aged["old"].resolved_at
    assert old.asked_by_id == cast.carol.pk
    assert list(old.messages.values_list("pk", "role", "created_at")) == message_times
    rating = Rating.objects.get(question=old)
    assert {
        "score": rating.score,
        "solved": rating.solved,
        "expert_id": rating.expert_id,
        "created_at": rating.created_at,
    } == rating_before
    assert rating.comment == ""
    assert list(Posting.objects.order_by("pk").values_list("pk", "account_id", "amount")) == (
        ledger_before
    )
    assert Posting.objects.aggregate(s=Sum("amount"))["s"] == 0
    # the rest is as it was
    for key, texts in untouched.items():
        assert _texts(Question.objects.get(pk=aged[key].pk)) == texts, key
    event = AuditEvent.objects.get(action="brand.conversations_expired")
    assert event.brand_id == cast.acme.pk
    assert event.data == {"questions": 1, "days": 30}


def test_running_it_twice_changes_nothing_more(cast: Any, aged: Any) -> None:
    assert purge_conversations.delay().get() == 1
    after_first = list(Message.objects.order_by("pk").values())

    assert purge_conversations.delay().get() == 0

    assert list(Message.objects.order_by("pk").values()) == after_first
    assert AuditEvent.objects.filter(action="brand.conversations_expired").count() == 1


def test_a_sweep_running_elsewhere_is_left_alone(
    cast: Any, aged: Any, lock_held_elsewhere: Any
) -> None:
    with lock_held_elsewhere("privacy.purge_conversations"):
        assert purge_conversations.delay().get() == 0
    assert Question.objects.get(pk=aged["old"].pk).body != EXPIRED


def test_copilot_drafts_of_an_expired_conversation_go_too(cast: Any, aged: Any) -> None:
    old = aged["old"]
    basis = old.messages.filter(role="customer").first()
    CopilotDraft.objects.create(
        question=old,
        brand=cast.acme,
        expert=cast.ada_expert,
        basis=basis,
        body="Draft quoting her: call me after six",
        backend="tfidf",
    )

    conversations_expired_purge()

    assert CopilotDraft.objects.get(question=old).body == EXPIRED


def test_blank_keeps_everything(cast: Any, aged: Any) -> None:
    Brand.objects.filter(pk=cast.acme.pk).update(conversation_retention_days=None)

    assert conversations_expired_purge(now=timezone.now() + timedelta(days=3650)) == {}
    assert not Question.objects.filter(body=EXPIRED).exists()


def test_the_beat_schedule_runs_it_nightly(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["privacy.purge_conversations"]

    assert entry["task"] == "privacy.purge_conversations" == purge_conversations.name


# --- the setting: owners only, on the dashboard and in the brand API ----------------------


def test_the_owner_sets_it_on_the_dashboard(cast: Any, client: Any) -> None:
    client.force_login(cast.sam)
    page = client.get("/brands/acme/manage/").content.decode()
    assert 'name="conversation_retention_days"' in page

    response = client.post(
        "/brands/acme/manage/retention/", {"conversation_retention_days": "90"}, follow=True
    )

    assert response.status_code == 200
    assert "deleted 90 days after they were resolved" in response.content.decode()
    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days == 90
    event = AuditEvent.objects.filter(action="brand.updated").latest("pk")
    assert event.data["after"] == {"conversation_retention_days": 90}

    client.post("/brands/acme/manage/retention/", {"conversation_retention_days": ""})
    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days is None


@pytest.mark.parametrize("value", ["3", "abc", "30.5", "99999"])
def test_a_bad_value_is_named_and_not_saved(cast: Any, client: Any, value: str) -> None:
    client.force_login(cast.sam)

    response = client.post(
        "/brands/acme/manage/retention/", {"conversation_retention_days": value}, follow=True
    )

    assert "Enter a whole number of days from 7 to 3650" in response.content.decode()
    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days is None


def test_a_manager_sees_it_but_cannot_change_it(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    page = client.get("/brands/acme/manage/").content.decode()
    assert "Only an owner can change this." in page
    assert 'name="conversation_retention_days"' not in page

    client.post("/brands/acme/manage/retention/", {"conversation_retention_days": "30"})

    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days is None


def test_another_brands_owner_gets_404_and_changes_nothing(cast: Any, client: Any) -> None:
    client.force_login(cast.nora)

    response = client.post("/brands/acme/manage/retention/", {"conversation_retention_days": "30"})

    assert response.status_code == 404
    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days is None


def test_the_brand_api_reads_and_writes_it_for_owners_only(cast: Any, api_as: Any) -> None:
    owner = api_as(cast.sam)
    assert owner.get("/api/v1/brands/acme").json()["conversation_retention_days"] is None

    changed = owner.patch("/api/v1/brands/acme", {"conversation_retention_days": 45}, format="json")
    assert changed.status_code == 200
    assert changed.json()["conversation_retention_days"] == 45

    too_short = owner.patch(
        "/api/v1/brands/acme", {"conversation_retention_days": 1}, format="json"
    )
    assert too_short.status_code == 400
    assert "conversation_retention_days" in too_short.json()["error"]["fields"]

    manager = api_as(cast.maya).patch(
        "/api/v1/brands/acme", {"conversation_retention_days": None}, format="json"
    )
    assert manager.status_code == 403
    assert "Only an owner" in manager.json()["error"]["message"]

    stranger = api_as(cast.nora).patch(
        "/api/v1/brands/acme", {"conversation_retention_days": None}, format="json"
    )
    assert stranger.status_code in (403, 404)
    assert Brand.objects.get(pk=cast.acme.pk).conversation_retention_days == 45


def test_webhook_messages_about_an_expired_conversation_lose_its_text(cast: Any, aged: Any) -> None:
    # given: Acme's CRM endpoint holds messages about the old and the recent conversation
    log = acme_webhook_log(cast)
    recent_before = webhook_texts(log, aged["recent"])
    assert webhook_texts(log, aged["old"]) == {"Do they run narrow?"}
    assert recent_before

    # when
    conversations_expired_purge()

    # then
    assert webhook_texts(log, aged["old"]) == {EXPIRED}
    assert webhook_texts(log, aged["recent"]) == recent_before
