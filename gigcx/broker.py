"""The embedded broker: a kombu transport kept in a SQLite file, for ``make run`` without Redis.

``CELERY_BROKER_URL = "sqlite-broker://"`` selects it; ``broker_transport_options`` give
``path`` (the SQLite file, apart from the application database), ``polling_interval``
(seconds between polls of empty queues), ``visibility_timeout`` (how long a fetched
message stays claimed) and ``queue_order`` (queues a consumer serves first; see
:meth:`Channel._poll`). It is built for one machine with several processes (web, worker,
beat, ``celery inspect``), not for a fleet.

Delivery is at least once:

- publishing inserts a row; fetching *claims* it (``visible_at`` moves into the future and
  ``claimed_by`` names the channel) inside ``BEGIN IMMEDIATE``, so two consumers never
  claim the same row;
- an ack deletes the row; a reject with requeue, a closing channel (warm shutdown) and an
  expired claim make it visible again;
- a consumer renews its claims while it polls, so a long task is not handed to a second
  worker; the messages of a consumer that died (SIGKILL, the OOM killer) come back as soon
  as another consumer on the machine sees that its pid is gone, and in any case (a consumer
  stuck, or on another host) when its claim runs out after ``visibility_timeout`` seconds.

Exchanges and bindings live in the file too, so fanout (Celery's broadcast mailbox used by
``celery inspect``) and replies reach other processes. Queues declared ``auto_delete`` are
removed when the channel that declared them closes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, virtual

logger = logging.getLogger(__name__)

SCHEME = "sqlite-broker"
DEFAULT_POLLING_INTERVAL = 0.05
DEFAULT_VISIBILITY_TIMEOUT = 60.0
BUSY_TIMEOUT = 30.0
OWNER_CHECK_SECONDS = 5.0
# With ``queue_order``, one claim in this many goes round the queues instead (kombu's order).
FAIR_EVERY = 3
HOST = socket.gethostname()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    -- AUTOINCREMENT: an id is never reused, so a late ack cannot delete a newer message.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    claimed_by TEXT,
    deliveries INTEGER NOT NULL DEFAULT 0,
    -- Deliveries whose task body started (EmbeddedDeliveryCounter), for the redelivery limit.
    started INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL
);
-- In claim order: a claim reads the first visible row instead of sorting the backlog
-- (4 ms -> 0.1 ms per message with 20,000 queued).
CREATE INDEX IF NOT EXISTS message_order ON message (queue, priority, id);
DROP INDEX IF EXISTS message_ready;
CREATE TABLE IF NOT EXISTS queue (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS binding (
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    pattern TEXT NOT NULL,
    queue TEXT NOT NULL,
    PRIMARY KEY (exchange, routing_key, pattern, queue)
);
"""


def register() -> None:
    """Make ``sqlite-broker://`` a kombu URL scheme (idempotent)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, "gigcx.broker:Transport")


class Store:
    """One SQLite file, one connection per thread (ack arrives from Celery's result thread)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = self.db()
        # WAL: pollers read while one process writes. NORMAL is durable across a process
        # crash (not a power cut), which is what an embedded broker needs.
        _retry_locked(lambda: db.execute("PRAGMA journal_mode=WAL"))
        with self.immediate() as tx:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    tx.execute(statement)
            columns = {row[1] for row in tx.execute("PRAGMA table_info(message)")}
            if "started" not in columns:  # a file made before the delivery counter
                tx.execute("ALTER TABLE message ADD COLUMN started INTEGER NOT NULL DEFAULT 0")

    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: we issue BEGIN ourselves, single statements autocommit.
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def immediate(self) -> _Immediate:
        return _Immediate(self.db())


class _Immediate:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: takes the write lock up front, so a read-then-write
    (the claim) cannot interleave with another process doing the same."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _retry_locked(call: Any, attempts: int = 50) -> Any:
    for attempt in range(attempts):
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)
    return None


_stores: dict[tuple[int, str], Store] = {}
_stores_lock = threading.Lock()


def store_for(path: str) -> Store:
    """The process's store for ``path``; a forked child opens its own connections."""
    key = (os.getpid(), str(Path(path).resolve()))
    with _stores_lock:
        if key not in _stores:
            _stores[key] = Store(key[1])
        return _stores[key]


def _process_is_gone(owner: str) -> bool:
    """True only when ``owner`` ("<host>/<pid>/...") names a pid of this host that no longer
    runs. A reused pid reads as alive: the claim then simply runs out."""
    try:
        pid = int(owner.split("/")[1])
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (IndexError, ValueError, PermissionError):
        return False
    return False


def _row_id(delivery_tag: str) -> int:
    return int(str(delivery_tag).split(":", 1)[0])


class QoS(virtual.QoS):
    """Acks delete the claimed row; rejects delete it or give it back."""

    def ack(self, delivery_tag: str) -> None:
        self.channel._forget(delivery_tag)
        super().ack(delivery_tag)
        self.channel.wake_consumer()

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if not requeue:
            self.channel._forget(delivery_tag)
        super().reject(delivery_tag, requeue=requeue)
        self.channel.wake_consumer()

    def outstanding_ids(self) -> list[int]:
        """Rows this channel holds and has not acked (consumer thread only)."""
        dirty = self._dirty
        return [_row_id(tag) for tag in list(self._delivered) if tag not in dirty]


class Channel(virtual.Channel):
    QoS = QoS
    supports_fanout = True
    from_transport_options = (
        *virtual.Channel.from_transport_options,
        "path",
        "visibility_timeout",
        "queue_order",
    )
    path: str | None = None
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    queue_order: tuple[str, ...] | list[str] = ()

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        path = self.path or (connection.client.virtual_host or "").lstrip("/") or None
        if not path or path == "/":
            raise ValueError(
                "The sqlite-broker transport needs a file: broker_transport_options['path']."
            )
        self.visibility_timeout = float(self.visibility_timeout)
        self.store = store_for(path)
        # "<host>/<pid>/<random>": the host and pid let a neighbour see that we died.
        self._token = f"{HOST}/{os.getpid()}/{uuid.uuid4().hex[:12]}"
        self._owners_checked_at = 0.0
        self._no_ack_queues: set[str] = set()
        self._auto_delete_queues: set[str] = set()
        self._renewed_at = time.monotonic()
        self._claims = 0

    # -- queues and bindings, shared by every process through the file -----------------

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        if kwargs.get("auto_delete"):
            self._auto_delete_queues.add(queue)
        self.store.db().execute("INSERT OR IGNORE INTO queue (name) VALUES (?)", (queue,))

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        row = self.store.db().execute("SELECT 1 FROM queue WHERE name = ?", (queue,)).fetchone()
        return row is not None

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        self.store.db().execute(
            "INSERT OR IGNORE INTO binding VALUES (?, ?, ?, ?)",
            (exchange, routing_key or "", pattern or "", queue),
        )

    def queue_unbind(
        self, queue: str, exchange: str | None = None, routing_key: str = "", **kwargs: Any
    ) -> None:
        super().queue_unbind(queue, exchange, routing_key, **kwargs)
        self.store.db().execute(
            "DELETE FROM binding WHERE queue = ? AND exchange = ? AND routing_key = ?",
            (queue, exchange or "", routing_key or ""),
        )

    def get_table(self, exchange: str) -> list[tuple[str, str, str]]:
        rows = self.store.db().execute(
            "SELECT routing_key, pattern, queue FROM binding WHERE exchange = ?", (exchange,)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        with self.store.immediate() as tx:
            tx.execute("DELETE FROM message WHERE queue = ?", (queue,))
            tx.execute("DELETE FROM binding WHERE queue = ?", (queue,))
            tx.execute("DELETE FROM queue WHERE name = ?", (queue,))

    def _size(self, queue: str) -> int:
        (count,) = (
            self.store.db()
            .execute("SELECT COUNT(*) FROM message WHERE queue = ?", (queue,))
            .fetchone()
        )
        return int(count)

    def _purge(self, queue: str) -> int:
        cursor = self.store.db().execute(
            "DELETE FROM message WHERE queue = ? AND visible_at <= ?", (queue, time.time())
        )
        return cursor.rowcount

    # -- messages -------------------------------------------------------------------

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        self.store.db().execute(
            "INSERT INTO message (queue, priority, visible_at, payload) VALUES (?, ?, ?, ?)",
            (
                queue,
                self._get_message_priority(message, reverse=True),
                time.time(),
                json.dumps(message),
            ),
        )

    def _put_fanout(
        self, exchange: str, message: dict[str, Any], routing_key: str, **kwargs: Any
    ) -> None:
        payload = json.dumps(message)
        priority = self._get_message_priority(message, reverse=True)
        with self.store.immediate() as tx:
            tx.execute(
                "INSERT INTO message (queue, priority, visible_at, payload)"
                " SELECT DISTINCT queue, ?, ?, ? FROM binding WHERE exchange = ?",
                (priority, time.time(), payload, exchange),
            )

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        db = self.store.db()
        now = time.time()
        ready = "SELECT id FROM message WHERE queue = ? AND visible_at <= ?"
        # A plain read first: polling an empty queue must not take the write lock.
        if db.execute(ready + " LIMIT 1", (queue, now)).fetchone() is None:
            raise Empty()
        with self.store.immediate() as tx:
            row = tx.execute(
                "SELECT id, deliveries, payload FROM message"
                " WHERE queue = ? AND visible_at <= ? ORDER BY priority, id LIMIT 1",
                (queue, now),
            ).fetchone()
            if row is None:
                raise Empty()
            row_id, deliveries, payload = row
            if queue in self._no_ack_queues:
                # Nobody will ack it (replies, broadcasts): taking it is consuming it.
                tx.execute("DELETE FROM message WHERE id = ?", (row_id,))
            else:
                tx.execute(
                    "UPDATE message SET visible_at = ?, claimed_by = ?,"
                    " deliveries = deliveries + 1 WHERE id = ?",
                    (now + self.visibility_timeout, self._token, row_id),
                )
        message: dict[str, Any] = json.loads(payload)
        # A fresh tag per claim that still names the row: "<row id>:<delivery number>".
        message["properties"]["delivery_tag"] = f"{row_id}:{deliveries + 1}"
        message["properties"].setdefault("delivery_info", {})["redelivered"] = deliveries > 0
        return message

    def _forget(self, delivery_tag: str) -> None:
        """Delete an acked (or dropped) row, whoever holds it now."""
        try:
            self.store.db().execute("DELETE FROM message WHERE id = ?", (_row_id(delivery_tag),))
        except sqlite3.OperationalError:
            # Not renewed any more, so it comes back after the claim expires: at least once.
            logger.warning("broker: could not delete acked message %s", delivery_tag)

    def _restore(self, message: Any) -> None:
        """Give an unacked message back (reject with requeue, channel close)."""
        self.store.db().execute(
            "UPDATE message SET visible_at = ?, claimed_by = NULL WHERE id = ? AND claimed_by = ?",
            (time.time(), _row_id(message.delivery_tag), self._token),
        )

    def _restore_at_beginning(self, message: Any) -> None:
        self._restore(message)

    def wake_consumer(self) -> None:
        """A prefetch slot is free: poll now rather than after the rest of the interval."""
        transport = self.connection
        if transport is not None:
            transport.slot_freed.set()

    def release_dead_claims(self) -> None:
        """Give back at once the messages claimed by a process of this host that has died
        (a worker killed by SIGKILL or the OOM killer), instead of after its claim expires."""
        if time.monotonic() - self._owners_checked_at < OWNER_CHECK_SECONDS:
            return
        self._owners_checked_at = time.monotonic()
        db = self.store.db()
        owners = db.execute(
            "SELECT DISTINCT claimed_by FROM message WHERE claimed_by LIKE ? AND visible_at > ?",
            (f"{HOST}/%", time.time()),
        ).fetchall()
        for (owner,) in owners:
            if _process_is_gone(owner):
                db.execute(
                    "UPDATE message SET visible_at = ?, claimed_by = NULL WHERE claimed_by = ?",
                    (time.time(), owner),
                )
                logger.warning("broker: gave back the messages of dead consumer %s", owner)

    def renew_claims(self, force: bool = False) -> None:
        """Push back the deadline of the messages this channel holds (consumer thread)."""
        if not force and time.monotonic() - self._renewed_at < self.visibility_timeout / 3:
            return
        self._renewed_at = time.monotonic()
        ids = self._qos.outstanding_ids() if self._qos is not None else []
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        # Only "?" placeholders are formatted into the statement; the ids are parameters.
        self.store.db().execute(
            f"UPDATE message SET visible_at = ? WHERE claimed_by = ? AND id IN ({marks})",  # noqa: S608  # nosec B608
            (time.time() + self.visibility_timeout, self._token, *ids),
        )

    # -- consumers --------------------------------------------------------------------

    def _poll(self, cycle: Any, callback: Any, timeout: float | None = None) -> Any:
        """Claim the next message for this consumer.

        kombu goes round the queues, one claim each. With ``queue_order`` the first queue of
        that list with a ready message is served instead (queues it does not name come
        last), except on every ``FAIR_EVERY``-th claim, which goes round as kombu does: a
        flood on the first queue (a burst of questions to triage on ``routing``) slows the
        others down (outbox deliveries, emails on ``default``) but never stops them.
        """
        if not self.queue_order or self._claims % FAIR_EVERY == FAIR_EVERY - 1:
            delivered = super()._poll(cycle, callback, timeout=timeout)
        else:
            rank = {name: n for n, name in enumerate(self.queue_order)}
            queues = sorted(self._active_queues, key=lambda queue: rank.get(queue, len(rank)))
            for queue in queues:
                try:
                    message = self._get(queue)
                except Empty:
                    continue
                delivered = callback(message, queue)
                break
            else:
                raise Empty()
        self._claims += 1
        return delivered

    def basic_consume(
        self, queue: str, no_ack: bool, callback: Any, consumer_tag: str, **kwargs: Any
    ) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        try:
            return super().basic_get(queue, no_ack=no_ack, **kwargs)
        finally:
            if no_ack and queue not in self._active_queues:
                self._no_ack_queues.discard(queue)

    def drain_events(self, timeout: float | None = None, callback: Any = None) -> Any:
        self.renew_claims()
        self.release_dead_claims()
        return super().drain_events(timeout=timeout, callback=callback)

    def close(self) -> None:
        if self.closed:
            return
        super().close()  # gives unacked messages back
        for queue in self._auto_delete_queues:
            try:
                self._delete(queue)
            except sqlite3.OperationalError:
                logger.warning("broker: could not delete auto-delete queue %s", queue)


class Transport(virtual.Transport):
    Channel = Channel
    polling_interval = DEFAULT_POLLING_INTERVAL
    default_port = None
    driver_type = "sqlite"
    driver_name = "sqlite3"
    # "database is locked" past the busy timeout: kombu and Celery reconnect and retry.
    connection_errors = (*virtual.Transport.connection_errors, sqlite3.OperationalError)
    implements = virtual.Transport.implements.extend(
        exchange_type=frozenset(["direct", "topic", "fanout"]),
    )

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.slot_freed = threading.Event()

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        """kombu's polling loop, except that the pause between polls ends early when an ack
        frees a prefetch slot: with prefetch 1 a worker would otherwise idle a whole
        interval after every task."""
        started = time.monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        while True:
            self.slot_freed.clear()
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise TimeoutError() from None
                if interval:
                    self.slot_freed.wait(interval)

    @property
    def default_connection_params(self) -> dict[str, Any]:
        # A file has no host; an empty one keeps kombu from warning that it "reverted" to one.
        return {"port": None, "hostname": ""}

    def driver_version(self) -> str:
        return sqlite3.sqlite_version


class EmbeddedDeliveryCounter:
    """Counts the deliveries of a task message on the message's own row, in the broker file.

    The redelivery limit (gigcx.deadletters) needs to know how often a message was handed
    to a task body that never finished. Kept in the application database, that is a row
    written in its own transaction before the body and deleted after: two more write
    transactions per task in the SQLite file that web, worker and beat all write to. The
    broker already holds the message, so here it is one ``UPDATE`` of that row in the
    broker's file before the body, and nothing after: the ack deletes the row, count and
    all. A message given back (its worker killed mid-task, a claim run out) keeps its row
    and so its count; an autoretry is a new message, a new row, whose count starts over.
    Only runs of the body count (``started``), not claims: a prefetched message given back
    at a warm shutdown never ran.

    Same methods as the counters of gigcx.deadletters (``count``, ``clear``).
    """

    def __init__(self, store: Store, row_id: int) -> None:
        self.store = store
        self.row_id = row_id

    @classmethod
    def for_current_task(cls) -> EmbeddedDeliveryCounter | None:
        """The counter of the message the running task came from, when the embedded broker
        delivered it; None for a task delivered by another broker or run eagerly."""
        from celery._state import get_current_task

        task = get_current_task()
        if task is None or not str(task.app.conf.broker_url or "").startswith(f"{SCHEME}://"):
            return None
        request = task.request
        tag = (getattr(request, "properties", None) or {}).get("delivery_tag")
        path = (task.app.conf.broker_transport_options or {}).get("path")
        if request.is_eager or not tag or not path:
            return None
        try:
            row_id = _row_id(tag)
        except ValueError:
            return None
        return cls(store_for(path), row_id)

    def count(self, *, task_id: str, name: str, retries: int) -> int | None:
        """Count one run of the body; how many there have been, this one included. None
        when it could not be counted (the delivery is then admitted)."""
        try:
            # fetchall: the statement must run to its end, or it keeps the write lock.
            rows = (
                self.store.db()
                .execute(
                    "UPDATE message SET started = started + 1 WHERE id = ? RETURNING started",
                    (self.row_id,),
                )
                .fetchall()
            )
        except sqlite3.OperationalError as exc:
            logger.warning("task %s %s: delivery not counted (broker: %s)", name, task_id, exc)
            return None
        return int(rows[0][0]) if rows else None

    def clear(self, *, task_id: str, name: str, retries: int) -> None:
        """Nothing to do: the ack deletes the message's row, and its count with it."""


register()
