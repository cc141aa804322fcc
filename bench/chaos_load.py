"""The people of a chaos run, as HTTP clients of the public API.

- customers ask questions (``preference: expert``, so every one should reach a person) and
  write one follow-up once an expert has joined;
- experts sign in with allauth's app session token, go online, heartbeat, accept most
  offers (decline a few, let a few expire), chat a little, resolve, and now and then ask
  for a payout with an ``Idempotency-Key`` they repeat after a lost answer;
- the brand owner runs a payout batch now and then and looks at the live queue.

Every request goes to the next of the web processes in turn, and every answer is counted
(:class:`Tally`). Nothing here touches the database: only what the API says.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from second_factor import MFA_AUTHENTICATE, demo_code, needs_code

LOGIN = "/_allauth/app/v1/auth/login"
API = "/api/v1"
TIMEOUT = 15.0  # seconds; an answer slower than this counts as a timeout
PASSWORD = "gigcx-demo-2026"  # noqa: S105 - the demo password seed_demo prints


def endpoint_of(method: str, path: str) -> str:
    template = re.sub(r"/\d+", "/{id}", path.split("?", 1)[0])
    return f"{method} {template}"


@dataclass
class Tally:
    """Every HTTP outcome, by status class and endpoint."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)  # "500 POST /api/v1/..."
    connection_errors: Counter[str] = field(default_factory=Counter)
    timeouts: Counter[str] = field(default_factory=Counter)
    # What the API acknowledged (201 with an id) and what experts were told they won.
    asked: dict[str, int] = field(default_factory=dict)  # tag -> question id
    ask_unanswered: int = 0  # asks with no answer (connection error, timeout, 5xx)
    accepts_won: dict[int, list[str]] = field(default_factory=dict)  # question id -> experts
    resolved_ok: set[int] = field(default_factory=set)
    payouts_requested: int = 0
    batches_run: int = 0

    def record(self, endpoint: str, status: int | None, error: str = "") -> None:
        with self.lock:
            if status is not None:
                self.statuses[status] += 1
                if status >= 500:
                    self.server_errors[f"{status} {endpoint}"] += 1
            elif error == "timeout":
                self.timeouts[endpoint] += 1
            else:
                self.connection_errors[endpoint] += 1

    @property
    def total(self) -> int:
        return (
            sum(self.statuses.values())
            + sum(self.connection_errors.values())
            + sum(self.timeouts.values())
        )


class Client:
    """One person's HTTP client: round-robin over the web processes, counted."""

    _turn = itertools.count()

    def __init__(self, bases: list[str], tally: Tally) -> None:
        self.bases = bases
        self.tally = tally
        self.session = requests.Session()
        self.token = ""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int | None, Any]:
        base = self.bases[next(self._turn) % len(self.bases)]
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            all_headers["X-Session-Token"] = self.token
        endpoint = endpoint_of(method, path)
        try:
            response = self.session.request(
                method, base + path, json=body, headers=all_headers, timeout=TIMEOUT
            )
        except requests.Timeout:
            self.tally.record(endpoint, None, "timeout")
            return None, None
        except requests.RequestException:
            self.tally.record(endpoint, None, "connection")
            # A connection the server cut is no good for the next request either.
            self.session.close()
            self.session = requests.Session()
            return None, None
        self.tally.record(endpoint, response.status_code)
        try:
            data = response.json()
        except ValueError:
            data = None
        return response.status_code, data

    def login(self, email: str, stop: threading.Event) -> bool:
        while not stop.is_set():
            status, data = self.call("POST", LOGIN, {"email": email, "password": PASSWORD})
            if needs_code(status, data):
                # An owner: the password was right, allauth now wants the authenticator code.
                self.token = data["meta"]["session_token"]
                status, data = self.call("POST", MFA_AUTHENTICATE, {"code": demo_code()})
            if status == 200 and data:
                self.token = data["meta"]["session_token"]
                return True
            stop.wait(1.0)
        return False


@dataclass
class Plan:
    """What the people do, and when to stop."""

    bases: list[str]
    brand: str
    products: list[tuple[int, str]]
    customers: list[str]
    experts: list[str]
    owner: str
    questions_per_second: float
    seed: int
    tally: Tally = field(default_factory=Tally)
    stop_asking: threading.Event = field(default_factory=threading.Event)
    stop_all: threading.Event = field(default_factory=threading.Event)
    # Set on every acknowledged question: worker faults aim at the moment work is running.
    question_asked: threading.Event = field(default_factory=threading.Event)
    number: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)


TOPICS = [
    "does the {p} run true to size, I am between two sizes",
    "how long should the {p} last with weekly use on rocky trails",
    "can I repair a small tear on my {p} myself or do I send it in",
    "is the {p} fine for a week of rain in Scotland",
    "what is the difference between the {p} and last year's model",
    "my {p} squeaks after two weeks, is that normal",
]


def customer(plan: Plan, email: str, index: int) -> None:
    rng = random.Random(plan.seed * 1000 + index)  # noqa: S311 - load shape, not security
    client = Client(plan.bases, plan.tally)
    if not client.login(email, plan.stop_all):
        return
    rate = plan.questions_per_second / len(plan.customers)
    # A Poisson schedule of its own, kept however long the follow-up of the last one took.
    next_at = time.monotonic() + rng.expovariate(rate)
    while not plan.stop_asking.wait(max(0.0, next_at - time.monotonic())):
        next_at += rng.expovariate(rate)
        number = plan.number()
        tag = f"cq-{plan.seed}-{number}"
        product_id, product = rng.choice(plan.products)
        body = f"Hello, {rng.choice(TOPICS).format(p=product)}? Thanks! [{tag}]"
        status, data = client.call(
            "POST",
            f"{API}/brands/{plan.brand}/questions",
            {"body": body, "product_id": product_id, "preference": "expert"},
        )
        if status == 201 and data:
            with plan.tally.lock:
                plan.tally.asked[tag] = data["id"]
            plan.question_asked.set()
            _follow_up(plan, client, data["id"], rng)
        elif status is None or status >= 500:
            with plan.tally.lock:
                plan.tally.ask_unanswered += 1


def _follow_up(plan: Plan, client: Client, question_id: int, rng: random.Random) -> None:
    """Look at the question for a few seconds; say one more thing once an expert joined."""
    deadline = time.monotonic() + rng.uniform(3, 12)
    while time.monotonic() < deadline and not plan.stop_all.is_set():
        status, data = client.call("GET", f"{API}/questions/{question_id}")
        if status == 200 and data and data.get("status") == "assigned":
            client.call(
                "POST",
                f"{API}/questions/{question_id}/messages",
                {"body": "Thanks for picking this up, it is the left shoe mostly."},
            )
            return
        plan.stop_all.wait(1.5)


def expert(plan: Plan, email: str, index: int) -> None:
    rng = random.Random(plan.seed * 1000 + 500 + index)  # noqa: S311
    client = Client(plan.bases, plan.tally)
    if not client.login(email, plan.stop_all):
        return
    while not plan.stop_all.is_set():
        status, _ = client.call(
            "PUT",
            f"{API}/expert/payout-destination",
            {"provider": "stripe", "stripe_account": f"acct_chaos{index:06d}"},
        )
        if status == 200:
            break
        plan.stop_all.wait(1.0)
    busy: dict[int, float] = {}  # question id -> when to resolve it
    seen_offers: set[int] = set()
    last_heartbeat = last_sync = 0.0
    next_payout = time.monotonic() + rng.uniform(20, 40)
    payout_key = ""
    online = False
    while not plan.stop_all.is_set():
        now = time.monotonic()
        if not online or now - last_heartbeat > 10:
            online = _stay_online(client, online)
            last_heartbeat = now
        status, offers = client.call("GET", f"{API}/expert/offers")
        for offer in offers if status == 200 and isinstance(offers, list) else []:
            if offer["id"] in seen_offers:
                continue
            seen_offers.add(offer["id"])
            choice = rng.random()
            if choice < 0.04:
                client.call("POST", f"{API}/offers/{offer['id']}/decline")
            elif choice < 0.08:
                pass  # look away: the offer expires and the sweeper moves it on
            else:
                _accept(plan, client, offer, email, busy, rng)
        if now - last_sync > 5:
            # Accepts whose answer got lost (connection cut) still made us the expert.
            status, mine = client.call("GET", f"{API}/expert/assignments")
            for assignment in mine if status == 200 and isinstance(mine, list) else []:
                busy.setdefault(assignment["question_id"], now + rng.uniform(1, 3))
            last_sync = now
        for question_id, due in list(busy.items()):
            if due > now:
                continue
            status, _ = client.call("POST", f"{API}/questions/{question_id}/resolve")
            if status == 200:
                busy.pop(question_id)
                with plan.tally.lock:
                    plan.tally.resolved_ok.add(question_id)
            elif status is not None and 400 <= status < 500:
                busy.pop(question_id)  # not ours any more; the sync above would bring it back
        if now > next_payout:
            # The same key until the API answers, as a phone retrying a lost answer would.
            payout_key = payout_key or f"chaos-{uuid.uuid4()}"
            status, _ = client.call(
                "POST",
                f"{API}/expert/payouts",
                {"brand": plan.brand},
                headers={"Idempotency-Key": payout_key},
            )
            if status is not None and status < 500:
                payout_key = ""
                next_payout = now + rng.uniform(20, 40)
                if status in (200, 201):
                    with plan.tally.lock:
                        plan.tally.payouts_requested += 1
        plan.stop_all.wait(rng.uniform(0.5, 1.0))


def _stay_online(client: Client, online: bool) -> bool:
    """Heartbeat; go online again when the server set us away (missed offers, stale)."""
    if online:
        status, data = client.call("POST", f"{API}/expert/presence/heartbeat")
        if status == 200 and data and data.get("status") == "online":
            return True
        if status != 200:
            return online
    status, data = client.call("POST", f"{API}/expert/presence", {"status": "online"})
    return status == 200


def _accept(
    plan: Plan,
    client: Client,
    offer: dict[str, Any],
    email: str,
    busy: dict[int, float],
    rng: random.Random,
) -> None:
    status, _ = client.call("POST", f"{API}/offers/{offer['id']}/accept")
    if status != 200:
        return  # 409: taken or expired; no answer: the assignments sync finds out
    question_id = offer["question_id"]
    with plan.tally.lock:
        plan.tally.accepts_won.setdefault(question_id, []).append(email)
    busy[question_id] = time.monotonic() + rng.uniform(2, 6)
    client.call(
        "POST",
        f"{API}/questions/{question_id}/messages",
        {"body": "Hi, I own these myself. Let me check that for you."},
    )


def owner(plan: Plan) -> None:
    """Staff: the live queue now and then, a payout batch every half minute or so."""
    rng = random.Random(plan.seed * 1000 + 999)  # noqa: S311
    client = Client(plan.bases, plan.tally)
    if not client.login(plan.owner, plan.stop_all):
        return
    next_batch = time.monotonic() + rng.uniform(25, 40)
    while not plan.stop_all.wait(rng.uniform(8, 15)):
        client.call("GET", f"{API}/brands/{plan.brand}/questions")
        if time.monotonic() > next_batch:
            status, _ = client.call("POST", f"{API}/brands/{plan.brand}/payout-batches")
            if status == 201:
                with plan.tally.lock:
                    plan.tally.batches_run += 1
            next_batch = time.monotonic() + rng.uniform(25, 40)


def start_people(plan: Plan) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=expert, args=(plan, email, i), name=f"expert-{i}", daemon=True)
        for i, email in enumerate(plan.experts)
    ]
    threads += [
        threading.Thread(target=customer, args=(plan, email, i), name=f"customer-{i}", daemon=True)
        for i, email in enumerate(plan.customers)
    ]
    threads.append(threading.Thread(target=owner, args=(plan,), name="owner", daemon=True))
    for thread in threads:
        thread.start()
    return threads
