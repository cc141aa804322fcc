"""Earnings booked per second, one by one and in batches, next to pgbench's TPC-B-like tps.

Needs PostgreSQL and ``pgbench``: ``DATABASE_URL`` names the server (its database is not
touched); the benchmark uses its own database (``--database``, default ``<name>_perf_ledger``),
migrates it, and gives it one brand with 20 experts, four products in two categories and a
rate card with a product line and a category line (15 % fee). Each measurement resolves ``n``
fresh questions (inserted in bulk, not timed) and then books their earnings:

- one by one: ``earning_book`` per question, each in its own durable transaction (what the
  ``question.resolved`` subscriber did for every event before batches);
- batched: ``earnings_book_batch`` over ``EARNINGS_BATCH_SIZE`` questions per durable
  transaction (what the subscriber does when resolutions arrive together).

The probe is ``pgbench -b tpcb-like -c 1 -j 1`` (one client, like the single booking
process; scale 1) on the same database, run in the same job between the measurements. It
prints earnings/s, pgbench tps and their ratios (the issue's target: earnings/s ÷ tps ≥ 0.5,
aim 0.7).

Run: ``python bench/perf_ledger.py [--n 1000] [--seconds 10] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BRAND_SLUG = "bench-ledger"
EXPERTS = 20


def _setup_django(url: str, name: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-perf-ledger-only")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world() -> dict[str, Any]:
    """The brand, its experts and products, and the rate card (made once per database)."""
    from gigcx.accounts import user_create
    from marketplace import services as marketplace
    from marketplace.models import Brand, Expert, Product
    from payments.services import rate_card_create

    brand = Brand.objects.filter(slug=BRAND_SLUG).first()
    if brand is None:
        owner = user_create(email="owner@bench-ledger.example", password=None, verified=True)
        brand = marketplace.brand_create(owner=owner, name="Bench Ledger", slug=BRAND_SLUG)
        products = []
        for c in range(2):
            category = marketplace.category_create(brand=brand, name=f"Category {c}", actor=owner)
            for p in range(2):
                products.append(
                    marketplace.product_create(
                        brand=brand, name=f"Product {c}.{p}", category_id=category.pk, actor=owner
                    )
                )
        for e in range(EXPERTS):
            user = user_create(
                email=f"expert{e}@bench-ledger.example", password=None, verified=True
            )
            marketplace.expert_enrol(brand=brand, user=user, status="approved", actor=owner)
        rate_card_create(
            brand=brand,
            actor=owner,
            currency="EUR",
            default_amount=400,
            platform_fee_bps=1500,
            lines=[
                {"product_id": products[0].pk, "amount": 600},
                {"category_id": products[2].category_id, "amount": 500},
            ],
        )
    return {
        "brand": brand,
        "experts": list(Expert.objects.filter(brand=brand).values_list("pk", flat=True)),
        "products": list(Product.objects.filter(brand=brand).values_list("pk", flat=True)),
    }


def _resolved(n: int) -> list[tuple[int, int | None]]:
    """``n`` fresh resolved questions of the bench brand, with their experts (bulk insert:
    the benchmark times booking, not resolving)."""
    from django.utils import timezone

    from routing.models import Question

    world = _world()
    now = timezone.now()
    questions = Question.objects.bulk_create(
        [
            Question(
                brand=world["brand"],
                product_id=world["products"][i % len(world["products"])],
                body=f"bench question {i}",
                language="en",
                status=Question.Status.RESOLVED,
                resolved_at=now,
            )
            for i in range(n)
        ]
    )
    experts = world["experts"]
    return [(q.pk, experts[i % len(experts)]) for i, q in enumerate(questions)]


def earnings_per_second(n: int, batch: bool) -> float:
    """Book the earnings of ``n`` fresh resolutions and return earnings booked per second:
    one durable transaction per earning, or per ``EARNINGS_BATCH_SIZE`` earnings. Needs
    Django set up on a PostgreSQL database (``main`` does it)."""
    from django.db import transaction

    from payments.models import Earning
    from payments.services import earning_book, earnings_book_batch
    from payments.services.earnings_batch import EARNINGS_BATCH_SIZE

    resolutions = _resolved(n)
    # Every expert's accounts exist already in a running system: create them untimed.
    warm = _resolved(len(_world()["experts"]))
    with transaction.atomic(durable=True):
        earnings_book_batch(resolutions=warm)
    started = time.perf_counter()
    if batch:
        for i in range(0, n, EARNINGS_BATCH_SIZE):
            with transaction.atomic(durable=True):
                earnings_book_batch(resolutions=resolutions[i : i + EARNINGS_BATCH_SIZE])
    else:
        for question_id, expert_id in resolutions:
            with transaction.atomic(durable=True):
                earning_book(question_id=question_id, expert_id=expert_id)
    elapsed = time.perf_counter() - started
    booked = Earning.objects.filter(question_id__in=[q for q, _ in resolutions]).count()
    assert booked == n, f"booked {booked} of {n}"
    return n / elapsed


def pgbench_tps(url: str, seconds: int) -> float:
    """TPC-B-like transactions per second of one pgbench client on the database of ``url``."""
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    parts = urlsplit(url)
    connect = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    database = parts.path.lstrip("/")
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    tables = subprocess.run(  # noqa: S603 - our own arguments
        [pgbench, *connect, "-i", "-s", "1", "-q", database],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if tables.returncode:
        raise RuntimeError(f"pgbench -i failed: {tables.stderr}")
    run = subprocess.run(  # noqa: S603 - our own arguments
        [pgbench, *connect, "-n", "-b", "tpcb-like", "-c", "1", "-j", "1", "-T", str(seconds)]
        + [database],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    found = re.search(r"tps = ([0-9.]+)", run.stdout)
    if run.returncode or not found:
        raise RuntimeError(f"pgbench failed: {run.stdout}\n{run.stderr}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="earnings per measurement")
    parser.add_argument("--seconds", type=int, default=10, help="pgbench run length")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each (medians)")
    parser.add_argument("--database", default="", help="the benchmark's own database")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench-perf-ledger.json"))
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("perf_ledger needs PostgreSQL: set DATABASE_URL=postgres://... Skipped.")
        return 0
    name = args.database or f"{urlsplit(url).path.lstrip('/') or 'gigcx'}_perf_ledger"
    _setup_django(url, name)
    bench_url = os.environ["DATABASE_URL"]
    print(f"database {name}: {args.rounds} round(s) of {args.n} earnings each way")
    runs: dict[str, list[float]] = {"pgbench": [], "one by one": [], "batched": []}
    for round_ in range(args.rounds):
        runs["pgbench"].append(pgbench_tps(bench_url, args.seconds))
        runs["one by one"].append(earnings_per_second(args.n, batch=False))
        runs["batched"].append(earnings_per_second(args.n, batch=True))
        print(
            f"  round {round_ + 1}: pgbench {runs['pgbench'][-1]:.0f} tps, "
            f"one by one {runs['one by one'][-1]:.0f}/s, batched {runs['batched'][-1]:.0f}/s"
        )
    result = {label: round(statistics.median(values), 1) for label, values in runs.items()}
    tps = result["pgbench"]
    print()
    print("| earnings booked | per second | ÷ pgbench tpcb-like tps |")
    print("|---|---|---|")
    print(f"| probe: pgbench tpcb-like, 1 client | {tps:.0f} tps | 1.00 |")
    for label in ("one by one", "batched"):
        print(f"| {label} | {result[label]:.0f} | {result[label] / tps:.2f} |")
    report = {
        **result,
        "ratio one by one": round(result["one by one"] / tps, 3),
        "ratio batched": round(result["batched"] / tps, 3),
        "n": args.n,
        "runs": runs,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
