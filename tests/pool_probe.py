# ruff: noqa: T201 - it reports to the test through stdout
"""Run by tests/test_faults.py in its own process: many threads, a pool of 3.

Prints how many distinct PostgreSQL backends served 12 threads, the status of a request made
while every pooled connection is busy, and of one made after they are given back.
"""

import threading

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402

backends: set[int] = set()
lock = threading.Lock()


def work(seconds: float, holding: threading.Semaphore | None = None) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            if holding is not None:
                holding.release()  # this thread has its connection now
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        with lock:
            backends.add(pid)
    finally:
        connections.close_all()  # give the connection back to the pool


threads = [threading.Thread(target=work, args=(0.1,)) for _ in range(12)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"backends={len(backends)}")

holding = threading.Semaphore(0)
holders = [threading.Thread(target=work, args=(4, holding)) for _ in range(3)]
for thread in holders:
    thread.start()
for _ in holders:
    holding.acquire(timeout=30)  # every pooled connection is now busy for 4 s
response = Client(raise_request_exception=False).post(
    "/api/v1/brands/acme/questions",
    {"body": "Does this pool ever run dry?", "contact_email": "p@x.example"},
    content_type="application/json",
)
print(f"while_full={response.status_code}")
print(f"retry_after={response.get('Retry-After')}")
for thread in holders:
    thread.join()
connections.close_all()
print(f"after={Client().get('/healthz').status_code}")
