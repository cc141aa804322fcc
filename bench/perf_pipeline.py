"""The paths of ``make bench-perf`` and the probes they are measured against, in one run.

Called from bench/perf.py once Django is set up on the benchmark's PostgreSQL database. On a
pool of realistic shape (perf.build_pool) it runs, in order:

1. pgbench's TPC-B-like small transactions, 2 clients (or, without pgbench, an equivalent
   Python loop of the same five statements, said so in the output);
2. under the production ASGI server (gunicorn with 2 uvicorn workers, ``bench/perf_web.py``:
   the site plus a bare DRF insert), 8 clients: the bare DRF insert req/s, then question
   intake req/s through the real ask endpoint (``POST /api/v1/brands/<slug>/questions``);
   ``--servers`` measures others too (daphne, uvicorn), and the table takes the best;
3. a real Celery worker (the production command, queues and settings) on the same Redis:
   the no-op task rate (publish N as fast as one producer can, until all ran) and the
   publish → run round trip (one at a time, p50 / p99);
4. questions routed/s: N questions created through ``question_create`` as fast as one
   producer can, until every one has an offer stored (triage and routing by the worker);
5. question → offer stored at a steady 10 questions/s, p50 / p99;
6. earnings booked/s through ``payments.services.earnings_book_batch`` (what the resolve path's
   ``question.resolved`` subscriber calls), 2 processes, against step 1.

The embedded default (SQLite and the embedded broker) is measured by ``bench/soak.py
--burst`` in a process of its own (``embedded_burst``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from chaos_stack import Service, free_port, http_answers, log_says, redis_answers

CLIENTS = 8  # HTTP clients, for the probe and for intake alike
WEB_PROCESSES = 2  # uvicorn's and gunicorn's worker processes (one per core here)
# The servers bare insert and intake are measured under: the production one (README,
# "Deploying"); ``bench/perf.py --servers daphne,uvicorn,gunicorn`` compares them.
WEB_SERVERS = ["gunicorn"]
EARNING_PROCESSES = 2  # as pgbench -c 2 -j 2
BRAND = "acme"
PROBE_TABLE = "perfbench_insert"  # the bare DRF insert's rows (bench/perf_web.py)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * min(done, total) / max(1, total))
    end = "\n" if done >= total else ""
    print(f"\r  {label:<34} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end)
    sys.stdout.flush()


# -- the processes ----------------------------------------------------------------------


class Stack:
    """Redis (ours unless REDIS_URL names one), daphne and a Celery worker for the run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.groups = workdir / "process-groups"
        self.redis: Service | None = None
        self.web: Service | None = None
        self.worker: Service | None = None
        self.web_port = free_port()

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        }

    def start_redis(self) -> str:
        """Our own redis-server on a free port (no persistence); returns its URL."""
        port = free_port()
        (self.workdir / "redis").mkdir(exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir / "redis")]
        self.redis = Service(
            "redis", argv, env=dict(os.environ), logs=self.logs, groups_file=self.groups,
            ready=redis_answers(port),
        )  # fmt: skip
        self.redis.start()
        if not self.redis.wait_ready(20):
            raise RuntimeError(f"redis-server did not start; see {self.redis.log_path}")
        return f"redis://127.0.0.1:{port}/0"

    def start_web(self, server: str = "daphne") -> str:
        """The site (and the bare insert probe) under ``server``: daphne (one process),
        uvicorn with WEB_PROCESSES worker processes, or gunicorn with as many uvicorn
        workers."""
        self.web_port = free_port()
        bind = ["--bind", f"127.0.0.1:{self.web_port}"]
        if server == "uvicorn":
            argv = [sys.executable, "-m", "uvicorn", "perf_web:application", "--host"]
            argv += ["127.0.0.1", "--port", str(self.web_port), "--workers", str(WEB_PROCESSES)]
            argv += ["--no-access-log", "--lifespan", "off"]
            # Its default 5 s health check kills workers on a loaded machine, before ready.
            argv += ["--timeout-worker-healthcheck", "60"]
        elif server == "gunicorn":
            argv = [sys.executable, "-m", "gunicorn", "perf_web:application", *bind]
            argv += ["-k", "uvicorn_worker.UvicornWorker", "-w", str(WEB_PROCESSES)]
        else:
            daphne = str(Path(sys.executable).parent / "daphne")
            argv = [daphne, "-b", "127.0.0.1", "-p", str(self.web_port), "perf_web:application"]
        self.web = Service(
            f"web-{server}", argv, env=self.env(), logs=self.logs, groups_file=self.groups,
            ready=http_answers(f"http://127.0.0.1:{self.web_port}/healthz"),
        )  # fmt: skip
        self.web.start()
        if not self.web.wait_ready(120):
            raise RuntimeError(f"{server} did not start; see {self.web.log_path}")
        return f"http://127.0.0.1:{self.web_port}"

    def start_worker(self) -> None:
        """The production worker command (queues, prefork -c 2, the project's settings), with
        the no-op probe task loaded beside the project's tasks."""
        argv = [sys.executable, "-m", "celery", "-A", "gigcx", "worker"]
        argv += ["-Q", "routing,payments,default", "-c", "2", "-l", "INFO"]
        argv += ["--include", "perf_tasks", "-n", "perfbench@%h"]
        self.worker = Service(
            "worker", argv, env=self.env(), logs=self.logs, groups_file=self.groups
        )
        self.worker.ready = log_says(self.worker, b" ready.")
        self.worker.start()
        if not self.worker.wait_ready(120):
            raise RuntimeError(f"the Celery worker did not start; see {self.worker.log_path}")

    def stop(self, *names: str) -> None:
        for name in names or ("web", "worker", "redis"):
            service = getattr(self, name)
            if service is not None:
                with contextlib.suppress(Exception):
                    service.stop()
                setattr(self, name, None)


# -- probes -----------------------------------------------------------------------------


def pgbench_tps(seconds: float) -> dict[str, Any]:
    """pgbench's TPC-B-like transactions, 2 clients, on the benchmark's database (scale 1)."""
    from django.db import connection

    params = connection.settings_dict
    url = (
        f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return python_tpcb_tps(seconds) | {"tool": "python loop (pgbench is not installed)"}
    subprocess.run(  # noqa: S603 - pgbench with our own arguments
        [pgbench, "-i", "-s", "1", "-q", url], env=env, check=True, capture_output=True
    )
    out = subprocess.run(  # noqa: S603
        [pgbench, "-n", "-c", "2", "-j", "2", "-T", str(int(seconds)), url],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return {"tps": round(float(match.group(1)), 1), "tool": "pgbench -c 2 -j 2 (TPC-B-like)"}


def python_tpcb_tps(seconds: float) -> dict[str, Any]:
    """Without pgbench: its five statements (3 UPDATE, 1 SELECT, 1 INSERT) in one
    transaction, from 2 threads with a connection each, on tables of pgbench's shape."""
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    conninfo = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "dbname": params["NAME"],
        "password": params.get("PASSWORD") or None,
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS perfbench_accounts, perfbench_tellers, perfbench_branches, "
            "perfbench_history"
        )
        conn.execute("CREATE TABLE perfbench_branches (bid int primary key, bbalance int)")
        conn.execute("CREATE TABLE perfbench_tellers (tid int primary key, bid int, tbalance int)")
        conn.execute("CREATE TABLE perfbench_accounts (aid int primary key, bid int, abalance int)")
        conn.execute(
            "CREATE TABLE perfbench_history (tid int, bid int, aid int, delta int, mtime timestamp)"
        )
        conn.execute("INSERT INTO perfbench_branches VALUES (1, 0)")
        conn.execute("INSERT INTO perfbench_tellers SELECT g, 1, 0 FROM generate_series(1, 10) g")
        conn.execute(
            "INSERT INTO perfbench_accounts SELECT g, 1, 0 FROM generate_series(1, 100000) g"
        )
    counts = [0, 0]
    end = time.monotonic() + seconds

    def client(slot: int) -> None:
        rng = random.Random(slot)  # noqa: S311 - which rows to touch
        with psycopg.connect(**conninfo) as conn:
            while time.monotonic() < end:
                aid, tid, delta = (
                    rng.randint(1, 100000),
                    rng.randint(1, 10),
                    rng.randint(-5000, 5000),
                )
                with conn.transaction():
                    conn.execute("UPDATE perfbench_accounts SET abalance = abalance + %s "
                                 "WHERE aid = %s", [delta, aid])  # fmt: skip
                    conn.execute("SELECT abalance FROM perfbench_accounts WHERE aid = %s", [aid])
                    conn.execute("UPDATE perfbench_tellers SET tbalance = tbalance + %s "
                                 "WHERE tid = %s", [delta, tid])  # fmt: skip
                    conn.execute("UPDATE perfbench_branches SET bbalance = bbalance + %s "
                                 "WHERE bid = 1", [delta])  # fmt: skip
                    conn.execute("INSERT INTO perfbench_history VALUES (%s, 1, %s, %s, now())",
                                 [tid, aid, delta])  # fmt: skip
                counts[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"tps": round(sum(counts) / (time.monotonic() - started), 1)}


def http_rate(
    url: str, body: Callable[[int], dict[str, Any]], seconds: float, label: str
) -> dict[str, Any]:
    """POST from CLIENTS threads (a keep-alive session each) for ``seconds``: 201s a second,
    latency p50 / p99, and the count of any other answer."""
    counter = iter(range(10**9))
    lock = threading.Lock()
    ok: list[float] = []
    other: Counter[str] = Counter()
    end = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < end:
            with lock:
                n = next(counter)
            started = time.perf_counter()
            try:
                response = session.post(url, json=body(n), timeout=30)
            except requests.RequestException as exc:
                with lock:
                    other[type(exc).__name__] += 1
                continue
            took = (time.perf_counter() - started) * 1000
            with lock:
                if response.status_code == 201:
                    ok.append(took)
                else:
                    other[str(response.status_code)] += 1

    # Warm-up: connections, the first request's imports.
    for n in range(5):
        requests.post(url, json=body(10**8 + n), timeout=60)
    started = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        progress(label, int(time.monotonic() - started), int(seconds))
        time.sleep(0.5)
    progress(label, int(seconds), int(seconds))
    elapsed = time.monotonic() - started
    return {
        "req_per_s": round(len(ok) / elapsed, 1),
        "p50_ms": round(statistics.median(ok), 2) if ok else None,
        "p99_ms": round(pct(ok, 99), 2) if ok else None,
        "requests": len(ok),
        "other_answers": dict(other),
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
    }


def celery_noop(count: int, round_trips: int, project_base: bool = False) -> dict[str, Any]:
    """The no-op task through the running worker: rate (publish ``count`` as fast as one
    producer can, until all ran) and round trip (one at a time, 2 ms apart).
    ``project_base``: the no-op on the project's base task instead of Celery's."""
    from perf_tasks import COUNTER, MARKS, client, noop, noop_project

    if project_base:
        noop = noop_project

    redis = client()
    redis.delete(COUNTER, MARKS)
    noop.delay(time.time(), True)  # warm-up
    redis.blpop([MARKS], timeout=30)
    redis.delete(COUNTER, MARKS)
    started = time.monotonic()
    for i in range(count):
        noop.delay()
        if i % 200 == 0:
            progress("Celery no-op: publish", i, count)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline:
        done = int(redis.get(COUNTER) or 0)
        progress("Celery no-op: run", done, count)
        if done >= count:
            break
        time.sleep(0.02)
    rate = done / (time.monotonic() - started)
    latencies: list[float] = []
    for i in range(round_trips):
        sent = time.time()
        noop.delay(sent, True)
        popped = redis.blpop([MARKS], timeout=10)
        if popped is not None:
            latencies.append((time.time() - sent) * 1000)
        if i % 20 == 0:
            progress("Celery no-op round trip", i, round_trips)
        time.sleep(0.002)
    progress("Celery no-op round trip", round_trips, round_trips)
    return {
        "tasks_per_s": round(rate, 1),
        "tasks": done,
        "round_trip_p50_ms": round(statistics.median(latencies), 2),
        "round_trip_p99_ms": round(pct(latencies, 99), 2),
        "round_trips": len(latencies),
    }


# -- the paths --------------------------------------------------------------------------


def question_body(n: int, products: list[int]) -> dict[str, Any]:
    rng = random.Random(n)  # noqa: S311 - which product a question is about
    return {
        "body": f"My boots from you let water in after a week of rain; can they be fixed? #{n}",
        "contact_email": f"customer{n}@example.com",
        "product_id": rng.choice(products),
        "preference": "expert",
    }


def ask(n: int, products: list[int]) -> int:
    """One question through the service the ask endpoint calls."""
    from marketplace.models import Brand
    from routing.services import question_create

    brand = Brand.objects.get(slug=BRAND)
    question, _token = question_create(brand=brand, **question_body(n, products))
    return int(question.pk)


def first_offers(ids: list[int]) -> dict[int, Any]:
    """question id -> when its first offer was stored, for those offered."""
    from django.db.models import Min

    from routing.models import Assignment

    return dict(
        Assignment.objects.filter(question_id__in=ids)
        .values("question_id")
        .annotate(first=Min("offered_at"))
        .values_list("question_id", "first")
    )


def wait_offered(ids: list[int], label: str, timeout: float) -> dict[int, Any]:
    deadline = time.monotonic() + timeout
    offered: dict[int, Any] = {}
    while time.monotonic() < deadline:
        offered = first_offers(ids)
        progress(label, len(offered), len(ids))
        if len(offered) >= len(ids):
            break
        time.sleep(0.2)
    if len(offered) < len(ids):
        print()
    return offered


def routed_rate(count: int, products: list[int], base: int) -> dict[str, Any]:
    """``count`` questions created as fast as one producer can; rate = questions offered ÷
    (the last first offer − the first question's creation)."""
    from routing.models import Question

    ids = []
    for i in range(count):
        ids.append(ask(base + i, products))
        if i % 20 == 0:
            progress("questions routed: create", i, count)
    progress("questions routed: create", count, count)
    offered = wait_offered(ids, "questions routed: offered", timeout=60 + count / 2)
    first_created = Question.objects.filter(pk=ids[0]).values_list("created_at", flat=True)[0]
    if not offered:
        return {"questions": count, "offered": 0, "routed_per_s": None}
    span = (max(offered.values()) - first_created).total_seconds()
    return {
        "questions": count,
        "offered": len(offered),
        "routed_per_s": round(len(offered) / span, 1),
        "seconds": round(span, 2),
        "not_offered": _statuses([i for i in ids if i not in offered]),
    }


def _statuses(ids: list[int]) -> dict[str, int]:
    from routing.models import Question

    return dict(Counter(Question.objects.filter(pk__in=ids).values_list("status", flat=True)))


def offer_latency(rate: float, seconds: float, products: list[int], base: int) -> dict[str, Any]:
    """Questions created at a steady ``rate`` a second; question → first offer stored."""
    from routing.models import Question

    total = int(rate * seconds)
    ids = []
    started = time.monotonic()
    for i in range(total):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        ids.append(ask(base + i, products))
        if i % 10 == 0:
            progress(f"question → offer at {rate:g}/s", i, total)
    progress(f"question → offer at {rate:g}/s", total, total)
    # Routing slower than the rate builds a backlog: wait for it, within reason.
    offered = wait_offered(ids, "question → offer: offered", timeout=60 + total / 2)
    created = dict(Question.objects.filter(pk__in=ids).values_list("pk", "created_at"))
    latencies = [(offered[i] - created[i]).total_seconds() * 1000 for i in offered]
    if not latencies:
        return {"questions": total, "offered": 0}
    return {
        "questions": total,
        "offered": len(latencies),
        "rate_per_s": rate,
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "not_offered": _statuses([i for i in ids if i not in offered]),
    }


def book_earnings(pairs: list[tuple[int, int]]) -> int:
    """Book the earnings of (question id, expert id) pairs as the ``question.resolved``
    subscriber does when many resolutions arrive together: batches of
    ``EARNINGS_BATCH_SIZE`` in one transaction each (``earnings_book_batch``; a lone
    resolution is a batch of one). ``BENCH_EARNINGS_ONE_BY_ONE=1`` books one per
    transaction instead, for comparison."""
    from django.db import transaction

    from payments.services.earnings_batch import EARNINGS_BATCH_SIZE, earnings_book_batch

    size = 1 if os.environ.get("BENCH_EARNINGS_ONE_BY_ONE") else EARNINGS_BATCH_SIZE
    booked = 0
    for start in range(0, len(pairs), size):
        chunk = pairs[start : start + size]
        with transaction.atomic():  # the subscriber's delivery transaction
            booked += len(earnings_book_batch(resolutions=list(chunk)))
    return booked


def _book_in_child(pairs: list[tuple[int, int]], out: Any) -> None:  # pragma: no cover
    started = time.monotonic()
    booked = book_earnings(pairs)
    out.put((booked, started, time.monotonic()))


def earnings_rate(count: int, products: list[int]) -> dict[str, Any]:
    """``count`` resolved questions, each with an expert of the pool; earnings booked by
    EARNING_PROCESSES processes; rate = booked ÷ (last finish − first start)."""
    import multiprocessing

    from django.db import connections
    from django.utils import timezone

    from marketplace.models import Brand, Expert
    from payments.services import rate_card_create
    from routing.models import Question

    brand = Brand.objects.get(slug=BRAND)
    rate_card_create(
        brand=brand, actor=None, currency="EUR", default_amount=500, platform_fee_bps=2000
    )
    now = timezone.now()
    experts = list(
        Expert.objects.filter(brand=brand, status="approved")
        .order_by("?")
        .values_list("pk")[:count]
    )
    rng = random.Random(5)  # noqa: S311 - which product a question is about
    questions = Question.objects.bulk_create(
        Question(
            brand=brand,
            product_id=rng.choice(products),
            body=f"Resolved question {i} of the earnings run",
            contact_email=f"resolved{i}@example.com",
            status=Question.Status.RESOLVED,
            language="en",
            resolved_at=now,
        )
        for i in range(count)
    )
    pairs = [(q.pk, experts[i % len(experts)][0]) for i, q in enumerate(questions)]
    book_earnings(pairs[:5])  # warm-up: the accounts of the platform and the brand
    pairs = pairs[5:]
    # Each child opens its own connections: none may be shared across the fork (with
    # DATABASE_POOL the pool's sockets would be).
    connections.close_all()
    for connection in connections.all():
        if hasattr(connection, "close_pool"):
            connection.close_pool()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    slices = [pairs[i::EARNING_PROCESSES] for i in range(EARNING_PROCESSES)]
    children = [context.Process(target=_book_in_child, args=(s, out)) for s in slices]
    for child in children:
        child.start()
    results: list[tuple[int, float, float]] = []
    while len(results) < len(children):
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            if any(child.exitcode not in (None, 0) for child in children):
                raise RuntimeError("an earnings process failed; see its traceback") from None
        progress("earnings booked (processes done)", len(results), len(children))
    for child in children:
        child.join()
    booked = sum(r[0] for r in results)
    span = max(r[2] for r in results) - min(r[1] for r in results)
    return {
        "earnings": booked,
        "of": len(pairs),
        "booked_per_s": round(booked / span, 1),
        "processes": EARNING_PROCESSES,
        "service": (
            "payments.services.earnings_book_batch, one a batch"
            if os.environ.get("BENCH_EARNINGS_ONE_BY_ONE")
            else "payments.services.earnings_book_batch"
        ),
    }


def prepare_brand() -> list[int]:
    """The pool's brand takes any number of questions (the load is the point), and a table
    for the bare insert probe. Returns the brand's product ids."""
    from django.db import connection

    from marketplace.models import Brand, Product

    Brand.objects.filter(slug=BRAND).update(
        anonymous_questions_per_hour=10**7, questions_per_customer_per_day=10**7
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PROBE_TABLE}")
        cursor.execute(
            f"CREATE TABLE {PROBE_TABLE} (id bigserial PRIMARY KEY, body text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    return list(Product.objects.filter(brand__slug=BRAND).values_list("pk", flat=True))


def web_loads(
    stack: Stack, products: list[int], seconds: float, servers: list[str]
) -> dict[str, Any]:
    """The bare DRF insert, then question intake, under each of ``servers`` in turn (a fresh
    server each); the figures of each, and which served intake best."""
    report: dict[str, Any] = {"servers": {}}
    for server in servers:
        base = stack.start_web(server)
        print(f"web: {server} at {base}")
        bare = http_rate(
            f"{base}/bench/insert",
            lambda n: {"body": f"row {n}"},
            seconds,
            f"probe: bare DRF insert ({server})",
        )
        print(f"  {bare}")
        intake = http_rate(
            f"{base}/api/v1/brands/{BRAND}/questions",
            lambda n: question_body(n, products),
            seconds,
            f"question intake ({server})",
        )
        print(f"  {intake}, {ratio_text(intake, bare)}")
        report["servers"][server] = {"bare_drf_insert": bare, "intake": intake}
        stack.stop("web")
    # The table uses the server that serves intake best, and its own probe.
    best = max(servers, key=lambda name: report["servers"][name]["intake"]["req_per_s"])
    report["bare_drf_insert"] = report["servers"][best]["bare_drf_insert"]
    report["intake"] = dict(report["servers"][best]["intake"], server=best)
    return report


def ratio_text(intake: dict[str, Any], bare: dict[str, Any]) -> str:
    if not bare["req_per_s"]:
        return "no ratio (the probe served nothing)"
    return f"intake ÷ bare insert = {intake['req_per_s'] / bare['req_per_s']:.2f}"


def run(
    stack: Stack, *, quick: bool, only_intake: bool = False, servers: list[str] | None = None
) -> dict[str, Any]:
    """Every probe and path above, in order; returns their figures. ``only_intake``: the
    bare insert and intake alone (step 2)."""
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seconds = 5 if quick else 15
    products = prepare_brand()
    report: dict[str, Any] = {}
    if not only_intake:
        print("probe: pgbench")
        report["pgbench"] = pgbench_tps(seconds)
        print(f"  {report['pgbench']}")
    report.update(web_loads(stack, products, seconds, servers or WEB_SERVERS))
    if only_intake:
        return report
    # The intake run's triage tasks are not part of what follows.
    from gigcx.celery import app

    with app.connection_for_write() as conn:
        for queue in ("routing", "payments", "default"):
            conn.default_channel.queue_purge(queue)
    stack.start_worker()
    print("worker: started; warming up (text models, one question routed)")
    warm = [ask(10**6 + i, products) for i in range(3)]
    wait_offered(warm, "warm-up", timeout=180)
    report["celery_noop"] = celery_noop(1000 if quick else 5000, 100 if quick else 500)
    print(f"  {report['celery_noop']}")
    report["celery_noop_project_base"] = celery_noop(200 if quick else 1000, 50, True)
    print(f"  on the project's base task: {report['celery_noop_project_base']}")
    report["routed"] = routed_rate(100 if quick else 500, products, base=2 * 10**6)
    print(f"  {report['routed']}")
    report["offer_latency"] = offer_latency(10, 10 if quick else 30, products, base=3 * 10**6)
    print(f"  {report['offer_latency']}")
    stack.stop("worker")
    report["earnings"] = earnings_rate(200 if quick else 1000, products)
    print(f"  {report['earnings']}")
    return report


def embedded_burst(count: int, workdir: Path) -> dict[str, Any]:
    """``bench/soak.py --burst``: the whole stack on the embedded default (SQLite and the
    embedded broker, no DATABASE_URL / REDIS_URL) asked ``count`` questions at once."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    argv = [sys.executable, str(BENCH / "soak.py"), "--burst", str(count), "--drain", "1"]
    argv += ["--report", str(workdir / "soak-burst.json")]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    found: dict[str, Any] = {}
    with (workdir / "logs" / "soak-burst.log").open("w") as log:
        for line in process.stdout:
            log.write(line)
            if line.startswith("soak: burst "):
                found = json.loads(line.removeprefix("soak: burst "))
            elif line.startswith("soak: "):
                print(f"  {line.rstrip()}")
    process.wait()
    return found
