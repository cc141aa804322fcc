"""Chaos run: real processes, real faults, then count what was lost. Not part of the tests.

    make chaos                   # 10 minutes of faults (CHAOS_MINUTES=10), then the drain
    make chaos CHAOS_MINUTES=2   # the CI-sized run (.ci/run)

What it starts (bench/chaos_stack.py), all on loopback and all its own:

- a fresh PostgreSQL database (dropped and created, migrated, ``seed_demo`` plus a few more
  experts and customers made through the services);
- its own ``redis-server`` on a free port, with AOF (a restart keeps queued work) and
  ``maxmemory-policy noeviction``;
- two web processes (Daphne, DEBUG off), two Celery workers (``-Q routing,payments,default
  -c 2``) and beat;
- a fake Stripe (tests/payments/fake_stripe.py) that records every transfer it makes.

What happens (bench/chaos_load.py): customers ask questions through the public API, in turn
on the two web processes; experts signed in with session tokens heartbeat, accept offers,
chat, resolve, and ask for payouts; the owner runs payout batches. Earnings are booked at a
rate card with no clearance period, and the driver asks a worker to clear them every 15 s
(beat does it every 5 min), so payouts happen in a short run. Meanwhile, every 15-30 s
(``--fault-every``), one fault in turn from a shuffled deck, printed as it happens:
SIGKILL a worker with its pool, aimed at 0-250 ms after a question was acknowledged so that
it dies mid-task (started again 3-8 s later), SIGKILL a web process (again
after 2-5 s), SIGKILL redis-server (again after 3 s, from its AOF), SIGKILL beat (again
after 3-8 s).

``--faults worker,web,redis,beat,postgres`` adds a fifth kind: every PostgreSQL connection
of the run's database is cut (``pg_terminate_backend``; the shared server is never stopped).

A process that exits by itself (not killed by the run) is started again after 3 s, as a
supervisor would, and listed under "exited by themselves": not a failure of the run, but worth
reading in its log.

Then the faults stop, everything is started again, customers stop asking, and the system
drains (``--drain`` seconds, 90 by default; it ends early once nothing is in flight).

How to read the table (also written as JSON, ``--json``):

questions asked
    201 answers to ``POST /api/v1/brands/acme/questions``. Every question carries a tag in
    its body, so the database rows can be matched to what the API acknowledged.
resolved / escalated / in progress
    Status after the drain. ``escalated`` (the brand's staff queue) is an owner, not a loss.
    ``in progress`` is a question with an accepted assignment, or with an offer whose
    deadline has not passed.
lost
    After the drain, a question the API acknowledged that is not in the database; or a
    question (acknowledged or not: a lost answer does not mean a lost question) that is
    still ``new`` (triage never ran), ``waiting`` (nobody routed it although experts had
    free places throughout the drain), ``offered`` with no offer inside its deadline plus
    one sweep interval and a margin (``STUCK_OFFER_GRACE``), or ``assigned`` with no
    accepted assignment.
double-offered
    A question of the (single-mode) brand with two assignments live at the same moment: an
    offer is live from ``offered_at`` until the earliest of its deadline, its answer and its
    end; an accepted assignment until it ends. Also counted: a question two experts were
    told (200) they had accepted.
HTTP 500 / other 5xx / connection errors / timeouts
    Every answer of every simulated person. 500 is a bug (an unhandled exception); 503 is
    the honest answer while Redis or PostgreSQL is down; connection errors are expected
    while a web process is dead; a timeout is an answer slower than 15 s.
payouts paid twice
    Payouts for which the fake Stripe created more than one transfer, plus experts whose
    transfers add up to more than they ever earned.
earnings missing
    Resolved questions with an expert but no earning booked (the outbox lost the event).
question-to-offer latency
    From the question's ``created_at`` to its first assignment's ``offered_at`` (database
    clock), over questions that got an offer; it includes triage and routing.

Exit status 1 when lost, double-offered, HTTP 500, payouts paid twice or earnings missing
is not zero; 2 when the stack could not be set up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import chaos_load
from chaos_stack import Service, Stack, kill_recorded_groups

from tests.payments.fake_stripe import FakeStripe, running_fake_stripe

BRAND = "acme"
OWNER = "sam@acme.example"
DEMO_EXPERTS = ["ada@example.com", "grace@example.com", "linus@example.com"]
DEMO_CUSTOMERS = ["carol@example.com", "dave@example.com"]
EXTRA_EXPERTS = 5
EXTRA_CUSTOMERS = 4
CLEAR_EVERY = 15.0  # seconds between the driver's payments.clear_earnings
SWEEP_INTERVAL = 5.0  # routing.sweep in CELERY_BEAT_SCHEDULE
STUCK_OFFER_GRACE = timedelta(seconds=SWEEP_INTERVAL + 10)
DEFAULT_WORKDIR = ROOT / "test-artifacts" / "chaos"
FAULTS = ("worker", "web", "redis", "beat")
# Optional (--faults ...,postgres): cut every PostgreSQL connection of the run's database
# (pg_terminate_backend), as a failover or a restarted pooler would. The server is shared, so
# it is never stopped.
OPTIONAL_FAULTS = ("postgres",)
RESTART_AFTER = {"worker": (3, 8), "web": (2, 5), "redis": (3, 3), "beat": (3, 8)}
CRASH_RESTART_AFTER = 3.0  # a process that exits by itself is started again, as systemd would


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("CHAOS_MINUTES") or 10)
    )
    parser.add_argument("--drain", type=float, default=90.0, help="seconds, at most")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument(
        "--rate", type=float, default=0.5, help="questions per second, all customers together"
    )
    parser.add_argument(
        "--fault-every",
        default="15,30",
        help="seconds between faults, 'low,high' (uniformly random)",
    )
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"kinds to inject, from {', '.join(FAULTS + OPTIONAL_FAULTS)}",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CHAOS_DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/gigcx_chaos",
        help="dropped and created again: never point it at a database you want to keep",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--json", type=Path, default=None, help="default: WORKDIR/chaos.json")
    parser.add_argument(
        "--cleanup",
        action="store_true",
        help="only kill the processes a previous run left behind, then exit",
    )
    args = parser.parse_args(argv)
    args.fault_kinds = tuple(k.strip() for k in args.faults.split(",") if k.strip())
    unknown = set(args.fault_kinds) - set(FAULTS + OPTIONAL_FAULTS)
    if unknown or not args.fault_kinds:
        parser.error(f"--faults: use some of {', '.join(FAULTS + OPTIONAL_FAULTS)}")
    return args


# ------------------------------------------------------------------------------------------
# Setting up: database, demo data, the brand's knobs
# ------------------------------------------------------------------------------------------


def claim_database(database_url: str) -> Any:
    """Hold a session advisory lock on the database's name for the whole run: a second run
    on the same server and name (another checkout, a CI job) must not drop our database
    under us. Returns the connection that holds the lock; closing it releases it."""
    import psycopg

    parts = urlsplit(database_url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg.connect(maintenance, autocommit=True)
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtext(%s))", [f"gigcx-chaos:{parts.path}"]
    ).fetchone()
    if not row or not row[0]:
        conn.close()
        raise RuntimeError(
            f"another chaos run uses the database {parts.path.lstrip('/')!r} on this server; "
            "wait for it or set CHAOS_DATABASE_URL to another name"
        )
    return conn


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"chaos: refusing database name {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed_more_people(rng: random.Random) -> tuple[list[str], list[str]]:
    """More experts (all products) and customers, through the services like seed_demo."""
    from gigcx.accounts import user_get_or_create
    from gigcx.models import User
    from marketplace import services
    from marketplace.models import Brand, Product

    brand = Brand.objects.get(slug=BRAND)
    owner = User.objects.get(email=OWNER)
    products = list(Product.objects.filter(brand=brand, is_archived=False))
    experts, customers = [], []
    for i in range(1, EXTRA_EXPERTS + 1):
        email = f"expert{i}@chaos.example"
        user, _ = user_get_or_create(
            email=email, password=chaos_load.PASSWORD, name=f"Chaos Expert {i}"
        )
        services.expert_profile_upsert(
            user=user, display_name=f"Chaos Expert {i}", languages=["en"], capacity=2
        )
        expert = services.expert_enrol(brand=brand, user=user, status="approved", actor=owner)
        for product in products:
            level = rng.randint(2, 5)
            services.expert_skill_set(
                expert=expert, product=product, level=level, verified=True, actor=owner
            )
        experts.append(email)
    for i in range(1, EXTRA_CUSTOMERS + 1):
        email = f"customer{i}@chaos.example"
        user_get_or_create(email=email, password=chaos_load.PASSWORD, name=f"Chaos Customer {i}")
        customers.append(email)
    return experts, customers


def configure_brand(bases: list[str], tally: chaos_load.Tally) -> None:
    """As the owner, through the API: single-mode routing with 20 s offers and no hourly
    cap that a run this dense would hit; a rate card with no clearance period."""
    client = chaos_load.Client(bases, tally)
    if not client.login(OWNER, threading.Event()):
        raise RuntimeError("the owner could not sign in")
    api = chaos_load.API
    status, body = client.call(
        "PATCH",
        f"{api}/brands/{BRAND}/routing",
        {"mode": "single", "offer_timeout_seconds": 20, "fairness_cap_per_hour": 500},
    )
    if status != 200:
        raise RuntimeError(f"routing settings: {status} {body}")
    # The brand's intake quotas bound a real flood; this load is steady and wanted.
    status, body = client.call(
        "PATCH",
        f"{api}/brands/{BRAND}",
        {"anonymous_questions_per_hour": 100_000, "questions_per_customer_per_day": 10_000},
    )
    if status != 200:
        raise RuntimeError(f"intake quotas: {status} {body}")
    status, body = client.call(
        "PUT",
        f"{api}/brands/{BRAND}/rate-card",
        {"currency": "EUR", "default_amount": 400, "platform_fee_bps": 1500, "clearance_days": 0},
    )
    if status != 201:
        raise RuntimeError(f"rate card: {status} {body}")


def products() -> list[tuple[int, str]]:
    from marketplace.models import Product

    return list(
        Product.objects.filter(brand__slug=BRAND, is_archived=False).values_list("pk", "name")
    )


# ------------------------------------------------------------------------------------------
# Faults
# ------------------------------------------------------------------------------------------


class Faults:
    """One fault at a time from a shuffled deck of the four kinds; restarts on a timer.

    A worker is killed when it is likely to be busy: 0-250 ms after the API acknowledged a
    question, while its triage and routing tasks run (a worker idles most of the time at
    this load, and killing an idle one proves little).
    """

    def __init__(
        self,
        stack: Stack,
        rng: random.Random,
        every: tuple[float, float],
        question_asked: threading.Event,
        kinds: tuple[str, ...] = FAULTS,
        database_url: str = "",
    ) -> None:
        self.stack = stack
        self.kinds = kinds
        self.database_url = database_url
        self.question_asked = question_asked
        self.rng = rng
        self.every = every
        self.deck: list[str] = []
        self.pending: list[tuple[float, Service]] = []
        self.log: list[dict[str, Any]] = []
        self.crashes: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.next_at = self.started + rng.uniform(10, 20)

    def supervise(self) -> None:
        """Start again what is due, and, like a process supervisor (systemd's
        ``Restart=always``), what exited by itself; those exits are counted, not hidden."""
        now = time.monotonic()
        for due, service in list(self.pending):
            if due <= now:
                self.pending.remove((due, service))
                service.start()
                say(f"restart: {service.name} started again")
        for service in self.stack.services:
            if service.running or any(service is p for _, p in self.pending):
                continue
            code = service.process.returncode if service.process else None
            self.crashes.append(
                {"t": round(now - self.started, 1), "service": service.name, "code": code}
            )
            self.pending.append((now + CRASH_RESTART_AFTER, service))
            say(
                f"CRASH: {service.name} exited by itself (code {code}); "
                f"starting it again in {CRASH_RESTART_AFTER:.0f} s"
            )

    def tick(self) -> None:
        self.supervise()
        now = time.monotonic()
        if now < self.next_at:
            return
        if not self.deck:
            self.deck = list(self.kinds)
            self.rng.shuffle(self.deck)
        kind = self.deck.pop()
        if kind == "postgres":
            cut = terminate_connections(self.database_url)
            self.log.append({"t": round(now - self.started, 1), "kind": kind, "target": cut})
            say(f"FAULT: pg_terminate_backend on {cut} connections of the run's database")
            self.next_at = now + self.rng.uniform(*self.every)
            return
        target = self._target(kind)
        if target is not None:
            if kind == "worker":
                self.question_asked.clear()
                self.question_asked.wait(timeout=10)
                time.sleep(self.rng.uniform(0, 0.25))
                now = time.monotonic()
            target.kill()
            low, high = RESTART_AFTER[kind]
            delay = self.rng.uniform(low, high)
            self.pending.append((now + delay, target))
            self.log.append(
                {"t": round(now - self.started, 1), "kind": kind, "target": target.name}
            )
            say(f"FAULT: SIGKILL {target.name}; starting it again in {delay:.0f} s")
        self.next_at = now + self.rng.uniform(*self.every)

    def _target(self, kind: str) -> Service | None:
        pool = {
            "worker": self.stack.workers,
            "web": self.stack.webs,
            "redis": [self.stack.redis],
            "beat": [self.stack.beat],
        }[kind]
        alive = [s for s in pool if s.running and all(s is not p for _, p in self.pending)]
        return self.rng.choice(alive) if alive else None

    def finish(self) -> None:
        self.supervise()
        for _, service in self.pending:
            service.start()
            say(f"restart: {service.name} started again")
        self.pending.clear()


def terminate_connections(database_url: str) -> int:
    """Cut every connection to the run's database but this one (the driver's own too)."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)


def clear_earnings_now() -> None:
    """What beat does every 5 minutes, every CLEAR_EVERY seconds: through Redis to a worker."""
    from gigcx.celery import app

    try:
        app.send_task("payments.clear_earnings", retry=False)
    except Exception as exc:  # Redis may be down right now; the next round will do
        say(f"operator: could not enqueue payments.clear_earnings ({type(exc).__name__})")


def operator(stop: threading.Event) -> None:
    while not stop.wait(CLEAR_EVERY):
        clear_earnings_now()


# ------------------------------------------------------------------------------------------
# Counting
# ------------------------------------------------------------------------------------------


def fresh_connection() -> None:
    """The driver's own connection may have been cut by a fault: start a new one."""
    from django.db import connections

    connections.close_all()


def in_flight() -> dict[str, int]:
    from gigcx.models import DomainEvent
    from payments.models import Payout
    from routing.models import Question

    fresh_connection()
    busy = [s for s in Question.OPEN_STATUSES if s != Question.Status.ESCALATED]
    return {
        "questions": Question.objects.filter(status__in=busy).count(),
        "payouts": Payout.objects.filter(status__in=Payout.OPEN_STATUSES).count(),
        "events": DomainEvent.objects.filter(delivered_at__isnull=True).count(),
    }


def _overlaps(windows: list[tuple[datetime, datetime]]) -> bool:
    windows = sorted(windows)
    return any(later[0] < earlier[1] for earlier, later in zip(windows, windows[1:], strict=False))


def count(plan: chaos_load.Plan, fake: FakeStripe) -> dict[str, Any]:
    from django.utils import timezone

    from payments.models import Earning, Payout, PayoutDestination
    from routing.models import Assignment, Question, RoutingSettings

    fresh_connection()
    now = timezone.now()
    tally = plan.tally
    questions = {q.pk: q for q in Question.objects.filter(brand__slug=BRAND, body__contains="[cq-")}
    assignments: dict[int, list[Assignment]] = {}
    for a in Assignment.objects.filter(question_id__in=list(questions)).order_by("offered_at"):
        assignments.setdefault(a.question_id, []).append(a)

    lost: dict[str, list[int]] = {
        "missing": [],
        "new": [],
        "waiting": [],
        "offer_expired": [],
        "assigned_without_expert": [],
    }
    with tally.lock:
        acknowledged = dict(tally.asked)
    lost["missing"] = sorted(qid for qid in acknowledged.values() if qid not in questions)
    outcome: Counter[str] = Counter()
    for q in questions.values():
        mine = assignments.get(q.pk, [])
        accepted = [a for a in mine if a.status == Assignment.Status.ACCEPTED]
        live = [
            a
            for a in mine
            if a.status == Assignment.Status.OFFERED and a.expires_at + STUCK_OFFER_GRACE > now
        ]
        if q.status == Question.Status.RESOLVED:
            outcome["resolved"] += 1
        elif q.status == Question.Status.ESCALATED:
            outcome["escalated"] += 1
        elif q.status == Question.Status.AI_ANSWERED:
            outcome["answered automatically"] += 1
        elif q.status == Question.Status.NEW:
            lost["new"].append(q.pk)
        elif q.status == Question.Status.WAITING:
            lost["waiting"].append(q.pk)
        elif q.status == Question.Status.OFFERED and not live:
            lost["offer_expired"].append(q.pk)
        elif q.status == Question.Status.ASSIGNED and not accepted:
            lost["assigned_without_expert"].append(q.pk)
        else:
            outcome["in progress"] += 1

    # Double offers: live windows of one question's assignments must never overlap.
    held = {
        Assignment.Status.ACCEPTED,
        Assignment.Status.RESOLVED,
        Assignment.Status.RELEASED,
        Assignment.Status.ESCALATED,
    }
    double_offered, double_accepted = set(), set()
    for qid, mine in assignments.items():
        windows, holds = [], []
        for a in mine:
            if a.status in held and a.responded_at is not None:
                end = a.ended_at or now
                holds.append((a.responded_at, end))
            else:
                end = min(t for t in (a.expires_at, a.responded_at, a.ended_at) if t is not None)
            windows.append((a.offered_at, end))
        if _overlaps(windows):
            double_offered.add(qid)
        if _overlaps(holds):
            double_accepted.add(qid)
    with tally.lock:
        told_twice = {qid for qid, who in tally.accepts_won.items() if len(who) > 1}
    mode_single = all(
        s.mode == RoutingSettings.Mode.SINGLE
        for s in RoutingSettings.objects.filter(brand__slug=BRAND)
    )

    # Money: one transfer per payout; nobody receives more than they earned.
    per_payout = Counter(t["metadata"].get("payout_id") for t in fake.transfers)
    paid_twice = sorted(int(pid) for pid, n in per_payout.items() if pid and n > 1)
    account_owner = dict(
        PayoutDestination.objects.exclude(stripe_account="").values_list(
            "stripe_account", "user_id"
        )
    )
    received: Counter[int] = Counter()
    for transfer in fake.transfers:
        received[account_owner.get(transfer["destination"], 0)] += transfer["amount"]
    earned: Counter[int] = Counter()
    for user_id, net, bonus in Earning.objects.exclude(status=Earning.Status.REVERSED).values_list(
        "expert__user_id", "net", "bonus"
    ):
        earned[user_id] += net + bonus
    overpaid = sorted(uid for uid, amount in received.items() if amount > earned[uid])
    payouts = Counter(Payout.objects.values_list("status", flat=True))
    resolved_with_expert = Assignment.objects.filter(
        question_id__in=list(questions), status=Assignment.Status.RESOLVED
    ).values_list("question_id", flat=True)
    booked = set(Earning.objects.values_list("question_id", flat=True))
    earnings_missing = sorted(set(resolved_with_expert) - booked)

    latencies = sorted(
        (mine[0].offered_at - questions[qid].created_at).total_seconds() * 1000
        for qid, mine in assignments.items()
        if mine
    )

    def percentile(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    lost_ids = sorted({qid for ids in lost.values() for qid in ids})
    with tally.lock:
        statuses = dict(tally.statuses)
        server_errors = dict(tally.server_errors)
        connection_errors = dict(tally.connection_errors)
        timeouts = dict(tally.timeouts)
    http_500 = sum(n for key, n in server_errors.items() if key.startswith("500 "))
    return {
        "questions_asked": len(acknowledged),
        "asks_unanswered": tally.ask_unanswered,
        "questions_in_database": len(questions),
        "resolved": outcome["resolved"],
        "escalated": outcome["escalated"],
        "answered_automatically": outcome["answered automatically"],
        "in_progress": outcome["in progress"],
        "lost": len(lost_ids),
        "lost_by_reason": {k: v for k, v in lost.items() if v},
        "double_offered": len(double_offered | double_accepted | told_twice),
        "double_offered_detail": {
            "overlapping_offers": sorted(double_offered),
            "overlapping_accepts": sorted(double_accepted),
            "two_experts_told_accepted": sorted(told_twice),
            "brand_mode_single": mode_single,
        },
        "http": {
            "requests": tally.total,
            "by_status": {str(k): v for k, v in sorted(statuses.items())},
            "500": http_500,
            "other_5xx": sum(server_errors.values()) - http_500,
            "server_errors_by_endpoint": dict(sorted(server_errors.items())),
            "connection_errors": sum(connection_errors.values()),
            "timeouts": sum(timeouts.values()),
            "timeouts_by_endpoint": timeouts,
        },
        "payouts": {
            "by_status": dict(payouts),
            "transfers": len(fake.transfers),
            "stripe_requests": len(fake.requests),
            "expert_requests_accepted": tally.payouts_requested,
            "batches_run": tally.batches_run,
        },
        "payouts_paid_twice": len(paid_twice) + len(overpaid),
        "payouts_paid_twice_detail": {"payout_ids": paid_twice, "overpaid_user_ids": overpaid},
        "earnings_missing": len(earnings_missing),
        "earnings_missing_question_ids": earnings_missing,
        "offer_latency_ms": {
            "count": len(latencies),
            "p50": percentile(0.50),
            "p99": percentile(0.99),
            "max": round(latencies[-1], 1) if latencies else None,
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
        },
    }


FAILING = ("lost", "double_offered", "http.500", "payouts_paid_twice", "earnings_missing")


def failures(result: dict[str, Any]) -> list[str]:
    def value(key: str) -> int:
        head, _, tail = key.partition(".")
        return int(result[head][tail] if tail else result[head])

    return [key for key in FAILING if value(key)]


def print_table(result: dict[str, Any]) -> None:
    http = result["http"]
    latency = result["offer_latency_ms"]
    payouts = result["payouts"]
    faults = Counter(f["kind"] for f in result["faults"])
    bad = set(failures(result))

    def row(label: str, value: Any, key: str = "") -> None:
        print(f"  {label:<38} {value!s:>12}{'   FAIL' if key in bad else ''}")

    print()
    print(
        f"GigCX chaos run: {result['minutes']:g} min of faults, {result['drain_seconds']:.0f} s "
        f"drain, seed {result['seed']}"
    )
    print(f"  faults: {sum(faults.values())} ({', '.join(f'{k} {v}' for k, v in faults.items())})")
    crashed = Counter(c["service"] for c in result["exited_by_themselves"])
    print(
        f"  exited by themselves (started again): {sum(crashed.values())}"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(crashed.items()))})" if crashed else "")
    )
    print()
    row("questions asked (201)", result["questions_asked"])
    row("asks without an answer (conn/5xx)", result["asks_unanswered"])
    row("questions in the database", result["questions_in_database"])
    row("resolved", result["resolved"])
    row("escalated to staff", result["escalated"])
    row("in progress (expert or live offer)", result["in_progress"])
    row("lost", result["lost"], "lost")
    for reason, ids in result["lost_by_reason"].items():
        row(f"  {reason}", len(ids))
    row("double-offered", result["double_offered"], "double_offered")
    row("HTTP requests", http["requests"])
    row("HTTP 500", http["500"], "http.500")
    row("other 5xx", http["other_5xx"])
    row("connection errors", http["connection_errors"])
    row("timeouts (> 15 s)", http["timeouts"])
    paid, all_payouts = payouts["by_status"].get("paid", 0), sum(payouts["by_status"].values())
    row("payouts paid / all", f"{paid} / {all_payouts}")
    row("payouts paid twice", result["payouts_paid_twice"], "payouts_paid_twice")
    row("earnings missing", result["earnings_missing"], "earnings_missing")
    row("question-to-offer p50 (ms)", latency["p50"])
    row("question-to-offer p99 (ms)", latency["p99"])
    print()
    if http["server_errors_by_endpoint"]:
        print("  5xx by endpoint:")
        for key, n in http["server_errors_by_endpoint"].items():
            print(f"    {n:>5}  {key}")
    print(f"  result: {'FAIL (' + ', '.join(sorted(bad)) + ')' if bad else 'PASS'}")


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    workdir: Path = args.workdir.resolve()
    if args.cleanup:
        say(f"cleanup: killed {kill_recorded_groups(workdir / 'process-groups')} process groups")
        return 0
    low, high = (float(x) for x in args.fault_every.split(","))
    rng = random.Random(args.seed)  # noqa: S311 - the shape of the chaos, not security
    signal.signal(signal.SIGTERM, _terminate)
    kill_recorded_groups(workdir / "process-groups")
    workdir.mkdir(parents=True, exist_ok=True)
    for old in (workdir / "logs").glob("*.log"):
        old.unlink()
    for old in (workdir / "redis").glob("**/*"):
        if old.is_file():
            old.unlink()

    with running_fake_stripe() as fake:
        stack = Stack(
            workdir=workdir,
            database_url=args.database_url,
            extra_env={
                "STRIPE_API_BASE": fake.base,
                "STRIPE_SECRET_KEY": "sk_test_chaos",
                # The run asks far more than one person would; throttling is not under test.
                "GIGCX_THROTTLE_ANON": "100000/min",
                "GIGCX_THROTTLE_USER": "100000/min",
                "GIGCX_THROTTLE_QUESTIONS": "100000/min",
            },
        )
        os.environ.update(stack.env)
        # The driver reads the database between faults and is not under test: a plain
        # connection it can drop and open again, not a pool that may hold cut ones.
        os.environ["DATABASE_POOL"] = "false"
        os.environ["DATABASE_CONN_MAX_AGE"] = "0"
        plan: chaos_load.Plan | None = None
        claim: Any = None  # the advisory lock on the database name, held for the whole run
        operator_stop = threading.Event()
        try:
            say(f"database {urlsplit(args.database_url).path.lstrip('/')}: drop, create, migrate")
            claim = claim_database(args.database_url)
            recreate_database(args.database_url)
            stack.start_redis()
            stack.manage("migrate", "--noinput", "-v", "0")
            stack.manage("seed_demo")
            import django

            django.setup()
            extra_experts, extra_customers = seed_more_people(rng)
            say(f"redis on port {stack.redis_port}, web on {stack.web_ports}; logs in {workdir}")
            stack.start_all()
            tally = chaos_load.Tally()
            configure_brand(stack.web_urls, tally)
            plan = chaos_load.Plan(
                bases=stack.web_urls,
                brand=BRAND,
                products=products(),
                customers=DEMO_CUSTOMERS + extra_customers,
                experts=DEMO_EXPERTS + extra_experts,
                owner=OWNER,
                questions_per_second=args.rate,
                seed=args.seed,
                tally=tally,
            )
        except Exception as exc:
            say(f"chaos: the stack could not be set up: {exc}")
            stack.stop_all()
            if claim is not None:
                claim.close()
            return 2
        try:
            return run(args, stack, plan, fake, rng, (low, high), operator_stop, workdir)
        finally:
            plan.stop_all.set()
            operator_stop.set()
            say("stopping every process of the run")
            stack.stop_all()
            claim.close()


def run(
    args: argparse.Namespace,
    stack: Stack,
    plan: chaos_load.Plan,
    fake: FakeStripe,
    rng: random.Random,
    every: tuple[float, float],
    operator_stop: threading.Event,
    workdir: Path,
) -> int:
    threads = chaos_load.start_people(plan)
    threading.Thread(target=operator, args=(operator_stop,), daemon=True).start()
    say(
        f"load: {len(plan.customers)} customers (~{args.rate:g} questions/s), "
        f"{len(plan.experts)} experts, the owner; faults every {every[0]:g}-{every[1]:g} s "
        f"for {args.minutes:g} min"
    )
    faults = Faults(stack, rng, every, plan.question_asked, args.fault_kinds, args.database_url)
    end = time.monotonic() + args.minutes * 60
    while time.monotonic() < end:
        faults.tick()
        time.sleep(0.2)
    faults.finish()
    plan.stop_asking.set()
    started = stack.ensure_running()
    say(
        f"faults stopped ({len(faults.log)} injected); everything runs"
        f"{' (started ' + ', '.join(started) + ')' if started else ''}; draining"
    )
    drain_started = time.monotonic()
    deadline = drain_started + args.drain
    last_print = 0.0
    while time.monotonic() < deadline:
        time.sleep(3)
        faults.supervise()
        try:
            state = in_flight()
        except Exception as exc:  # the database blinked; ask again in a moment
            say(f"drain: could not read the database ({type(exc).__name__}); again")
            continue
        if time.monotonic() - last_print > 15:
            say(f"drain: in flight {state}")
            last_print = time.monotonic()
        if time.monotonic() - drain_started > 10 and not any(state.values()):
            break
    drain_seconds = time.monotonic() - drain_started
    plan.stop_all.set()
    operator_stop.set()
    for thread in threads:
        thread.join(timeout=chaos_load.TIMEOUT + 5)
    result = {
        "minutes": args.minutes,
        "drain_seconds": round(drain_seconds, 1),
        "seed": args.seed,
        "questions_per_second": args.rate,
        "faults": faults.log,
        "exited_by_themselves": faults.crashes,
        "restarts": {s.name: s.starts - 1 for s in stack.services},
        **count(plan, fake),
    }
    bad = failures(result)
    result["passed"] = not bad
    result["failed_on"] = bad
    print_table(result)
    out = args.json or workdir / "chaos.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"  table as JSON: {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
