"""The staff inbox: tabs with counts, filters in the address, search on both databases, the
rows a support lead reads, and the staff-only work on a conversation (notes, tags, canned
replies, reassignment) with tenancy and the quality reviewer's read-mostly role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gigcx.accounts import user_create
from marketplace import services as marketplace
from quality.services.ratings import rating_create
from routing import demo, services
from routing.inbox import inbox_filtered, message_search
from routing.models import (
    Assignment,
    CannedReply,
    InternalNote,
    Presence,
    Question,
    QuestionTag,
)
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

INBOX = "/brands/acme/manage/queue/"
COUNTS = "/brands/acme/manage/queue/counts/"


@dataclass
class Inbox:
    waiting: Question
    with_ada: Question
    escalated: Question
    automatic: Question
    resolved: Question


def _triage_reading(question: Question, **fields: Any) -> None:
    """What triage would have stored (language, mood, priority) for a question made without it."""
    Question.objects.filter(pk=question.pk).update(**fields)


def _accepted_by(question: Question, user: Any) -> Assignment:
    offer = services.routing_offer_question(question_id=question.pk)[0]
    assert offer.expert.user == user
    return services.assignment_accept(assignment_id=offer.pk, user=user)


@pytest.fixture
def inbox(cast: Any, ask: Any, online: Any) -> Inbox:
    """One conversation in each state of Acme's inbox."""
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    # waiting: German, upset, first in line, nobody online for tents
    waiting = ask("Mein Zelt ist nach einer Nacht gerissen.\nWas nun?", product=tent)
    _triage_reading(waiting, language="de", frustration=0.8, priority=2)
    # with an expert: ada has it; the customer then mentions a refund in the chat
    online(cast.ada)
    with_ada = ask("Do the Trailblazer 2 run narrow?")
    _accepted_by(with_ada, cast.ada)
    services.message_post(
        question=with_ada, author=cast.carol, role="customer", body="Or can I get a refund?"
    )
    _triage_reading(with_ada, frustration=0.3, priority=1)
    # escalated to staff by ada
    escalated = ask("The sole came off after two weeks, I want my money back")
    _accepted_by(escalated, cast.ada)
    services.assignment_escalate(question_id=escalated.pk, user=cast.ada, reason="Wants a refund")
    _triage_reading(escalated, frustration=0.1)
    # answered automatically from the FAQ
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    created, _ = services.question_create(
        brand=cast.acme,
        asked_by=cast.carol,
        body="How do I clean them?",
        product_id=cast.trail_shoe.pk,
    )
    automatic = question_triage(question_id=created.pk)
    assert automatic is not None
    assert automatic.status == Question.Status.AI_ANSWERED
    # resolved by ada and rated 2 of 5
    resolved = ask("Which socks go with the Trailblazer 2?")
    _accepted_by(resolved, cast.ada)
    services.question_resolve(question_id=resolved.pk, actor=cast.ada)
    resolved.refresh_from_db()
    rating_create(question=resolved, score=2, solved=False, actor=cast.carol)
    for question in (waiting, with_ada, escalated, resolved):
        question.refresh_from_db()
    return Inbox(waiting, with_ada, escalated, automatic, resolved)


def listed(client: Any, **params: Any) -> set[int]:
    """The question ids in the inbox's table for these GET parameters."""
    response = client.get(INBOX, {"tab": "all", **params})
    table = response.content.decode().split('id="inbox"', 1)[1].split("</table>", 1)[0]
    return {int(pk) for pk in re.findall(r'href="/questions/(\d+)/"', table)}


# ---- tabs and counts --------------------------------------------------------------------


def test_each_tab_holds_its_states_and_counts_them(cast: Any, inbox: Inbox, client: Any) -> None:
    # given / when
    client.force_login(cast.maya)
    counts = client.get(COUNTS).json()["counts"]

    # then
    assert counts == {
        "all": 5,
        "waiting": 1,
        "expert": 1,
        "escalated": 1,
        "automatic": 1,
        "resolved": 1,
    }
    tabs = {
        "waiting": inbox.waiting,
        "expert": inbox.with_ada,
        "escalated": inbox.escalated,
        "automatic": inbox.automatic,
        "resolved": inbox.resolved,
    }
    for key, question in tabs.items():
        response = client.get(INBOX, {"tab": key})
        table = response.content.decode().split('id="inbox"', 1)[1].split("</table>", 1)[0]
        assert set(map(int, re.findall(r'href="/questions/(\d+)/"', table))) == {question.pk}, key
    page = client.get(INBOX).content.decode()
    assert 'data-count="escalated">1<' in page
    assert "Answered automatically" in page


def test_counts_follow_the_filters(cast: Any, inbox: Inbox, client: Any) -> None:
    client.force_login(cast.sam)
    counts = client.get(COUNTS, {"product": cast.trail_shoe.pk}).json()["counts"]
    assert counts["all"] == 4
    assert counts["waiting"] == 0


# ---- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"language": "de"}, {"waiting"}),
        ({"mood": "upset"}, {"waiting"}),
        ({"mood": "uneasy"}, {"with_ada"}),
        ({"mood": "calm"}, {"escalated", "automatic"}),  # triage read the FAQ one
        ({"priority": "2"}, {"waiting"}),
        ({"priority": "1"}, {"with_ada"}),
        ({"sla": "on_time"}, {"waiting"}),
        ({"rating": "2"}, {"resolved"}),
        ({"rating": "5"}, set()),
    ],
)
def test_each_filter_narrows_the_inbox(
    cast: Any, inbox: Inbox, client: Any, params: dict[str, str], expected: set[str]
) -> None:
    client.force_login(cast.sam)
    assert listed(client, **params) == {getattr(inbox, name).pk for name in expected}


def test_the_product_expert_tag_and_sla_filters(cast: Any, inbox: Inbox, client: Any) -> None:
    # given a tag on one question and a waiting question whose timer ran out
    services.question_tag_add(question=inbox.escalated, name="Refund", actor=cast.sam)
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    grace_expert = cast.acme.experts.get(user=cast.grace)
    client.force_login(cast.sam)

    # then
    assert listed(client, product=tent.pk) == {inbox.waiting.pk}
    assert listed(client, tag="refund") == {inbox.escalated.pk}
    assert listed(client, expert=cast.ada_expert.pk) == {
        inbox.with_ada.pk,
        inbox.escalated.pk,
        inbox.resolved.pk,
    }
    assert listed(client, expert=grace_expert.pk) == set()
    Question.objects.filter(pk=inbox.waiting.pk).update(sla_due_at=inbox.waiting.created_at)
    assert listed(client, sla="breached") == {inbox.waiting.pk}
    assert listed(client, sla="on_time") == set()
    assert inbox.waiting.pk not in listed(client, sla="none")


def test_a_bad_filter_is_named_and_left_out_while_the_others_apply(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    northwind_product = cast.northwind_product.pk

    response = client.get(INBOX, {"product": northwind_product, "mood": "upset", "tab": "nope"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "That product is not one of this brand&#x27;s." in page
    assert "There is no “nope” tab." in page
    assert listed(client, product=northwind_product, mood="upset") == {inbox.waiting.pk}
    bad = client.get(COUNTS, {"rating": "ten", "priority": "9"})
    assert bad.status_code == 400
    assert "A rating is 1 to 5, or not rated." in bad.json()["error"]["message"]
    assert set(bad.json()["error"]["fields"]) == {"rating", "priority"}


# ---- search -------------------------------------------------------------------------------


def test_search_finds_question_text_and_messages_on_sqlite(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the substring fallback is SQLite's")
    client.force_login(cast.sam)
    assert listed(client, q="refund") == {inbox.with_ada.pk}  # in a chat message
    assert listed(client, q="SOLE came off") == {inbox.escalated.pk}  # in the question
    assert listed(client, q=f"#{inbox.resolved.pk}") == {inbox.resolved.pk}
    assert listed(client, q="tent pole") == set()


@pytest.mark.postgres
def test_search_is_postgres_full_text_on_postgres(
    require_postgres: None, cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    # stemmed: "refunds" finds the chat's "refund", "washed" the FAQ answer's "wash"; words
    # in any order
    assert listed(client, q="refunds") == {inbox.with_ada.pk}
    assert listed(client, q="weeks sole") == {inbox.escalated.pk}
    assert listed(client, q="washed") == {inbox.automatic.pk}
    assert listed(client, q="zipper") == set()
    # and the search is served by the GIN index (routing 0017), not a scan of every message
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        plan = message_search("refunds").explain()
        cursor.execute("RESET enable_seqscan")
    assert "message_body_search_idx" in plan


# ---- rows ---------------------------------------------------------------------------------


def test_a_row_reads_first_line_holder_wait_sla_and_the_conversation_pages_mood(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    page = client.get(INBOX, {"tab": "all"}).content.decode()
    rows = page.split('id="inbox"', 1)[1]

    assert "Mein Zelt ist nach einer Nacht gerissen." in rows
    assert "Was nun?" not in rows  # the first line only
    assert "Ada Lovelace" in rows  # who has the assigned one
    assert "Nobody yet" in rows
    assert "15 min left" in rows or "14 min left" in rows  # the brand's 15-minute SLA
    assert "Why: Expert: Wants a refund" in rows
    # the same mood label as the conversation page (0.3 reads uneasy in both)
    assert '<span class="badge mood-uneasy">Uneasy</span>' in rows
    conversation = client.get(f"/questions/{inbox.with_ada.pk}/").content.decode()
    assert "mood: uneasy" in conversation


def test_the_inbox_costs_the_same_queries_for_5_or_10_conversations(
    cast: Any, inbox: Inbox, ask: Any, client: Any
) -> None:
    client.force_login(cast.sam)
    services.question_tag_add(question=inbox.escalated, name="refund", actor=cast.sam)

    def cost() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX, {"tab": "all"}).status_code == 200
        return len(captured.captured_queries)

    few = cost()
    # session and viewer, the brand, rows and their tags, tab counts, the filter choices
    # (products, experts, tags), who is online and the AI line's card
    assert few <= 15
    for n in range(5):
        question = ask(f"Question number {n} about laces")
        services.question_tag_add(question=question, name=f"tag {n}", actor=cast.sam)
    assert cost() == few


# ---- notes --------------------------------------------------------------------------------


def test_a_note_is_kept_for_staff_and_never_shown_to_the_customer_or_expert(
    cast: Any, inbox: Inbox, client: Any, api_as: Any
) -> None:
    # given
    question = inbox.with_ada
    client.force_login(cast.maya)

    # when
    response = client.post(
        f"/brands/acme/manage/questions/{question.pk}/notes/",
        {"body": "Customer is a wholesale buyer; be generous."},
    )

    # then
    assert response.status_code == 302
    note = InternalNote.objects.get(question=question)
    assert (note.author, note.brand) == (cast.maya, cast.acme)
    secret = "wholesale buyer"
    assert secret in client.get(f"/questions/{question.pk}/").content.decode()
    client.force_login(cast.carol)
    assert secret not in client.get(f"/questions/{question.pk}/").content.decode()
    client.force_login(cast.ada)
    assert secret not in client.get(f"/questions/{question.pk}/").content.decode()
    for who in (cast.carol, cast.ada):
        api = api_as(who)
        for url in (
            f"/api/v1/questions/{question.pk}",
            f"/api/v1/questions/{question.pk}/messages",
        ):
            body = api.get(url)
            assert body.status_code == 200
            assert secret not in body.content.decode()


def test_an_empty_note_is_refused_with_a_message(cast: Any, inbox: Inbox, client: Any) -> None:
    client.force_login(cast.sam)
    response = client.post(
        f"/brands/acme/manage/questions/{inbox.waiting.pk}/notes/", {"body": "  "}, follow=True
    )
    assert "Write the note first." in response.content.decode()
    assert not InternalNote.objects.exists()


# ---- tags ---------------------------------------------------------------------------------


def test_tags_are_added_reused_removed_and_deleted_within_the_brand(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    url = f"/brands/acme/manage/questions/{inbox.escalated.pk}/tags/"

    client.post(url, {"name": "  Refund "})
    client.post(f"/brands/acme/manage/questions/{inbox.with_ada.pk}/tags/", {"name": "refund"})

    tag = QuestionTag.objects.get(brand=cast.acme)
    assert tag.name == "refund"
    assert set(tag.questions.all()) == {inbox.escalated, inbox.with_ada}
    client.post(url, {"action": "remove", "tag_id": tag.pk})
    assert set(tag.questions.all()) == {inbox.with_ada}

    # another brand's tag cannot be taken off an Acme question, nor deleted from Acme
    theirs = QuestionTag.objects.create(brand=cast.northwind, name="warranty")
    inbox.escalated.tags.add(theirs)  # a bad row, as if written by a bug
    response = client.post(url, {"action": "remove", "tag_id": theirs.pk}, follow=True)
    assert "No such tag." in response.content.decode()
    assert (
        client.post(f"/brands/acme/manage/tags/{theirs.pk}/delete/", follow=True).status_code == 200
    )
    assert QuestionTag.objects.filter(pk=theirs.pk).exists()

    client.post(f"/brands/acme/manage/tags/{tag.pk}/delete/")
    assert not QuestionTag.objects.filter(pk=tag.pk).exists()
    assert not inbox.with_ada.tags.exists()


def test_another_brands_staff_get_404_and_change_nothing(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    reply = services.canned_reply_create(brand=cast.acme, actor=cast.sam, title="Hi", body="Hello")
    client.force_login(cast.nora)
    question = inbox.escalated
    for url, data in [
        (INBOX, {}),
        (COUNTS, {}),
        (f"/brands/acme/manage/questions/{question.pk}/notes/", {"body": "x"}),
        (f"/brands/acme/manage/questions/{question.pk}/tags/", {"name": "x"}),
        (f"/brands/acme/manage/questions/{question.pk}/reassign/", {"expert": cast.ada_expert.pk}),
        ("/brands/acme/manage/replies/", {"title": "x", "body": "y"}),
        (f"/brands/acme/manage/replies/{reply.pk}/", {"action": "delete"}),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    # nor through Northwind's own address
    response = client.post(
        f"/brands/northwind/manage/questions/{question.pk}/notes/", {"body": "x"}
    )
    assert response.status_code == 404
    assert not InternalNote.objects.exists()
    assert not QuestionTag.objects.exists()
    reply.refresh_from_db()
    assert reply.body == "Hello"
    assert (
        f"/questions/{question.pk}/"
        not in client.get("/brands/northwind/manage/queue/").content.decode()
    )


# ---- canned replies -----------------------------------------------------------------------


def test_canned_replies_are_created_edited_and_deleted_by_editors(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    url = "/brands/acme/manage/replies/"

    client.post(url, {"title": "Refund steps", "body": "Send the shoes back within 30 days."})
    reply = CannedReply.objects.get(brand=cast.acme)
    duplicate = client.post(url, {"title": "Refund steps", "body": "Again"})
    assert "There is already a reply called “Refund steps”." in duplicate.content.decode()
    missing = client.post(url, {"title": "", "body": ""})
    assert missing.status_code == 200
    assert CannedReply.objects.count() == 1

    client.post(f"{url}{reply.pk}/", {"title": "Refunds", "body": "Within 30 days, unworn."})
    reply.refresh_from_db()
    assert (reply.title, reply.body) == ("Refunds", "Within 30 days, unworn.")

    client.post(f"{url}{reply.pk}/", {"action": "delete"})
    assert not CannedReply.objects.exists()


def test_a_reply_of_another_brand_is_not_found_under_acme(cast: Any, client: Any) -> None:
    theirs = services.canned_reply_create(
        brand=cast.northwind, actor=cast.nora, title="Hi", body="Hello from Northwind"
    )
    client.force_login(cast.sam)
    assert client.get(f"/brands/acme/manage/replies/{theirs.pk}/").status_code == 404
    assert (
        client.post(f"/brands/acme/manage/replies/{theirs.pk}/", {"action": "delete"}).status_code
        == 404
    )
    assert CannedReply.objects.filter(pk=theirs.pk).exists()
    assert "Hello from Northwind" not in client.get("/brands/acme/manage/replies/").content.decode()


def test_the_reply_box_offers_the_brands_canned_replies(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    services.canned_reply_create(brand=cast.acme, actor=cast.sam, title="Refund", body="Steps…")
    services.canned_reply_create(brand=cast.northwind, actor=cast.nora, title="Theirs", body="x")
    client.force_login(cast.sam)
    page = client.get(f"/questions/{inbox.escalated.pk}/").content.decode()
    assert 'id="canned-insert"' in page
    assert ">Refund</option>" in page
    assert "Theirs" not in page


# ---- reassignment -------------------------------------------------------------------------


def test_reassigning_an_escalation_offers_it_to_the_named_expert(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    grace_expert = cast.acme.experts.get(user=cast.grace)

    response = client.post(
        f"/brands/acme/manage/questions/{inbox.escalated.pk}/reassign/",
        {"expert": grace_expert.pk},
        follow=True,
    )

    assert "Offered to Grace Hopper." in response.content.decode()
    inbox.escalated.refresh_from_db()
    assert inbox.escalated.status == Question.Status.OFFERED
    offer = Assignment.objects.get(question=inbox.escalated, status=Assignment.Status.OFFERED)
    assert offer.expert == grace_expert
    # she accepts it like any offer
    services.presence_set(user=cast.grace, status="online")
    services.assignment_accept(assignment_id=offer.pk, user=cast.grace)
    inbox.escalated.refresh_from_db()
    assert inbox.escalated.status == Question.Status.ASSIGNED


def test_reassigning_from_the_current_expert_releases_her_slot(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    client.force_login(cast.sam)
    active_before = Presence.objects.get(user=cast.ada).active
    grace_expert = cast.acme.experts.get(user=cast.grace)

    client.post(
        f"/brands/acme/manage/questions/{inbox.with_ada.pk}/reassign/", {"expert": grace_expert.pk}
    )

    assert Presence.objects.get(user=cast.ada).active == active_before - 1
    statuses = dict(
        Assignment.objects.filter(question=inbox.with_ada).values_list("expert__user", "status")
    )
    assert statuses == {cast.ada.pk: "released", cast.grace.pk: "offered"}


def test_reassigning_to_an_expert_of_another_brand_is_refused(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    # given Nick, an approved expert of Northwind only
    nick = user_create(email="nick@example.com", password=None, name="Nick Northwind")
    marketplace.expert_profile_upsert(user=nick, display_name="Nick N", languages=["en"])
    nick_expert = marketplace.expert_enrol(
        brand=cast.northwind, user=nick, status="approved", actor=cast.nora
    )
    client.force_login(cast.sam)

    response = client.post(
        f"/brands/acme/manage/questions/{inbox.escalated.pk}/reassign/",
        {"expert": nick_expert.pk},
        follow=True,
    )

    assert "Choose an expert from this brand&#x27;s pool." in response.content.decode()
    assert not Assignment.objects.filter(expert=nick_expert).exists()
    inbox.escalated.refresh_from_db()
    assert inbox.escalated.status == Question.Status.ESCALATED
    for bad in ("", "abc"):
        client.post(
            f"/brands/acme/manage/questions/{inbox.escalated.pk}/reassign/", {"expert": bad}
        )
    inbox.escalated.refresh_from_db()
    assert inbox.escalated.status == Question.Status.ESCALATED


def test_a_resolved_conversation_is_not_reassigned(cast: Any, inbox: Inbox, client: Any) -> None:
    client.force_login(cast.sam)
    grace_expert = cast.acme.experts.get(user=cast.grace)
    response = client.post(
        f"/brands/acme/manage/questions/{inbox.resolved.pk}/reassign/",
        {"expert": grace_expert.pk},
        follow=True,
    )
    assert "This conversation is resolved; it cannot be reassigned." in response.content.decode()
    assert not Assignment.objects.filter(question=inbox.resolved, expert=grace_expert).exists()


# ---- the quality reviewer -----------------------------------------------------------------


def test_quality_reviewers_read_the_inbox_and_add_notes_only(
    cast: Any, inbox: Inbox, client: Any, api_as: Any
) -> None:
    client.force_login(cast.quinn)
    assert listed(client) == {
        q.pk
        for q in (inbox.waiting, inbox.with_ada, inbox.escalated, inbox.automatic, inbox.resolved)
    }
    page = client.get(f"/questions/{inbox.escalated.pk}/").content.decode()

    # they see the note form, and no control they cannot use
    assert 'id="note-form"' in page
    for control in (
        'id="composer"',
        'data-action="resolve"',
        'id="reassign-expert"',
        'id="tag-name"',
        'id="canned-insert"',
    ):
        assert control not in page, control

    client.post(f"/brands/acme/manage/questions/{inbox.escalated.pk}/notes/", {"body": "Checked."})
    assert InternalNote.objects.filter(author=cast.quinn).count() == 1

    grace_expert = cast.acme.experts.get(user=cast.grace)
    base = f"/brands/acme/manage/questions/{inbox.escalated.pk}"
    client.post(f"{base}/reassign/", {"expert": grace_expert.pk})
    client.post(f"{base}/tags/", {"name": "qa"})
    replies_before = CannedReply.objects.count()
    client.post("/brands/acme/manage/replies/", {"title": "x", "body": "y"})
    api = api_as(cast.quinn)
    assert api.post(f"/api/v1/questions/{inbox.escalated.pk}/resolve").status_code == 403
    reply = api.post(
        f"/api/v1/questions/{inbox.escalated.pk}/messages", {"body": "hi"}, format="json"
    )
    assert reply.status_code == 403

    inbox.escalated.refresh_from_db()
    assert inbox.escalated.status == Question.Status.ESCALATED
    assert not QuestionTag.objects.exists()
    assert CannedReply.objects.count() == replies_before
    assert not Assignment.objects.filter(question=inbox.escalated, expert=grace_expert).exists()
    assert 'id="canned-form"' not in client.get("/brands/acme/manage/replies/").content.decode()


def test_inbox_filtered_uses_the_brand_only(cast: Any, inbox: Inbox) -> None:
    assert set(inbox_filtered(brand_id=cast.northwind.pk, filters={})) == set()


# ---- the customer card ------------------------------------------------------------------


def test_the_customer_card_shows_her_history_products_experts_and_ratings(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    # given: carol asked all five (ada resolved one, rated 2); another brand's question of hers
    services.question_create(
        brand=cast.northwind, asked_by=cast.carol, body="Are the Gravel wheels tubeless?"
    )
    client.force_login(cast.maya)

    # when staff open the escalated conversation
    html = client.get(f"/questions/{inbox.escalated.pk}/").content.decode()

    # then the card beside it reads her history with Acme only
    card = html.split('id="customer-card"', 1)[1].split("</section>", 1)[0]
    assert "Carol Danvers" in card
    assert "5 questions to Acme Outdoors" in card
    assert "Rates us <strong>2.0</strong> of 5" in card
    assert "Trailblazer 2 Trail Shoe" in card and "Ridgeline 2P Tent" in card  # noqa: PT018
    experts = card.split('id="customer-experts"', 1)[1].split("</ul>", 1)[0]
    assert "Ada Lovelace" in experts and "rated 2.0" in experts  # noqa: PT018
    others = card.split('id="customer-questions"', 1)[1].split("</ul>", 1)[0]
    assert f"/questions/{inbox.resolved.pk}/" in others
    assert f"/questions/{inbox.escalated.pk}/" not in others  # the one open beside it
    assert "Gravel" not in card
    assert f"/brands/acme/manage/customers/{cast.carol.pk}/" in card
    # a quality reviewer sees the card too; the customer never does
    client.force_login(cast.quinn)
    assert 'id="customer-card"' in client.get(f"/questions/{inbox.escalated.pk}/").content.decode()
    client.force_login(cast.carol)
    assert (
        'id="customer-card"' not in client.get(f"/questions/{inbox.escalated.pk}/").content.decode()
    )


def test_the_customer_card_reads_a_long_history_in_the_same_queries_as_a_short_one(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.maya)
    url = f"/questions/{inbox.escalated.pk}/"
    client.get(url)  # warm per-process caches (sites, content types)

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        return len(queries), html.split('id="customer-card"', 1)[1].split("</section>", 1)[0]

    short, _ = page()
    # when carol has asked 30 more questions
    for n in range(30):
        services.question_create(
            brand=cast.acme,
            asked_by=cast.carol,
            body=f"Question number {n} about my gear?",
        )
    long, card = page()

    # then the page costs the same number of queries, shows five others and counts the rest
    assert long == short
    others = card.split('id="customer-questions"', 1)[1].split("</ul>", 1)[0]
    assert others.count("/questions/") == 5
    assert "(29 more)" in card  # 35 in all: the open one and the five shown are not "more"
    assert "Trailblazer 2 Trail Shoe" in card  # products of older questions are still named


def test_an_anonymous_askers_card_says_why_it_is_empty(cast: Any, client: Any) -> None:
    question, _ = services.question_create(
        brand=cast.acme, body="Do you ship to Norway?", contact_email="v@example.com"
    )
    client.force_login(cast.maya)
    html = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Asked without an account" in html


def test_finished_work_stays_30_days_open_work_stays_and_search_reaches_all(
    cast: Any, inbox: Inbox, client: Any
) -> None:
    # given a resolved and an escalated question asked 40 days ago (hand-set clocks)
    old = timezone.now() - timedelta(days=40)
    Question.objects.filter(pk__in=[inbox.resolved.pk, inbox.escalated.pk]).update(created_at=old)
    client.force_login(cast.maya)

    # then the old resolved one leaves the tabs and their counts; open work stays however old
    assert inbox.resolved.pk not in listed(client)
    assert inbox.escalated.pk in listed(client)
    counts = client.get(COUNTS).json()["counts"]
    assert (counts["resolved"], counts["escalated"]) == (0, 1)
    # and a search still finds it, by number or by its words
    assert listed(client, q=f"#{inbox.resolved.pk}") == {inbox.resolved.pk}
    assert inbox.resolved.pk in listed(client, q="socks")


def test_finished_work_is_listed_newest_first(
    cast: Any, inbox: Inbox, ask: Any, client: Any
) -> None:
    newer = ask("Do you sell spare laces for the Trailblazer 2?")
    services.question_resolve(question_id=newer.pk, actor=cast.sam)
    client.force_login(cast.maya)
    html = client.get(INBOX, {"tab": "resolved"}).content.decode()
    order = [int(pk) for pk in re.findall(r'href="/questions/(\d+)/"', html.split('id="inbox"')[1])]
    assert order.index(newer.pk) < order.index(inbox.resolved.pk)
