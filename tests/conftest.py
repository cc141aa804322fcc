"""Shared fixtures: the named cast (STYLE 29) and access to real services.

Tests that need PostgreSQL, Redis or Chromium skip with a message on a machine without
them, and fail instead under CI (CI=true), where a missing service is a broken machine.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from gigcx.accounts import user_create, user_totp_enrol
from gigcx.models import User
from marketplace import demo, services
from marketplace.models import Brand, Expert, Product
from routing import services as routing_services
from routing.models import Assignment, Question

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what: str) -> None:
    """Skip when a service is missing on a developer machine; fail under CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available.")
    pytest.skip(
        f"{what} is not available on this machine (DEVELOPERS.md says how to install and start it)."
    )


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Threads (live server, websocket tests) and worker processes can leave connections to
    the test database open; PostgreSQL refuses to drop a database in use."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters and locks must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch: Any) -> None:
    """``force_login`` stands for a finished sign-in. It skips the password, and for a person
    with an authenticator app it skips the code the same way: the session counts as
    confirmed, as after allauth's MFA stage. Tests of that stage itself sign in through the
    real pages (tests/test_mfa.py)."""
    from django.test.client import ClientMixin

    from gigcx.mfa import SESSION_KEY, mfa_enabled

    original = ClientMixin.force_login

    def force_login(self: Any, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        if mfa_enabled(user):
            session = self.session
            session[SESSION_KEY] = user.pk
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def require_postgres() -> None:
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "PostgreSQL (set DATABASE_URL)",
    )


@pytest.fixture
def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    require(bool(url) and port_open("127.0.0.1", 6379), "Redis (set REDIS_URL)")
    return url


@dataclass
class Cast:
    """Acme Outdoors and its people, built through the services like seed_demo does."""

    acme: Brand
    sam: User  # owner
    maya: User  # manager
    quinn: User  # QA
    ada: User  # approved expert, knows the trail shoes
    grace: User  # approved expert, tents
    carol: User  # customer
    trail_shoe: Product
    ada_expert: Expert
    # Another brand with its own owner, for isolation tests.
    northwind: Brand
    nora: User
    northwind_product: Product


def _person(email: str, name: str) -> User:
    return user_create(email=email, password=demo.DEMO_PASSWORD, name=name, verified=True)


# Owners need a second factor: the cast's owners have an authenticator app with the demo
# secret, as seed_demo gives Sam (codes: gigcx.mfa.totp_code).
OWNER_TOTP_SECRET = demo.DEMO_TOTP_SECRET


@pytest.fixture
def cast(db: Any) -> Cast:
    sam = _person("sam@acme.example", "Sam Porter")
    user_totp_enrol(user=sam, secret=OWNER_TOTP_SECRET)
    acme = services.brand_create(
        owner=sam, name="Acme Outdoors", slug="acme", languages=["en", "de"]
    )
    maya = _person("maya@acme.example", "Maya Lind")
    quinn = _person("quinn@acme.example", "Quinn Reyes")
    services.membership_add(brand=acme, user=maya, role="manager", actor=sam)
    services.membership_add(brand=acme, user=quinn, role="qa", actor=sam)
    footwear = services.category_create(brand=acme, name="Footwear", actor=sam)
    tents = services.category_create(brand=acme, name="Tents", actor=sam)
    trail_shoe = services.product_create(
        brand=acme, name="Trailblazer 2 Trail Shoe", sku="TB2", category_id=footwear.pk, actor=sam
    )
    tent = services.product_create(
        brand=acme, name="Ridgeline 2P Tent", category_id=tents.pk, actor=sam
    )
    ada = _person("ada@example.com", "Ada Lovelace")
    grace = _person("grace@example.com", "Grace Hopper")
    services.expert_profile_upsert(user=ada, display_name="Ada Lovelace", languages=["en"])
    services.expert_profile_upsert(
        user=grace, display_name="Grace Hopper", languages=["en", "de"], capacity=1
    )
    ada_expert = services.expert_enrol(brand=acme, user=ada, status="approved", actor=sam)
    grace_expert = services.expert_enrol(brand=acme, user=grace, status="approved", actor=sam)
    services.expert_skill_set(
        expert=ada_expert, product=trail_shoe, level=5, verified=True, actor=sam
    )
    services.expert_skill_set(expert=grace_expert, product=tent, level=4, actor=sam)
    carol = _person("carol@example.com", "Carol Danvers")

    nora = _person("nora@northwind.example", "Nora North")
    user_totp_enrol(user=nora, secret=OWNER_TOTP_SECRET)
    northwind = services.brand_create(owner=nora, name="Northwind Cycles", slug="northwind")
    wheels = services.category_create(brand=northwind, name="Wheels", actor=nora)
    northwind_product = services.product_create(
        brand=northwind, name="Gravel Wheelset", category_id=wheels.pk, actor=nora
    )
    return Cast(
        acme,
        sam,
        maya,
        quinn,
        ada,
        grace,
        carol,
        trail_shoe,
        ada_expert,
        northwind,
        nora,
        northwind_product,
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient) -> Any:
    """``api_as(user)`` logs the API client in as ``user`` (session auth, CSRF not enforced)."""

    def login(user: User | None) -> APIClient:
        api.force_authenticate(user=None)
        api.logout()
        if user is not None:
            api.force_login(user)
        return api

    return login


@pytest.fixture
def ask(cast: Any) -> Any:
    """``ask(body, product=..., **kw)``: carol asks Acme; the question skips triage and waits
    for an expert (what triage does for a human-first question)."""

    def make(
        body: str = "Do the Trailblazer 2 run narrow?", *, product: Any = "default", **kwargs: Any
    ) -> Question:
        product = cast.trail_shoe if product == "default" else product
        question, _ = routing_services.question_create(
            brand=cast.acme,
            asked_by=kwargs.pop("asked_by", cast.carol),
            body=body,
            product_id=product.pk if product else None,
            **kwargs,
        )
        question.language = "en"
        question.save(update_fields=["language"])
        return routing_services.question_send_to_experts(question=question)

    return make


@pytest.fixture
def online(cast: Any) -> Any:
    def go(*users: Any) -> None:
        for user in users:
            routing_services.presence_set(user=user, status="online")

    return go


@pytest.fixture
def grace_knows_the_shoe(cast: Any) -> None:
    grace_expert = cast.acme.experts.get(user=cast.grace)
    services.expert_skill_set(expert=grace_expert, product=cast.trail_shoe, level=3, actor=cast.sam)


# Tasks that only mail someone and drive no step of a question: they run even while the
# steps are held, as the mail used to be sent in the request, so tests still read it.
RUN_WHILE_HELD = frozenset({"routing.send_question_link"})


@pytest.fixture
def held_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Record Celery tasks instead of running them, for tests that drive each step
    themselves (in transactional tests, eager tasks would otherwise run at every commit)."""
    from celery.app.task import Task

    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        if self.name in RUN_WHILE_HELD:
            self.run(*(args or ()), **(kwargs or {}))
            return
        sent.append((self.name, tuple(args or ())))

    monkeypatch.setattr(Task, "apply_async", record)
    return sent


@pytest.fixture
def lock_held_elsewhere() -> Any:
    """``with lock_held_elsewhere(name):`` another process (here: a thread with its own
    database connection) holds the sweeper lock ``name`` (gigcx.locks.exclusive)."""
    import contextlib
    import threading

    from django.db import connections

    from gigcx.locks import exclusive

    @contextlib.contextmanager
    def hold(name: str) -> Any:
        taken, release = threading.Event(), threading.Event()

        def holder() -> None:
            try:
                with exclusive(name) as held:
                    assert held
                    taken.set()
                    release.wait(30)
            finally:
                connections.close_all()

        thread = threading.Thread(target=holder)
        thread.start()
        assert taken.wait(10), f"could not take {name}"
        try:
            yield
        finally:
            release.set()
            thread.join(30)

    return hold


@pytest.fixture
def admin_user(admin_user: Any) -> Any:
    """pytest-django's site admin, with an authenticator app: the admin sits behind two-factor
    authentication (gigcx.mfa), and a signed-in test client counts as having given a code."""
    user_totp_enrol(user=admin_user, secret=OWNER_TOTP_SECRET)
    return admin_user


@pytest.fixture
def rate_card(cast: Any) -> Any:
    """Acme's rate card: EUR 4.00 a question, 6.00 for the trail shoe, a 15% platform fee,
    3 days' clearance, a 1.00 bonus for 5 stars, held below 2 stars."""
    from payments import services as payments

    return payments.rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=400,
        platform_fee_bps=1500,
        clearance_days=3,
        bonus_amount=100,
        bonus_min_rating=5,
        hold_below_rating=2,
        lines=[{"product_id": cast.trail_shoe.pk, "amount": 600}],
    )


# Voice (tests/voice, tests/e2e/test_voice_call.py): carol's question answered by ada, a
# rate card paying for calls, ada's weekly hours.


@pytest.fixture
def assigned(cast: Any, ask: Any, online: Any, held_tasks: Any) -> Question:
    """Carol asked about the trail shoe and ada took it (ada: one of two slots in use)."""
    online(cast.ada)
    question = ask()
    offers = routing_services.routing_offer_question(question_id=question.pk)
    assert [o.expert.user for o in offers] == [cast.ada]
    routing_services.assignment_accept(assignment_id=offers[0].pk, user=cast.ada)
    question.refresh_from_db()
    assert Assignment.objects.filter(question=question, status="accepted").exists()
    return question


@pytest.fixture
def call_rates(cast: Any) -> Any:
    """Acme pays 1.00 per call plus 0.50 per started minute, with a 20 % platform fee."""
    from payments.services import rate_card_create

    return rate_card_create(
        brand=cast.acme,
        actor=cast.sam,
        currency="EUR",
        default_amount=300,
        platform_fee_bps=2000,
        call_amount=100,
        call_minute_amount=50,
    )


@pytest.fixture
def ada_works_days(cast: Any) -> None:
    """Ada's hours: every day 09:00-17:00 UTC."""
    services.expert_profile_update(
        user=cast.ada,
        timezone="UTC",
        availability=[(day, time(9, 0), time(17, 0)) for day in range(7)],
    )
