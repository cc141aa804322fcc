"""Soak: the whole ``make run`` stack on the embedded default, under steady load, for a while.

It starts ``manage.py runall`` (web, worker, beat on SQLite and the embedded broker) in a
fresh temporary var folder on a free port, seeds the demo data, then:

- a customer asks questions through the public API at ``--rate`` per second (anonymous,
  with an email, "an expert" preferred, products spread over the demo catalogue);
- the demo experts (ada, grace, linus) log in through the headless API, go online,
  heartbeat, accept every offer and resolve each question a few seconds later.

Every minute it prints one line and rewrites the JSON report: process crashes/restarts
(runall's restart lines), questions asked, 5xx answers, connection errors, open questions
by status, broker backlog, ask -> first offer latency p50/p99. At the end it stops asking,
lets the experts drain the queue, and counts *lost* questions: not resolved, answered
automatically or escalated, and with neither a live offer nor an accepted assignment.

Run: ``make soak SOAK_MINUTES=120`` or ``python bench/soak.py --minutes 3 --report x.json``.
``--kill-worker-every 5`` SIGKILLs the worker every 5 minutes (runall restarts it) to show
that nothing is lost with it. ``--burst 300`` asks 300 questions at once instead and prints
how many per second the stack triaged and routed.
Prints figures; exits 1 only when the stack never came up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soak_actors import EXPERTS, Counters, Site, burst, customer, expert, login, soak_experts_enrol

RESTART_LINE = re.compile(r"^(web|worker|beat) (exited with code \S+|was killed by \S+)", re.M)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def offer_latencies_ms(ids: list[int]) -> list[float]:
    """Ask -> first offer of each of these questions that has been offered."""
    from django.db.models import Min

    from routing.models import Question

    return [
        (first - created).total_seconds() * 1000
        for created, first in Question.objects.filter(pk__in=ids)
        .annotate(first=Min("assignments__offered_at"))
        .filter(first__isnull=False)
        .values_list("created_at", "first")
    ]


def database_figures(ids: list[int], window: list[int]) -> dict[str, Any]:
    """Statuses and ask -> first offer latency of the questions the soak asked, overall and
    for the ``window`` asked since the previous report (the first minute includes warm-up:
    experts logging in, the worker loading the triage model)."""
    from django.db import close_old_connections
    from django.db.models import Count

    from routing.models import Question

    close_old_connections()
    questions = Question.objects.filter(pk__in=ids)
    by_status = dict(questions.values_list("status").annotate(n=Count("pk")).order_by())
    latencies = offer_latencies_ms(ids)
    recent = offer_latencies_ms(window)
    return {
        "by_status": by_status,
        "offered": len(latencies),
        "ask_to_offer_p50_ms": percentile(latencies, 0.5),
        "ask_to_offer_p99_ms": percentile(latencies, 0.99),
        "ask_to_offer_max_ms": max(latencies) if latencies else None,
        "window_ask_to_offer_p50_ms": percentile(recent, 0.5),
        "window_ask_to_offer_p99_ms": percentile(recent, 0.99),
    }


def lost_questions(ids: list[int]) -> list[dict[str, Any]]:
    from django.db import close_old_connections
    from django.db.models import Exists, OuterRef, Q
    from django.utils import timezone

    from routing.models import Assignment, Question

    close_old_connections()
    handled = [Question.Status.RESOLVED, Question.Status.AI_ANSWERED, Question.Status.ESCALATED]
    live = Assignment.objects.filter(question=OuterRef("pk")).filter(
        Q(status=Assignment.Status.ACCEPTED)
        | Q(status=Assignment.Status.OFFERED, expires_at__gt=timezone.now())
    )
    lost = (
        Question.objects.filter(pk__in=ids)
        .exclude(status__in=handled)
        .exclude(Exists(live))
        .values("pk", "status", "created_at")
    )
    return [{**row, "created_at": row["created_at"].isoformat()} for row in lost]


def broker_backlog(var: Path) -> int | None:
    try:
        with contextlib.closing(sqlite3.connect(var / "broker.sqlite3", timeout=5)) as db:
            return int(db.execute("SELECT COUNT(*) FROM message").fetchone()[0])
    except sqlite3.Error:
        return None


def stack_cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by ``root_pid`` and every process under it: a
    figure of the work done that, unlike a rate, barely moves with the machine's load."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for pid, seconds in times.items():
        ancestor = pid
        while ancestor not in (root_pid, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root_pid:
            total += seconds
    return total


def kill_worker(runall_pid: int) -> int | None:
    """SIGKILL the Celery worker leader that ``runall`` started; its pool goes with it when
    runall sweeps the group. Returns the pid, or None when no worker runs just now."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == runall_pid and b"celery" in command and b"worker" in command:
            os.kill(int(entry.name), signal.SIGKILL)
            return int(entry.name)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="questions per second")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds before resolving")
    parser.add_argument("--drain", type=float, default=90, help="seconds to drain at the end")
    parser.add_argument("--experts", type=int, default=9, help="extra soak experts")
    parser.add_argument(
        "--burst", type=int, default=0, help="instead of steady load: ask N at once, time routing"
    )
    parser.add_argument(
        "--kill-worker-every",
        type=float,
        default=0,
        help="minutes: SIGKILL the worker this often (runall restarts it; nothing may be lost)",
    )
    parser.add_argument("--report", default="soak-report.json")
    parser.add_argument("--keep", action="store_true", help="keep the var folder and logs")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="gigcx-soak-"))
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        GIGCX_VAR_DIR=str(var),
        DJANGO_DEBUG="true",
        PYTHONUNBUFFERED="1",
        # The load is the point: the throttles would turn it into 429s.
        GIGCX_THROTTLE_ANON="100000/min",
        GIGCX_THROTTLE_USER="100000/min",
        GIGCX_THROTTLE_QUESTIONS="100000/min",
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")
    manage = [sys.executable, str(ROOT / "manage.py")]
    log_path = var / "runall.log"
    load = (
        f"a burst of {args.burst}" if args.burst else f"{args.minutes:g} min at {args.rate:g} q/s"
    )
    print(f"soak: var {var}, port {port}, {load}", flush=True)
    with open(var / "setup.log", "w") as setup_log:
        for command in (["migrate", "--noinput"], ["createcachetable"], ["seed_demo"]):
            subprocess.run(  # noqa: S603
                [*manage, *command], cwd=ROOT, env=env, stdout=setup_log, stderr=subprocess.STDOUT,
                check=True,
            )  # fmt: skip
    import django

    django.setup()
    from marketplace.models import Product

    experts = EXPERTS + soak_experts_enrol(args.experts)
    products = list(Product.objects.filter(brand__slug="acme").values_list("pk", "name"))
    log = open(log_path, "w")  # noqa: SIM115 - open for the life of the stack
    stack = subprocess.Popen(  # noqa: S603
        # --noreload: editing the checkout during a long soak must not bounce the web server.
        [*manage, "runall", "--port", str(port), "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    counters = Counters()
    site = Site(f"http://127.0.0.1:{port}", counters)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(site.base + "/healthz", timeout=5).status_code == 200:
                break
        time.sleep(1)
    else:
        print("soak: the site never answered /healthz; see", log_path)
        stack.send_signal(signal.SIGINT)
        return 1

    staff = requests.Session()
    stop_asking, stop_experts = threading.Event(), threading.Event()
    if login(site, staff, "sam@acme.example", stop_asking):
        cap = site.call(
            staff,
            "PATCH",
            "/api/v1/brands/acme/routing",
            "settings",
            json={"fairness_cap_per_hour": 500},
        )
        print(f"soak: fairness cap -> {cap.json() if cap is not None else 'failed'}", flush=True)
        # The brand's intake quotas (300 visitors' questions an hour by default) are what a
        # real brand wants against a flood; this steady load is not one.
        quotas = site.call(
            staff,
            "PATCH",
            "/api/v1/brands/acme",
            "brand",
            json={
                "anonymous_questions_per_hour": 100_000,
                "questions_per_customer_per_day": 10_000,
            },
        )
        print(f"soak: intake quotas -> {quotas.status_code if quotas is not None else 'failed'}")
    threads = [
        threading.Thread(target=expert, args=(site, email, args.hold, stop_experts), daemon=True)
        for email in experts
    ]
    if not args.burst:
        threads.append(
            threading.Thread(
                target=customer, args=(site, products, args.rate, stop_asking), daemon=True
            )
        )
    for thread in threads:
        thread.start()

    started = time.monotonic()
    history: list[dict[str, Any]] = []
    reported = 0  # questions asked up to the previous report

    def snapshot(phase: str) -> dict[str, Any]:
        nonlocal reported
        with counters.lock:
            asked = list(counters.asked)
            row: dict[str, Any] = {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "phase": phase,
                "minutes": round((time.monotonic() - started) / 60, 2),
                "asked": len(asked),
                "ask_failed": counters.ask_failed,
                "http_5xx": counters.status_5xx,
                "connection_errors": counters.connection_errors,
                "other_4xx": dict(counters.other_4xx),
                "accepted": counters.accepted,
                "resolved_by_experts": counters.resolved,
            }
        row["restarts"] = RESTART_LINE.findall(log_path.read_text(errors="replace"))
        row["broker_backlog"] = broker_backlog(var)
        row.update(database_figures(asked, asked[reported:]))
        reported = len(asked)
        return row

    def report(row: dict[str, Any], final: dict[str, Any] | None = None) -> None:
        history.append(row)
        body = {"var": str(var), "port": port, "rate": args.rate, "latest": row, "history": history}
        if final is not None:
            body["final"] = final
        Path(args.report).write_text(json.dumps(body, indent=2, default=str))
        p50, p99 = row["ask_to_offer_p50_ms"], row["ask_to_offer_p99_ms"]
        print(
            f"[{row['at']}] {row['phase']:<5} t={row['minutes']:>6.1f}min asked={row['asked']}"
            f" failed={row['ask_failed']} 5xx={row['http_5xx']}"
            f" conn_err={row['connection_errors']} restarts={len(row['restarts'])}"
            f" offered={row['offered']} ask->offer p50={_ms(p50)} p99={_ms(p99)}"
            f" (last minute p50={_ms(row['window_ask_to_offer_p50_ms'])}"
            f" p99={_ms(row['window_ask_to_offer_p99_ms'])})"
            f" backlog={row['broker_backlog']} status={row['by_status']}",
            flush=True,
        )

    try:
        if args.burst:
            time.sleep(10)  # the experts log in and go online
            cpu_before = stack_cpu_seconds(stack.pid)
            figures = burst(site, products, args.burst)
            # Web, worker and beat together, per question of the burst (the experts' polling
            # and accepting included): the cost that decides the rate on an idle machine.
            figures["stack_cpu_seconds_per_question"] = round(
                (stack_cpu_seconds(stack.pid) - cpu_before) / max(1, figures["questions"]), 3
            )
            figures["load_average_1min"] = round(os.getloadavg()[0], 1)
            print("soak: burst", json.dumps(figures), flush=True)
        end = started + (0 if args.burst else args.minutes * 60)
        every = args.kill_worker_every * 60
        next_kill = started + every if every else float("inf")
        next_report = started + 60
        while time.monotonic() < end:
            time.sleep(max(0.0, min(next_report, next_kill, end) - time.monotonic()))
            if time.monotonic() >= next_kill:
                print(f"soak: SIGKILL worker {kill_worker(stack.pid)}", flush=True)
                next_kill += every
            if time.monotonic() >= next_report or time.monotonic() >= end:
                report(snapshot("load"))
                next_report += 60
        stop_asking.set()
        time.sleep(args.drain)
        stop_experts.set()
        row = snapshot("drain")
        lost = lost_questions(row_ids := list(counters.asked))
        steady = offer_latencies_ms(row_ids[history[0]["asked"] :] if history else row_ids)
        final = {
            "questions_asked": len(row_ids),
            "questions_lost": len(lost),
            "lost": lost[:50],
            "http_5xx": row["http_5xx"],
            "restarts": row["restarts"],
            "ask_to_offer_p50_ms": row["ask_to_offer_p50_ms"],
            "ask_to_offer_p99_ms": row["ask_to_offer_p99_ms"],
            # Without the first minute's warm-up.
            "steady_ask_to_offer_p50_ms": percentile(steady, 0.5),
            "steady_ask_to_offer_p99_ms": percentile(steady, 0.99),
            "traceback_lines": log_path.read_text(errors="replace").count("Traceback"),
        }
        report(row, final)
        print("soak: final", json.dumps(final, default=str), flush=True)
    finally:
        stop_asking.set()
        stop_experts.set()
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        log.close()
        kept = Path(args.report).with_suffix(".runall.log")
        shutil.copy(log_path, kept)
        print(f"soak: runall log copied to {kept}", flush=True)
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
