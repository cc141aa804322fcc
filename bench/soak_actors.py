"""The soak's simulated people (bench/soak.py): a customer asking through the public API
and experts working their consoles through it, plus the extra experts they need."""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

import requests
from second_factor import MFA_AUTHENTICATE, demo_code, needs_code

PASSWORD = "gigcx-demo-2026"  # noqa: S105 - the demo password seed_demo prints
EXPERTS = ["ada@example.com", "grace@example.com", "linus@example.com"]
BODIES = [
    "Does the {p} run small? I am between two sizes.",
    "How do I look after my {p} after a muddy weekend?",
    "My {p} arrived with a scuff, can I swap it?",
    "Is the {p} good for a week in the Alps in October?",
    "What is the warranty on the {p}?",
]


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.asked: list[int] = []
        self.ask_failed = 0
        self.status_5xx = 0
        self.connection_errors = 0
        self.accepted = 0
        self.resolved = 0
        self.other_4xx: dict[str, int] = {}

    def response(self, response: requests.Response, what: str) -> None:
        with self.lock:
            if response.status_code >= 500:
                self.status_5xx += 1
            elif response.status_code >= 400:
                key = f"{what} {response.status_code}"
                self.other_4xx[key] = self.other_4xx.get(key, 0) + 1


class Site:
    def __init__(self, base: str, counters: Counters) -> None:
        self.base = base
        self.counters = counters

    def call(self, session: requests.Session, method: str, path: str, what: str, **kw: Any) -> Any:
        try:
            response = session.request(method, self.base + path, timeout=30, **kw)
        except requests.RequestException:
            with self.counters.lock:
                self.counters.connection_errors += 1
            return None
        self.counters.response(response, what)
        return response


def soak_experts_enrol(count: int) -> list[str]:
    """Enrol ``count`` extra experts who know every demo product, through the same services
    seed_demo uses. The demo cast alone cannot take 1 question/s: the fairness cap (at most
    500 offers per expert per hour) would keep questions waiting whatever the broker does."""
    from django.db import transaction

    from gigcx.accounts import user_get_or_create
    from marketplace import services
    from marketplace.models import Brand, Expert, Product

    brand = Brand.objects.get(slug="acme")
    owner = brand.memberships.filter(role="owner").first().user
    products = list(Product.objects.filter(brand=brand))
    emails = []
    for n in range(1, count + 1):
        email = f"soak-expert-{n}@example.com"
        emails.append(email)
        with transaction.atomic():
            user, _ = user_get_or_create(email=email, password=PASSWORD, name=f"Soak Expert {n}")
            if not hasattr(user, "expert_profile"):
                services.expert_profile_upsert(
                    user=user, display_name=f"Soak Expert {n}", languages=["en"], capacity=3
                )
            if not Expert.objects.filter(brand=brand, user=user).exists():
                expert = services.expert_enrol(
                    brand=brand, user=user, status="approved", actor=owner
                )
                for product in products:
                    services.expert_skill_set(
                        expert=expert, product=product, level=4, verified=True, actor=owner
                    )
    return emails


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def login(site: Site, session: requests.Session, email: str, stop: threading.Event) -> bool:
    while not stop.is_set():
        response = site.call(
            session,
            "POST",
            "/_allauth/app/v1/auth/login",
            "login",
            json={"email": email, "password": PASSWORD},
        )
        if response is not None and needs_code(response.status_code, _json(response)):
            # An owner: the password was right, allauth now wants the authenticator code.
            response = site.call(
                session,
                "POST",
                MFA_AUTHENTICATE,
                "login",
                json={"code": demo_code()},
                headers={"X-Session-Token": response.json()["meta"]["session_token"]},
            )
        if response is not None and response.status_code == 200:
            session.headers["X-Session-Token"] = response.json()["meta"]["session_token"]
            return True
        stop.wait(2)
    return False


def ask_once(
    site: Site, session: requests.Session, products: list[tuple[int, str]], n: int
) -> None:
    product_id, name = random.choice(products)  # noqa: S311 - load, not secrets
    body = random.choice(BODIES).format(p=name) + f" (soak {n})"  # noqa: S311
    response = site.call(
        session,
        "POST",
        "/api/v1/brands/acme/questions",
        "ask",
        json={
            "body": body,
            "product_id": product_id,
            "preference": "expert",
            "contact_email": f"soak{n}@example.com",
        },
    )
    with site.counters.lock:
        if response is not None and response.status_code == 201:
            site.counters.asked.append(int(response.json()["id"]))
        else:
            site.counters.ask_failed += 1


def customer(
    site: Site, products: list[tuple[int, str]], rate: float, stop: threading.Event
) -> None:
    session = requests.Session()
    sequence = itertools.count(1)
    next_at = time.monotonic()
    while not stop.is_set():
        ask_once(site, session, products, next(sequence))
        next_at += 1 / rate
        stop.wait(max(0.0, next_at - time.monotonic()))


def burst(site: Site, products: list[tuple[int, str]], count: int) -> dict[str, Any]:
    """Ask ``count`` questions at once from 8 clients; time until every one of them has been
    triaged and routed (left ``new``: offered, or waiting for a free expert)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections

    from routing.models import Question

    local = threading.local()

    def ask(n: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        ask_once(site, local.session, products, 100000 + n)

    def asked() -> list[int]:
        with site.counters.lock:
            return list(site.counters.asked)

    def routed(ids: list[int], within: float) -> bool:
        close_old_connections()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not Question.objects.filter(pk__in=ids, status=Question.Status.NEW).exists():
                return True
            time.sleep(0.1)
        return False

    # One question first, so the figure is not the worker loading its text models.
    ask(-1)
    routed(asked(), within=120)
    before = len(asked())

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(ask, range(count)))
    posted = time.monotonic()
    ids = asked()[before:]
    done = routed(ids, within=600)
    finished = time.monotonic()
    return {
        "questions": len(ids),
        "asks_per_second": round(len(ids) / (posted - started), 1),
        "routed_per_second": round(len(ids) / (finished - started), 1),
        "seconds": round(finished - started, 1),
        "all_routed": done,
    }


def expert(site: Site, email: str, hold: float, stop: threading.Event) -> None:
    """Heartbeat, accept every offer, resolve each assignment after ``hold`` seconds; polls
    every 2 s like a console would (the latency figures come from the database)."""
    session = requests.Session()
    if not login(site, session, email, stop):
        return
    site.call(session, "POST", "/api/v1/expert/presence", "presence", json={"status": "online"})
    accepted_at: dict[int, float] = {}
    last_beat = time.monotonic()
    while not stop.wait(2):
        if time.monotonic() - last_beat > 10:
            beat = site.call(session, "POST", "/api/v1/expert/presence/heartbeat", "heartbeat")
            if beat is not None and beat.ok and beat.json().get("status") != "online":
                online = {"status": "online"}
                site.call(session, "POST", "/api/v1/expert/presence", "presence", json=online)
            last_beat = time.monotonic()
        offers = site.call(session, "GET", "/api/v1/expert/offers", "offers")
        for offer in offers.json() if offers is not None and offers.ok else []:
            accept = site.call(session, "POST", f"/api/v1/offers/{offer['id']}/accept", "accept")
            if accept is not None and accept.ok:
                with site.counters.lock:
                    site.counters.accepted += 1
        mine = site.call(session, "GET", "/api/v1/expert/assignments", "assignments")
        for assignment in mine.json() if mine is not None and mine.ok else []:
            question_id = assignment["question_id"]
            first_seen = accepted_at.setdefault(question_id, time.monotonic())
            if time.monotonic() - first_seen >= hold:
                path = f"/api/v1/questions/{question_id}/resolve"
                done = site.call(session, "POST", path, "resolve")
                if done is not None and done.ok:
                    accepted_at.pop(question_id, None)
                    with site.counters.lock:
                        site.counters.resolved += 1
