"""Fast at scale: every path of the issue's "Done when" table, as a ratio to a probe run in
the same job (../shared/PERFORMANCE.md), from one run on PostgreSQL and Redis.

``DATABASE_URL`` names the PostgreSQL server (default: the local one, postgres@127.0.0.1);
its database is not touched: the benchmark creates its own ``<name>_bench_perf`` there and
migrates it. Without ``REDIS_URL`` it starts its own redis-server. It says which it did.

1. The probes and the paths (bench/perf_pipeline.py), on a pool of 10k experts: pgbench's
   small transactions, a bare DRF insert and question intake under gunicorn with uvicorn
   workers (the production server; 8 clients), a
   Celery no-op's rate and round trip through a real worker, questions routed/s, question →
   offer stored at 10/s, earnings booked/s.
2. One routing decision against the pool size. For each size it fills its own database (a
   copy of the migrated one, ``<name>_bench_perf_<n>``) by COPY with a pool of realistic shape:

   - one brand with 4 languages, 10 categories and 50 products;
   - experts who know 2..6 products each (self-rated 1..5, a third verified), speak 1..2 of
     the brand's languages, a quarter online, load varied between idle and full, most rated;
   - a brand clock of 10,000 questions, and 5 % of experts with resolutions spread over it
     (so, as in a real brand, only those who resolved in the last hundred or so questions
     still count as recent).

   It then measures one routing decision (``expert_candidates_for_question`` and
   ``scoring.rank``, what ``routing_offer_question`` does under the question's lock) for a
   question on a product (step 1), on its category (step 2), the same question widened to any
   expert (step 3) and a question without a product, and the probe "an index point read"
   (one primary-key SELECT) in the same process. Every pool is built first; then each
   round times one decision of each kind at every size in turn (one thread and connection
   per size), so load that drifts over the run falls on every size alike, not on one.
3. An account's balance at 1k / 100k / 1M postings (``--no-ledger`` skips it): the running
   balance on the account row against the sum of every posting it replaced.
4. The embedded default (SQLite and the embedded broker): ``bench/soak.py --burst``.

It prints the "Done when" table (bench/perf_table.py: value, must, aim, PASS / MISS), writes
``var/bench-perf.json`` and draws ``var/bench-perf.png`` (decision cost against pool size;
matplotlib, the optional extra ``bench``).

Run: ``make bench-perf`` or ``python bench/perf.py [--sizes 1000,10000,100000] [--reps 200]
[--quick] [--no-pipeline] [--no-embedded]``. ``--only intake`` runs the bare DRF insert and
question intake alone (no pgbench, worker, routing sizes, ledger or embedded default);
``--servers daphne,uvicorn,gunicorn`` names the servers they run under (default: the
production one, gunicorn with uvicorn workers); the table takes the one that served intake
best, against its own bare insert; ``--web-processes N`` gives uvicorn and gunicorn N workers
(default 2).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _bench_database_url(url: str) -> tuple[str, str]:
    """(url of the benchmark's own database, its name)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "gigcx"
    name = f"{base}_bench_perf"
    return urlunsplit(parts._replace(path="/" + name)), name


def _ensure_database(url: str, name: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(1, total))
    end = "\n" if done >= total else ""
    print(f"\r  {label:<34} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end)
    sys.stdout.flush()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(fn: Callable[[], Any], reps: int, label: str, budget_s: float = 60.0) -> dict[str, Any]:
    """Median and p99 in ms of ``reps`` calls (fewer when one call is slow: ``budget_s``)."""
    fn()  # warm-up: plans, caches
    times: list[float] = []
    started = time.perf_counter()
    for i in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        if i % max(1, reps // 20) == 0:
            progress(label, i + 1, reps)
        if time.perf_counter() - started > budget_s and len(times) >= 3:
            break
    progress(label, reps, reps)
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(pct(times, 99), 3),
        "runs": len(times),
    }


# -- building a pool by COPY -------------------------------------------------------------


def _copy(model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows (dicts of field attname -> value) into the model's table; missing fields get
    the field's default."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    defaults = {f.attname: f.get_default() for f in fields}
    columns = ", ".join(f'"{f.column}"' for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = []
                for f in fields:
                    value = row.get(f.attname, defaults.get(f.attname))
                    if f.attname in json_fields:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)


def _reset_sequences(models: list[Any]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def build_pool(n: int, seed: int = 42) -> dict[str, Any]:
    """An empty database, then one brand with ``n`` experts (see the module docstring)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gigcx.models import User
    from marketplace.models import (
        Brand,
        Category,
        Expert,
        ExpertProfile,
        ExpertSkill,
        Product,
    )
    from routing.models import Presence, Question, RoutingSettings

    rng = random.Random(seed)  # noqa: S311 - the shape of the pool, not security
    now = timezone.now()
    tables = [
        m._meta.db_table
        for m in (Question, Presence, ExpertSkill, Expert, ExpertProfile, Product, Category)
    ]
    tables += [RoutingSettings._meta.db_table, Brand._meta.db_table, User._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    languages = ["en", "de", "fr", "es"]
    brand_seq = 10_000
    with transaction.atomic():
        brand = Brand.objects.create(
            name="Acme Outdoors", slug="acme", languages=languages, question_seq=brand_seq
        )
        RoutingSettings.objects.create(brand=brand)
        categories = [Category.objects.create(brand=brand, name=f"Range {i}") for i in range(10)]
        products = [
            Product.objects.create(brand=brand, category=categories[i % 10], name=f"Model {i}")
            for i in range(50)
        ]
        customer = User.objects.create(email="carol@example.com")
        # Fresh for the whole run: routing only offers to experts with a recent heartbeat.
        heartbeat = now + timedelta(days=1)
        _copy(
            User,
            (
                {
                    "id": 10 + i,
                    "email": f"expert{i}@example.com",
                    "password": "!",
                    "date_joined": now,
                    "is_active": True,
                }
                for i in range(n)
            ),
        )
        _copy(
            ExpertProfile,
            (
                {
                    "id": i + 1,
                    "user_id": 10 + i,
                    "display_name": f"Expert {i}",
                    "languages": rng.sample(languages, rng.choice([1, 1, 2])),
                    "capacity": rng.randint(1, 5),
                }
                for i in range(n)
            ),
        )
        presences = []
        for i in range(n):
            capacity = rng.randint(1, 5)
            online = rng.random() < 0.25
            presences.append(
                {
                    "id": i + 1,
                    "user_id": 10 + i,
                    "status": "online" if online else rng.choice(["away", "offline"]),
                    "last_heartbeat_at": heartbeat if online else now - timedelta(hours=2),
                    "capacity": capacity,
                    "active": rng.randint(0, capacity),
                    "last_assigned_at": (
                        None
                        if rng.random() < 0.3
                        else now - timedelta(seconds=rng.randint(60, 9000))
                    ),
                }
            )
        _copy(Presence, presences)
        experts = []
        for i in range(n):
            active = rng.random() < 0.05
            experts.append(
                {
                    "id": i + 1,
                    "brand_id": brand.pk,
                    "user_id": 10 + i,
                    "status": rng.choices(
                        ["approved", "probation", "suspended"], weights=[90, 5, 5]
                    )[0],
                    "quality_score": (None if rng.random() < 0.2 else round(rng.random(), 3)),
                    "recency": float(rng.randint(1, 3)) if active else 0.0,
                    "recency_seq": rng.randint(0, brand_seq) if active else 0,
                    "joined_at": now,
                }
            )
        if hasattr(Expert, "recency_key"):
            from routing.selectors import recency_key

            for row in experts:
                row["recency_key"] = recency_key(row["recency"], row["recency_seq"])
        # What routing.services.presence.on_duty_sync keeps: on duty while online.
        on_duty = [p["status"] == "online" for p in presences]
        if hasattr(Expert, "on_duty"):
            for i, row in enumerate(experts):
                row["on_duty"] = on_duty[i]
        _copy(Expert, experts)
        skill_id = 0
        skills = []
        for i in range(n):
            for product in rng.sample(products, rng.randint(2, 6)):
                skill_id += 1
                level = rng.randint(1, 5)
                verified = rng.random() < 0.33
                skills.append(
                    {
                        "id": skill_id,
                        "expert_id": i + 1,
                        "product_id": product.pk,
                        "category_id": product.category_id,
                        "on_duty": on_duty[i],
                        "level": level,
                        "verified_level": level if verified else None,
                        "verified_at": now if verified else None,
                    }
                )
        _copy(ExpertSkill, skills)
        _reset_sequences([User, ExpertProfile, Presence, Expert, ExpertSkill])
        on_product = Question.objects.create(
            brand=brand,
            product=products[7],
            asked_by=customer,
            body="Does the sole of this boot hold up on wet granite?",
            status=Question.Status.WAITING,
            language="en",
            waiting_since=now,
        )
        no_product = Question.objects.create(
            brand=brand,
            asked_by=customer,
            body="Where can I find a size chart for your jackets?",
            status=Question.Status.WAITING,
            language="de",
            waiting_since=now,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"on_product": on_product.pk, "no_product": no_product.pk, "experts": n}


# -- what is measured -------------------------------------------------------------------


def decision(question_id: int, step: int) -> Callable[[], int]:
    """One routing decision as routing_offer_question makes it (without the writes)."""
    from django.utils import timezone

    from routing import scoring
    from routing.models import Question
    from routing.selectors import expert_candidates_for_question, routing_settings_for

    question = Question.objects.select_related("brand", "product", "product__category").get(
        pk=question_id
    )
    settings = routing_settings_for(question.brand_id)

    def run() -> int:
        candidates = expert_candidates_for_question(
            question=question, step=step, settings=settings, now=timezone.now()
        )
        ranked = scoring.rank(
            [c.features for c in candidates],
            weights=settings.weights,
            frustration=question.frustration or 0.0,
        )
        return len(ranked)

    return run


def point_read(n: int) -> Callable[[], Any]:
    from django.db import connection

    from marketplace.models import Expert

    table = Expert._meta.db_table
    rng = random.Random(7)  # noqa: S311 - which row to read

    def run() -> Any:
        with connection.cursor() as cursor:
            sql = f'SELECT "status" FROM "{table}" WHERE "id" = %s'  # noqa: S608 - our table
            cursor.execute(sql, [rng.randint(1, n)])
            return cursor.fetchone()

    return run


KINDS = [
    ("product question, step 1 (the product)", "on_product", 1),
    ("product question, step 2 (its category)", "on_product", 2),
    ("product question widened to any expert", "on_product", 3),
    ("question without a product", "no_product", 3),
]


class _SizeWorker:
    """One thread per pool size, with its own database connection to that size's database
    (``<bench db>_<n>``), so the sizes can be timed in alternation, round by round: load on
    the machine that drifts over a run then falls on every size alike instead of on one."""

    def __init__(self, n: int, database: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.n = n
        self.database = database
        self._pool = ThreadPoolExecutor(max_workers=1, initializer=self._connect)

    def _connect(self) -> None:
        from django.db import connection

        connection.close()
        # Its own connection: the pool is shared by every thread of the alias (one database).
        options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "pool"}
        connection.settings_dict = {
            **connection.settings_dict,
            "NAME": self.database,
            "OPTIONS": options,
        }

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._pool.submit(fn, *args).result()

    def time_ms(self, fn: Callable[[], Any]) -> float:
        """One call of ``fn`` in this size's thread, timed there (the hand-over is not)."""

        def once() -> float:
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1000

        return float(self.call(once))

    def close(self) -> None:
        def close_connection() -> None:
            from django.db import connection  # this thread's

            connection.close()

        self.call(close_connection)
        self._pool.shutdown()


def _size_databases(sizes: list[int]) -> dict[int, str]:
    """A copy of the migrated bench database for each size (CREATE DATABASE ... TEMPLATE)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.close()
    if hasattr(connection, "close_pool"):  # nothing may stay connected to the template
        connection.close_pool()
    databases = {n: f"{name}_{n}" for n in sizes}
    admin = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        for database in databases.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{name}"')
    return databases


def _summary_of(times: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(pct(times, 99), 3),
        "runs": len(times),
    }


def bench_routing(sizes: list[int], reps: int, databases: dict[int, str]) -> dict[str, Any]:
    """Every pool is built first (one database each, ``_size_databases``), then each round
    times one decision of every kind at every size in turn, and five probe reads per size."""
    workers = {n: _SizeWorker(n, databases[n]) for n in sizes}
    try:
        runs: dict[int, dict[str, Callable[[], Any]]] = {}
        for n in sizes:
            print(f"pool of {n:,} experts: building (database {databases[n]})")
            started = time.perf_counter()
            ids = workers[n].call(build_pool, n)
            print(f"  built in {time.perf_counter() - started:.1f} s")
            runs[n] = {"probe": workers[n].call(point_read, n)}
            for label, key, step in KINDS:
                runs[n][label] = workers[n].call(decision, ids[key], step)
        labels = ["probe"] + [label for label, _key, _step in KINDS]
        times: dict[int, dict[str, list[float]]] = {n: {lb: [] for lb in labels} for n in sizes}
        for n in sizes:  # warm-up: plans, caches
            for label in labels:
                workers[n].call(runs[n][label])
        print(f"timing {len(sizes)} sizes in alternation, {reps} rounds")
        for i in range(reps):
            for label in labels:
                for n in sizes:
                    for _ in range(5 if label == "probe" else 1):
                        times[n][label].append(workers[n].time_ms(runs[n][label]))
            if i % max(1, reps // 20) == 0:
                progress("rounds", i + 1, reps)
        progress("rounds", reps, reps)
        results: dict[str, Any] = {}
        for n in sizes:
            row: dict[str, Any] = {"probe": _summary_of(times[n]["probe"])}
            for label, _key, _step in KINDS:
                row[label] = _summary_of(times[n][label])
                row[label]["candidates"] = workers[n].call(runs[n][label])
            results[str(n)] = row
        return results
    finally:
        for worker in workers.values():
            worker.close()


def print_routing(results: dict[str, Any], sizes: list[int]) -> None:
    first, last = str(sizes[0]), str(sizes[-1])
    head = " / ".join(f"{n // 1000}k" if n >= 1000 else str(n) for n in sizes)
    print()
    print(
        f"| one routing decision | p50 ms {head} | p99 ms {head} | p50 ÷ probe at "
        f"{sizes[-1] // 1000}k | {last[:-3]}k ÷ {first[:-3]}k p50 (p99) |"
    )
    print("|---|---|---|---|---|")
    probe = " / ".join(f"{results[str(n)]['probe']['p50_ms']:.3f}" for n in sizes)
    probe99 = " / ".join(f"{results[str(n)]['probe']['p99_ms']:.3f}" for n in sizes)
    print(
        f"| probe: an index point read | {probe} | {probe99} | 1 | "
        f"{results[last]['probe']['p50_ms'] / results[first]['probe']['p50_ms']:.2f} |"
    )
    for label, _key, _step in KINDS:
        p50 = " / ".join(f"{results[str(n)][label]['p50_ms']:.2f}" for n in sizes)
        p99 = " / ".join(f"{results[str(n)][label]['p99_ms']:.2f}" for n in sizes)
        vs_probe = results[last][label]["p50_ms"] / results[last]["probe"]["p50_ms"]
        r50 = results[last][label]["p50_ms"] / results[first][label]["p50_ms"]
        r99 = results[last][label]["p99_ms"] / results[first][label]["p99_ms"]
        print(f"| {label} | {p50} | {p99} | {vs_probe:.0f} | {r50:.2f} ({r99:.2f}) |")


LEDGER_SIZES = (1_000, 100_000, 1_000_000)


def bench_ledger(reps: int) -> dict[str, Any]:
    """An expert account with 1k, 100k and 1M postings: its balance as the running total
    (``account_balance``) and as the sum of every posting (what it used to cost)."""
    from django.db import connection, transaction

    from payments.ledger import account_balance, account_balance_summed
    from payments.models import Account, Posting, Transaction

    results: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f'TRUNCATE "{Posting._meta.db_table}", "{Transaction._meta.db_table}", '
            f'"{Account._meta.db_table}" RESTART IDENTITY CASCADE'
        )
    from marketplace.models import Expert

    expert = Expert.objects.order_by("pk").first()
    if expert is None:
        build_pool(1000)
        expert = Expert.objects.order_by("pk").first()
    assert expert is not None
    account = Account.objects.create(
        owner_type=Account.Owner.EXPERT,
        expert=expert,
        brand_id=expert.brand_id,
        kind=Account.Kind.AVAILABLE,
        currency="EUR",
    )
    counter = Account.objects.create(
        owner_type=Account.Owner.BRAND,
        brand_id=expert.brand_id,
        kind=Account.Kind.BRAND_PAYABLE,
        currency="EUR",
    )
    have = 0
    for n in LEDGER_SIZES:
        print(f"account with {n:,} postings: building")
        with transaction.atomic():
            # One balanced entry per step (the database checks every entry sums to zero):
            # n - have postings of 1 on the account, one of -(n - have) on the brand's.
            entry = Transaction.objects.create(
                kind=Transaction.Kind.EARNING, idempotency_key=f"bench:{n}"
            )
            rows = [
                {"id": i + 1 + n, "transaction_id": entry.pk, "account_id": account.pk, "amount": 1}
                for i in range(have, n)
            ]
            rows.append(
                {"id": n, "transaction_id": entry.pk, "account_id": counter.pk, "amount": have - n}
            )
            with connection.cursor() as cursor:
                # The database checks each entry sums to zero with a deferred trigger per
                # posting, which sums the entry again: quadratic for one entry this size.
                # The rows above balance by construction, so the fill skips the triggers.
                cursor.execute("SET LOCAL session_replication_role = replica")
            _copy(Posting, rows)
            Account.objects.filter(pk=account.pk).update(balance=n)
            Account.objects.filter(pk=counter.pk).update(balance=-n)
        have = n
        with connection.cursor() as cursor:
            cursor.execute(f'VACUUM ANALYZE "{Posting._meta.db_table}"')
        assert account_balance(account.pk) == account_balance_summed(account.pk) == n
        results[str(n)] = {
            "probe": timed(point_read(1), reps * 5, "index point read"),
            "running balance": timed(lambda: account_balance(account.pk), reps, "running balance"),
            "sum of postings": timed(
                lambda: account_balance_summed(account.pk), max(5, reps // 10), "sum of postings"
            ),
        }
    return results


def print_ledger(results: dict[str, Any]) -> None:
    sizes = list(results)
    head = " / ".join(f"{int(n):,}" for n in sizes)
    print()
    print(f"| an account's balance | p50 ms at {head} postings | p99 ms | last ÷ first p50 |")
    print("|---|---|---|---|")
    for label in ("probe", "running balance", "sum of postings"):
        p50 = " / ".join(f"{results[n][label]['p50_ms']:.3f}" for n in sizes)
        p99 = " / ".join(f"{results[n][label]['p99_ms']:.3f}" for n in sizes)
        ratio = results[sizes[-1]][label]["p50_ms"] / results[sizes[0]][label]["p50_ms"]
        name = "probe: an index point read" if label == "probe" else label
        print(f"| {name} | {p50} | {p99} | {ratio:.2f} |")


def summary(report: dict[str, Any], sizes: list[int]) -> tuple[dict[str, Any], dict[str, str]]:
    """The "Done when" figures (perf_table.TARGETS) from the run's report, and what each was
    made of."""
    from perf_table import ratio

    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    routing = report.get("routing") or {}
    if routing and len(sizes) >= 1:
        first, last = str(sizes[0]), str(sizes[-1])
        worst = max(KINDS, key=lambda kind: routing[last][kind[0]]["p50_ms"])[0]
        values["decision_p50_ms"] = routing[last][worst]["p50_ms"]
        notes["decision_p50_ms"] = f"slowest step at {int(last):,}: {worst}"
        if len(sizes) > 1:
            growths = [
                (routing[last][label][q] / routing[first][label][q], label, q)
                for label, _key, _step in KINDS
                for q in ("p50_ms", "p99_ms")
            ]
            growth, label, q = max(growths)
            values["decision_growth"] = growth
            notes["decision_growth"] = f"{int(last):,} ÷ {int(first):,}, {q[:3]}: {label}"
    pipe = report.get("pipeline") or {}
    if "intake" in pipe:
        intake, bare = pipe["intake"]["req_per_s"], pipe["bare_drf_insert"]["req_per_s"]
        values["intake_ratio"] = ratio(intake, bare)
        notes["intake_ratio"] = f"{intake} ÷ {bare} req/s ({pipe['intake']['server']})"
    if "celery_noop" in pipe:
        noop = pipe["celery_noop"]
        values["routed_ratio"] = ratio(pipe["routed"].get("routed_per_s"), noop["tasks_per_s"])
        notes["routed_ratio"] = f"{pipe['routed'].get('routed_per_s')} ÷ {noop['tasks_per_s']}"
        latency = pipe["offer_latency"]
        values["offer_p50_ratio"] = ratio(latency.get("p50_ms"), noop["round_trip_p50_ms"])
        values["offer_p99_ratio"] = ratio(latency.get("p99_ms"), noop["round_trip_p99_ms"])
        notes["offer_p50_ratio"] = f"{latency.get('p50_ms')} ms ÷ {noop['round_trip_p50_ms']} ms"
        notes["offer_p99_ratio"] = f"{latency.get('p99_ms')} ms ÷ {noop['round_trip_p99_ms']} ms"
        earned, tps = pipe["earnings"]["booked_per_s"], pipe["pgbench"]["tps"]
        values["earnings_ratio"] = ratio(earned, tps)
        notes["earnings_ratio"] = f"{earned} ÷ {tps}/s"
    ledger = report.get("ledger") or {}
    if "1000000" in ledger:
        values["balance_1m_ms"] = ledger["1000000"]["running balance"]["p50_ms"]
        notes["balance_1m_ms"] = f"p99 {ledger['1000000']['running balance']['p99_ms']} ms"
    embedded = report.get("embedded") or {}
    if embedded.get("routed_per_second") is not None:
        values["embedded_routed"] = embedded["routed_per_second"]
        notes["embedded_routed"] = f"a burst of {embedded.get('questions')} asked by 8 clients" + (
            "" if embedded.get("all_routed") else ", NOT all routed"
        )
    return values, notes


def draw(routing: dict[str, Any], sizes: list[int], path: Path) -> bool:
    """Decision cost (p50 and p99) against the pool size, one line per step; False without
    matplotlib (the optional extra ``bench``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no PNG: matplotlib is not installed (pip install -e '.[bench]')")
        return False
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    short = ["step 1 (the product)", "step 2 (its category)", "any expert", "no product"]
    for name, colour, (label, _key, _step) in zip(short, colours, KINDS, strict=True):
        p50 = [routing[str(n)][label]["p50_ms"] for n in sizes]
        p99 = [routing[str(n)][label]["p99_ms"] for n in sizes]
        ax.plot(sizes, p50, marker="o", color=colour, label=f"{name}: p50")
        ax.plot(sizes, p99, marker="x", linestyle="--", color=colour, label=f"{name}: p99")
    probe = [routing[str(n)]["probe"]["p50_ms"] for n in sizes]
    ax.plot(sizes, probe, marker="s", color="grey", label="probe: an index point read, p50")
    ax.axhline(5, color="#d62728", linewidth=0.8, linestyle=":")
    ax.text(sizes[0], 5, " must: p50 ≤ 5 ms at 100k", va="bottom", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [f"{n // 1000}k" if n >= 1000 else str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("experts in the pool")
    ax.set_ylabel("one routing decision, ms (log)")
    ax.set_title("GigCX: the cost of one routing decision against the pool size")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--no-ledger", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="shorter probes and paths (5 s loads, fewer tasks)"
    )
    parser.add_argument("--no-pipeline", action="store_true", help="skip probes and paths")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded default")
    parser.add_argument(
        "--only", choices=["intake"], help="intake: the bare insert and question intake alone"
    )
    parser.add_argument("--servers", default="", help="e.g. daphne,uvicorn,gunicorn")
    parser.add_argument(
        "--web-processes", type=int, default=0, help="uvicorn's and gunicorn's workers (2)"
    )
    parser.add_argument("--pipeline-pool", type=int, default=10_000, help="experts for the paths")
    parser.add_argument("--burst", type=int, default=0, help="embedded burst (default 300/100)")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench-perf.json"))
    parser.add_argument("--png", default=str(ROOT / "var" / "bench-perf.png"))
    args = parser.parse_args()
    if args.only == "intake":
        args.sizes, args.no_ledger, args.no_embedded, args.no_pipeline = "", True, True, False
    servers = [name for name in args.servers.split(",") if name] or None
    began = time.monotonic()
    sys.path.insert(0, str(ROOT / "bench"))
    from perf_pipeline import Stack, embedded_burst
    from perf_table import table, verdicts

    workdir = ROOT / "var" / "bench-perf"
    shutil.rmtree(workdir, ignore_errors=True)
    stack = Stack(workdir)
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        url = "postgres://postgres@127.0.0.1:5432/gigcx"
        print(f"DATABASE_URL is not set: using the PostgreSQL server at {url.rsplit('/', 1)[0]}")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "bench-perf needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name "
            "(a database <name>_bench_perf is created next to it). Skipped."
        )
        return 0
    bench_url, name = _bench_database_url(url)
    _ensure_database(url, name)
    # A SIGTERM (CI's timeout, kill) still stops our redis-server, web and worker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = stack.start_redis()
            print(
                f"REDIS_URL is not set: started our own redis-server at {os.environ['REDIS_URL']}"
            )
        os.environ.update(
            DATABASE_URL=bench_url,
            DJANGO_SETTINGS_MODULE="gigcx.settings",
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY="bench-perf-only-" + "k" * 48,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="false",
            GIGCX_ALLOW_CONSOLE_EMAIL="true",
            GIGCX_VAR_DIR=str(workdir / "var"),
            # The load is the point: the throttles would turn it into 429s.
            GIGCX_THROTTLE_ANON="10000000/min",
            GIGCX_THROTTLE_USER="10000000/min",
            GIGCX_THROTTLE_QUESTIONS="10000000/min",
        )
        import django

        django.setup()
        from django.core.management import call_command

        print(f"database {name}: migrating")
        call_command("migrate", verbosity=0)
        sizes = [int(s) for s in args.sizes.split(",") if s]
        # Copied before the paths run: nothing may be connected to the template.
        size_databases = _size_databases(sizes) if sizes else {}
        if not args.no_pipeline:
            import perf_pipeline
            from perf_pipeline import run

            perf_pipeline.WEB_PROCESSES = args.web_processes or perf_pipeline.WEB_PROCESSES

            print(f"pool of {args.pipeline_pool:,} experts for the paths: building")
            build_pool(args.pipeline_pool)
            report["pipeline"] = run(
                stack, quick=args.quick, only_intake=args.only == "intake", servers=servers
            )
        if sizes:
            report["routing"] = bench_routing(sizes, args.reps, size_databases)
            print_routing(report["routing"], sizes)
        if not args.no_ledger:
            report["ledger"] = bench_ledger(args.reps)
            print_ledger(report["ledger"])
    finally:
        stack.stop()
    if not args.no_embedded:
        count = args.burst or (100 if args.quick else 300)
        print(f"embedded default (SQLite, embedded broker): a burst of {count} (bench/soak.py)")
        report["embedded"] = embedded_burst(count, workdir)
        print(f"  {report['embedded']}")
    values, notes = summary(report, sizes)
    report["done_when"] = {"values": values, "verdicts": verdicts(values), "notes": notes}
    report["seconds"] = round(time.monotonic() - began)
    print()
    print(table(values, notes))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwrote {out}")
    if sizes and "routing" in report and draw(report["routing"], sizes, Path(args.png)):
        print(f"wrote {args.png}")
    print(f"bench-perf took {report['seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
