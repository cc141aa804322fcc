"""Brand A's world and the six kinds of caller, shared by the API's contract tests (the role
matrix, schemathesis, the tenancy walk).

``acme_world(cast)`` builds one row of each kind in Acme through the services, the way a brand
really fills up: a question in conversation with Ada (messages), one she resolved and Carol
rated low (rating, earning, review, payout in a batch), an offer waiting for Ada, an API key,
an invitation, an application, a quiz, a draft knowledge entry, a canned reply and a tag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, transaction
from django.test import TestCase
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from marketplace import services
from routing import services as routing_services
from routing.models import Assignment, Question

OUR_APPS = (
    "gigcx",
    "marketplace",
    "routing",
    "quality",
    "payments",
    "privacy",
    "integrations",
    "voice",
)

# The callers of the role matrix and of schemathesis, in the matrix's column order.
ROLES = ("anonymous", "customer", "expert", "staff_a", "staff_b", "api_key")

IBAN = "DE89370400440532013000"  # the standard example IBAN (valid checksum)

# Text only Acme's staff may read (and, except the key's own name, Acme's API key).
INVITED_EMAIL = "kim.invited@example.com"
MOTIVATION = "Dan has run in Trailblazers for years."
DRAFT_ANSWER = "Thread the laces from the toe up, skipping the top eyelet."
KEY_NAME = "acme-crm-integration"
RATING_NOTE = "Helpful, if a little late."
# The conversation: Carol (the asker), Ada (her expert) and Acme's staff read it.
OPEN_BODY = "Do the Trailblazer 2 run narrow in the toe box?"
EXPERT_LINE = "They run narrow; take the wide fit."
# Where Acme's webhooks go (its owners, managers and manager key read it).
HOOK_URL = "http://127.0.0.1:9/acme-crm/hooks"


def api_patterns() -> list[URLPattern]:
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "namespace", None) == "api":
            return list(pattern.url_patterns)
    raise AssertionError("no 'api' namespace")


def handler_methods(view_class: type) -> list[str]:
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]


# Columns that change on a read and are not data: a key's last use.
VOLATILE = {"marketplace.BrandApiKey": ("last_used_at",)}


def database_fingerprint() -> str:
    """A digest of every row of our apps' models: any write anywhere changes it, except the
    audit line each refusal itself writes (``access.denied``, gigcx.audit) and the
    bookkeeping of :data:`VOLATILE`."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        rows_of = model._base_manager.order_by("pk")
        if model._meta.label == "gigcx.AuditEvent":
            rows_of = rows_of.exclude(action="access.denied")
        rows = list(rows_of.values())
        for row in rows:
            for column in VOLATILE.get(model._meta.label, ()):
                row.pop(column, None)
        digest.update(model._meta.label.encode())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and model._meta.label != "gigcx.AuditEvent"
    }


@dataclass
class World:
    rows: dict[str, Any]
    ids: dict[str, int]
    api_key: str  # the plain key, shown once
    # text -> the roles allowed to read it
    private: dict[str, set[str]] = field(default_factory=dict)


def session_token(user: Any) -> str:
    """A signed-in session's key, sent as ``X-Session-Token`` (allauth headless, app client):
    what an app holds after ``/_allauth/app/v1/auth/login`` and, unlike a cookie, free of
    the CSRF check, so writes are exercised too. An owner's session counts as confirmed
    with a second factor, as after the MFA stage."""
    from importlib import import_module

    from gigcx.mfa import SESSION_KEY as MFA_SESSION_KEY
    from gigcx.mfa import mfa_enabled

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if mfa_enabled(user):
        store[MFA_SESSION_KEY] = user.pk
    store.save()
    return store.session_key


def role_headers(role: str, cast: Any, world: World) -> dict[str, str]:
    """HTTP headers that make a request come from ``role``."""
    people = {"customer": cast.carol, "expert": cast.ada, "staff_a": cast.sam, "staff_b": cast.nora}
    if role in people:
        return {"X-Session-Token": session_token(people[role])}
    if role == "api_key":
        return {"Authorization": f"Api-Key {world.api_key}"}
    return {}


def acme_world(cast: Any) -> World:
    """One row of each kind in Acme (see the module docstring)."""
    from payments import services as payments
    from payments.models import Earning, Payout
    from quality.services.ratings import rating_create
    from quality.services.reviews import quality_settings_update
    from tests.marketplace.test_quizzes import shoe_quiz

    payments.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=4000,
        platform_fee_bps=1500,
        clearance_days=3,
        lines=[{"product_id": cast.trail_shoe.pk, "amount": 6000}],
    )
    quality_settings_update(brand=cast.acme, actor=cast.sam, review_sample_percent=100)
    routing_services.presence_set(user=cast.grace, status="offline")
    routing_services.presence_set(user=cast.ada, status="online")

    def routed_to_ada(body: str) -> tuple[Question, Assignment]:
        question, _ = routing_services.question_create(
            brand=cast.acme, asked_by=cast.carol, body=body, product_id=cast.trail_shoe.pk
        )
        question.language = "en"
        question.save(update_fields=["language"])
        routing_services.question_send_to_experts(question=question)
        routing_services.routing_offer_question(question_id=question.pk)
        return question, Assignment.objects.get(question=question, status="offered")

    # resolved (sampled for review), rated, earned, cleared and paid out in a batch; the outbox
    # delivers each event after commit (earning, review)
    done, offer = routed_to_ada("My Trailblazer sole came loose after a week.")
    routing_services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    routing_services.message_post(question=done, author=cast.ada, role="expert", body="Sorry!")
    with TestCase.captureOnCommitCallbacks(execute=True):
        routing_services.question_resolve(question_id=done.pk, actor=cast.ada)
    done.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        rating = rating_create(
            question=done, score=4, solved=True, comment=RATING_NOTE, actor=cast.carol
        )
    payments.earnings_clear_due(now=timezone.now() + timedelta(days=4))
    payments.payout_destination_set(
        user=cast.ada, provider="bank", account_holder="Ada Lovelace", iban=IBAN
    )
    batch = payments.payout_batch_run(brand=cast.acme, actor=cast.sam)
    # in conversation with Ada
    question, offer = routed_to_ada(OPEN_BODY)
    routing_services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    question.refresh_from_db()
    routing_services.message_post(
        question=question, author=cast.ada, role="expert", body=EXPERT_LINE
    )
    # waiting for Ada to accept (for a day: the callers of a slow run must all find it open)
    waiting, offer = routed_to_ada("Is the Trailblazer 2 waterproof?")
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + timedelta(days=1))

    key, plain = services.api_key_create(brand=cast.acme, name=KEY_NAME, actor=cast.sam)
    invitation = services.invitation_create(brand=cast.acme, email=INVITED_EMAIL, actor=cast.sam)
    from gigcx.accounts import user_create

    dan = user_create(email="dan@example.com", password="Dan-pass-1234!", name="Dan", verified=True)
    application = services.application_submit(
        brand=cast.acme,
        user=dan,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation=MOTIVATION,
        accept_terms=True,
    )
    quiz = shoe_quiz(cast)
    entry = routing_services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        question="How do I re-lace the Trailblazer 2?",
        answer=DRAFT_ANSWER,
        is_published=False,
    )
    reply = routing_services.canned_reply_create(
        brand=cast.acme, actor=cast.sam, title="Sizing", body="They run half a size small."
    )
    tag = routing_services.question_tag_add(question=question, name="sizing", actor=cast.sam)
    endpoint, secret, delivery = acme_webhook(cast)
    call, slot = acme_calls(cast, question=question, waiting=waiting)
    earning = Earning.objects.get(question=done)
    payout = Payout.objects.get(batch=batch)
    from quality.models import Review

    review = Review.objects.get(question=done)
    rows = {
        "question": question,
        "done": done,
        "waiting": waiting,
        "offer": offer,
        "rating": rating,
        "earning": earning,
        "payout": payout,
        "batch": batch,
        "review": review,
        "key": key,
        "invitation": invitation,
        "application": application,
        "quiz": quiz,
        "entry": entry,
        "reply": reply,
        "tag": tag,
        "endpoint": endpoint,
        "delivery": delivery,
        "call": call,
        "slot": slot,
    }
    ids = {
        "slug": 0,  # placeholder: the slug is a string, set by url_kwargs
        "product_id": cast.trail_shoe.pk,
        "category_id": cast.trail_shoe.category_id,
        "expert_id": cast.ada_expert.pk,
        "key_id": key.pk,
        "invitation_id": invitation.pk,
        "application_id": application.pk,
        "quiz_id": quiz.pk,
        "entry_id": entry.pk,
        "batch_id": batch.pk,
        "earning_id": earning.pk,
        "review_id": review.pk,
        "customer_id": cast.carol.pk,
        "question_id": question.pk,
        "offer_id": offer.pk,
        "reply_id": reply.pk,
        "tag_id": tag.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery.pk,
        "call_id": call.pk,
        "slot_id": slot.pk,
    }
    staff = {"staff_a", "api_key"}
    private = {
        INVITED_EMAIL: staff,
        MOTIVATION: staff,
        DRAFT_ANSWER: staff,
        KEY_NAME: staff,  # the key reads its own name at /me
        RATING_NOTE: staff | {"customer", "expert"},
        OPEN_BODY: staff | {"customer", "expert"},
        EXPERT_LINE: staff | {"customer", "expert"},
        IBAN: set(),
        HOOK_URL: staff,
        secret: set(),  # shown once, when it was made
    }
    return World(rows=rows, ids=ids, api_key=plain, private=private)


def acme_webhook(cast: Any) -> tuple[Any, str, Any]:
    """Acme's endpoint (on a local address, allowed for the moment it is made: nothing is
    sent to it) and one failed delivery in its log."""
    from django.test import override_settings

    from integrations import services as integrations
    from integrations.models import WebhookDelivery

    with override_settings(GIGCX_WEBHOOKS_ALLOW_PRIVATE=True, GIGCX_WEBHOOKS_ALLOW_HTTP=True):
        endpoint, secret = integrations.webhook_endpoint_create(
            brand=cast.acme, url=HOOK_URL, events=["question.resolved"], actor=cast.sam
        )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        brand=cast.acme,
        event_type="question.resolved",
        message_id="msg_acme_world_1",
        payload={"type": "question.resolved", "data": {"brand": "acme"}},
        status=WebhookDelivery.Status.FAILED,
        attempts=8,
        last_status_code=503,
        last_attempt_at=timezone.now(),
    )
    return endpoint, secret, delivery


def callback_time() -> Any:
    """Tomorrow at 10:00 UTC: inside Ada's hours (every day 09:00-17:00 UTC)."""
    from datetime import UTC

    day = timezone.now().astimezone(UTC) + timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def acme_calls(cast: Any, *, question: Question, waiting: Question) -> tuple[Any, Any]:
    """Carol asks to talk on her open conversation (ringing Ada), and books a callback on
    the question no expert has yet (open, for Acme's experts to take)."""
    from datetime import time

    from voice import services as voice

    services.expert_profile_update(
        user=cast.ada,
        timezone="UTC",
        availability=[(day, time(9, 0), time(17, 0)) for day in range(7)],
    )
    from voice.models import CallOffer

    call = voice.call_request(question_id=question.pk, user=cast.carol)
    # The matrix reaches "call-accept" minutes later on a loaded machine: the ring must not
    # run out before it does (its expiry is tested in tests/voice).
    CallOffer.objects.filter(call=call).update(expires_at=timezone.now() + timedelta(hours=1))
    slot = voice.callback_book(question_id=waiting.pk, user=cast.carol, starts_at=callback_time())
    return call, slot


def url_kwargs(pattern: URLPattern, world: World, slug: str = "acme") -> dict[str, Any]:
    route = str(pattern.pattern)
    kwargs: dict[str, Any] = {"slug": slug} if "<slug:slug>" in route else {}
    for name, value in world.ids.items():
        if f"<int:{name}>" in route:
            kwargs[name] = value
    return kwargs


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction rolled back at the end, that durable service blocks may nest in the way
    they nest in a test case's own (Django marks those ``_from_testcase``)."""
    with transaction.atomic():
        connection.atomic_blocks[-1]._from_testcase = True
        yield
        transaction.set_rollback(True)
