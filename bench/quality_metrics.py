"""How long the brand metrics take on a large brand (PostgreSQL only).

It builds (once, then reuses) a brand with QUESTIONS questions over the last 365 days (default
1,000,000) and EXPERTS experts (default 10,000): about 30 % answered automatically, the rest
handed to an expert who replies and resolves; 40 % rated, 3 % of those reopened; asked by
CUSTOMERS signed-in customers (default 200,000, so most ask several times a year). It rolls the
days up as the nightly beat task does, and today as the five-minute task does. Then it times
``quality.metrics.brand_metrics`` (what ``GET /api/v1/brands/{slug}/metrics`` returns) for 7,
30 and 365 days and prints p50 and p95 over RUNS calls. The target for 30 days is p95 300 ms.

Run:
    createdb gigcx_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigcx_bench DJANGO_DEBUG=true \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigcx_bench DJANGO_DEBUG=true \\
        .venv/bin/python bench/quality_metrics.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
# Seeding a million rows takes longer than the site's per-statement limit.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

QUESTIONS = int(os.environ.get("QUESTIONS", "1000000"))
EXPERTS = int(os.environ.get("EXPERTS", "10000"))
CUSTOMERS = int(os.environ.get("CUSTOMERS", "200000"))
RUNS = int(os.environ.get("RUNS", "20"))
SLUG = "bench-metrics"


def seed() -> None:
    from gigcx.accounts import user_create
    from marketplace import services
    from marketplace.models import Brand

    brand = Brand.objects.filter(slug=SLUG).first()
    if brand is not None and brand.questions.count() >= QUESTIONS:
        print(f"reusing {brand.questions.count():,} questions of {SLUG}")
        return
    started = time.perf_counter()
    owner = user_create(email="owner@bench.example", password="x" * 16, name="Bench Owner")
    brand = services.brand_create(owner=owner, name="Bench Metrics", slug=SLUG)
    products = [
        services.product_create(brand=brand, name=f"Product {n}", actor=owner).pk for n in range(20)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO gigcx_user (password, is_superuser, first_name, last_name, is_staff,
                                    is_active, date_joined, email, name, tone_analysis)
            SELECT '!', false, '', '', false, true, now(), 'expert' || n || '@bench.example',
                   'Expert ' || n, true
            FROM generate_series(1, %s) AS n
            """,
            [EXPERTS],
        )
        cursor.execute(
            """
            INSERT INTO marketplace_expert (status, status_reason, tier, joined_at, brand_id,
                                            user_id, recency, recency_seq)
            SELECT 'approved', '', 'new', now(), %s, id, 0, 0 FROM gigcx_user
            WHERE email LIKE 'expert%%@bench.example'
            """,
            [brand.pk],
        )
        cursor.execute(
            "SELECT array_agg(id ORDER BY id), array_agg(user_id ORDER BY id) "
            "FROM marketplace_expert WHERE brand_id = %s",
            [brand.pk],
        )
        expert_ids, user_ids = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO gigcx_user (password, is_superuser, first_name, last_name, is_staff,
                                    is_active, date_joined, email, name, tone_analysis)
            SELECT '!', false, '', '', false, true, now(), 'customer' || n || '@bench.example',
                   'Customer ' || n, true
            FROM generate_series(1, %s) AS n
            """,
            [CUSTOMERS],
        )
        cursor.execute("SELECT min(id) FROM gigcx_user WHERE email LIKE 'customer%%@bench.example'")
        first_customer = cursor.fetchone()[0]
        # q: i, created over 365 days; every 10th in 3 is automated (i % 10 < 3).
        cursor.execute(
            """
            INSERT INTO routing_question (contact_email, access_token_hash, body, redacted_body,
                preference, status, language, priority, triage, routing_step, attempts,
                waiting_since, sla_due_at, escalation_reason, created_at, resolved_at, brand_id,
                product_id, triage_attempts, tone_analysis)
            SELECT '', '', 'How do I look after product ' || (i %% 20) || '?', '', 'auto',
                   CASE WHEN i %% 10 < 3 THEN 'ai_answered' ELSE 'resolved' END, 'en', 0, '{}',
                   1, 1,
                   CASE WHEN i %% 10 < 3 THEN NULL ELSE t + interval '1 minute' END,
                   CASE WHEN i %% 10 < 3 THEN NULL ELSE t + interval '16 minutes' END,
                   '', t,
                   CASE WHEN i %% 10 < 3 THEN NULL ELSE t + interval '30 minutes' END,
                   %s, (%s::bigint[])[1 + i %% 20], 0, true
            FROM (
                SELECT i, now() - (i %% 365) * interval '1 day' - (i %% 1440) * interval '1 minute'
                       AS t
                FROM generate_series(1, %s) AS i
            ) AS s
            """,
            [brand.pk, products, QUESTIONS],
        )
        # Customers: a spread over the whole year, so most come back (quality.relationships).
        cursor.execute(
            """
            UPDATE routing_question SET asked_by_id = %s + (id * 7919) %% %s WHERE brand_id = %s
            """,
            [first_customer, CUSTOMERS, brand.pk],
        )
        cursor.execute(
            """
            INSERT INTO routing_message (role, body, redacted_body, created_at, question_id)
            SELECT 'customer', body, '', created_at, id FROM routing_question WHERE brand_id = %s
            """,
            [brand.pk],
        )
        cursor.execute(
            """
            INSERT INTO routing_message (role, body, redacted_body, created_at, question_id)
            SELECT 'ai', 'An automated answer.', '', created_at + interval '2 seconds', id
            FROM routing_question WHERE brand_id = %s AND waiting_since IS NULL
            """,
            [brand.pk],
        )
        cursor.execute(
            """
            INSERT INTO routing_assignment (status, step, score, breakdown, offered_at,
                expires_at, responded_at, ended_at, expert_id, question_id)
            SELECT 'resolved', 1, 1.0, '{}', waiting_since, waiting_since + interval '1 minute',
                   waiting_since + interval '20 seconds', resolved_at,
                   (%s::bigint[])[1 + id %% %s], id
            FROM routing_question WHERE brand_id = %s AND waiting_since IS NOT NULL
            """,
            [expert_ids, len(expert_ids), brand.pk],
        )
        cursor.execute(
            """
            INSERT INTO routing_message (role, body, redacted_body, created_at, question_id,
                                         author_id)
            SELECT 'expert', 'Here is how.', '',
                   a.responded_at + (a.question_id %% 600) * interval '1 second', a.question_id,
                   (%s::bigint[])[1 + a.question_id %% %s]
            FROM routing_assignment a JOIN routing_question q ON q.id = a.question_id
            WHERE q.brand_id = %s
            """,
            [user_ids, len(user_ids), brand.pk],
        )
        cursor.execute(
            """
            INSERT INTO quality_rating (score, solved, comment, redacted_comment, automated,
                created_at, reopened_at, brand_id, expert_id, question_id)
            SELECT 1 + (q.id * 7) %% 5, (q.id * 7) %% 5 > 1, '', '', q.waiting_since IS NULL,
                   q.created_at + interval '1 hour',
                   CASE WHEN q.id %% 100 < 3 THEN q.created_at + interval '2 hours' END,
                   q.brand_id, a.expert_id, q.id
            FROM routing_question q LEFT JOIN routing_assignment a ON a.question_id = q.id
            WHERE q.brand_id = %s AND q.id %% 10 IN (1, 4, 6, 8)
            """,
            [brand.pk],
        )
        cursor.execute("ANALYZE")
    from quality.services import metrics_rollup

    rolled = time.perf_counter()
    days = metrics_rollup(brand=brand)  # what the nightly beat task does, through yesterday
    print(f"rolled up {days} days in {time.perf_counter() - rolled:.0f} s")
    took = time.perf_counter() - started
    print(f"seeded {QUESTIONS:,} questions, {EXPERTS:,} experts in {took:.0f} s")


def timed(days: int) -> tuple[float, float, int]:
    from marketplace.models import Brand
    from quality import metrics

    brand = Brand.objects.get(slug=SLUG)
    end = timezone.localdate()
    period = metrics.Period(end - timedelta(days=days - 1), end)
    samples = []
    questions = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        figures = metrics.brand_metrics(brand=brand, period=period)
        samples.append((time.perf_counter() - started) * 1000)
        questions = figures["overall"]["questions"]
    samples.sort()
    p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95, questions


def timed_customers(days: int) -> tuple[float, float]:
    from marketplace.models import Brand
    from quality import metrics

    brand = Brand.objects.get(slug=SLUG)
    end = timezone.localdate()
    period = metrics.Period(end - timedelta(days=days - 1), end)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        metrics.brand_metrics(
            brand=brand,
            period=period,
            parts=("overall", "by_product", "by_expert", "daily", "copilot", "customers"),
        )
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def refresh_today() -> None:
    """What the every-five-minutes beat task does: roll up today (and any day missed)."""
    from marketplace.models import Brand
    from quality.services import metrics_rollup

    brand = Brand.objects.get(slug=SLUG)
    started = time.perf_counter()
    days = metrics_rollup(brand=brand, through=timezone.localdate(), rebuild_days=1)
    took = (time.perf_counter() - started) * 1000
    print(f"refreshing today's rollup ({days} day) took {took:.0f} ms")


def main() -> None:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL (see the docstring).")
        return
    seed()
    refresh_today()
    print(f"{'range':>8} {'questions':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for days in (7, 30, 365):
        p50, p95, questions = timed(days)
        print(f"{days:>5} d {questions:>10,} {p50:>8.0f} {p95:>8.0f}")
    p50, p95 = timed_customers(30)
    print(
        f"with returning and top customers (?customers=true, the Service page), 30 d: "
        f"p50 {p50:.0f}, p95 {p95:.0f} ms"
    )
    print("target: 30 days, p95 <= 300 ms")


if __name__ == "__main__":
    main()
