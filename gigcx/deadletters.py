"""Bounded redelivery and the dead-letter table.

With ``acks_late`` and ``task_reject_on_worker_lost`` a task whose worker child dies is put
back on the queue, which is what keeps work from being lost. Celery has no redelivery
limit, though: a message that kills its worker every time (a poison message) would loop
forever. Every task of the project derives from :class:`GigcxTask`, which counts
deliveries per message before the body runs. After ``GIGCX_TASK_MAX_DELIVERIES`` deliveries
that never finished, the body is not run again: a :class:`~gigcx.models.DeadLetter` row is
written and an ERROR logged. A task that raises after its retries ran out (``autoretry_for``
exhausted, or no retry policy) lands there too. ``manage.py deadletters`` lists them and
re-enqueues one after a fix.

Where the count is kept follows the broker (:func:`delivery_counter`): in the broker's own
Redis when it is Redis (one pipelined INCR before the body, one DEL after: a Redis round
trip each, against the two PostgreSQL transactions that made a no-op task six times
slower); for a message of the embedded broker on the message's own row in the broker's file
(:class:`gigcx.broker.EmbeddedDeliveryCounter`: one UPDATE before the body, nothing after,
since the ack deletes the row); otherwise in the database (:class:`~gigcx.models.TaskAttempt`).
The dead letters themselves are always rows in the database.

Models are imported inside the functions: the Celery app imports this module before
Django's app registry is ready.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from celery.contrib.django.task import DjangoTask
from celery.utils import uuid
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class GigcxTask(DjangoTask):
    """The base class of every task (``delay_on_commit`` included), with a delivery limit.

    Only deliveries from a broker count: eager runs and direct calls (a sweeper calling
    another task's function) run the body as they are.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.called_directly or request.is_eager:
            return super().__call__(*args, **kwargs)
        admitted = task_delivery_admit(
            task_id=request.id,
            name=self.name,
            retries=request.retries or 0,
            args=list(args),
            kwargs=dict(kwargs),
        )
        if not admitted:
            return None  # acknowledged: the message is now a dead letter
        result = super().__call__(*args, **kwargs)
        task_delivery_done(task_id=request.id, name=self.name, retries=request.retries or 0)
        return result

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """The task raised and will not be retried: keep it for an operator."""
        super().on_failure(exc, task_id, args, kwargs, einfo)
        request = self.request
        if request.called_directly or request.is_eager:
            return
        dead_letter_record(
            task_id=task_id,
            name=self.name,
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            reason="failed",
            attempts=(request.retries or 0) + 1,
            error=f"{type(exc).__name__}: {exc}",
        )
        # It ended (badly): no longer a delivery to count.
        task_delivery_done(task_id=task_id, name=self.name, retries=request.retries or 0)


# How long a delivery count outlives the last delivery of its message. A message whose
# count is older was lost with the broker's data; the database sweepers redo its work.
DELIVERY_COUNT_KEEP = timedelta(days=1)


class DeliveryCounter(Protocol):
    """Where the deliveries of task messages are counted.

    A message is one task id at one retry number: an autoretry is a new message under the
    same id, so its count starts over.
    """

    def count(self, *, task_id: str, name: str, retries: int) -> int | None:
        """Count one delivery; how many there have been, this one included. None when the
        count could not be kept (the delivery is admitted)."""
        ...

    def clear(self, *, task_id: str, name: str, retries: int) -> None:
        """The message finished (well or for good): forget its count."""
        ...


class DatabaseDeliveryCounter:
    """Counts in PostgreSQL (:class:`~gigcx.models.TaskAttempt`): a row locked and written
    in its own transaction before the body, deleted after. Used with the embedded broker."""

    def count(self, *, task_id: str, name: str, retries: int) -> int | None:
        from gigcx.models import TaskAttempt

        try:
            with transaction.atomic():
                attempt, created = TaskAttempt.objects.select_for_update().get_or_create(
                    task_id=task_id, defaults={"name": name, "retries": retries, "attempts": 1}
                )
                if not created:
                    # An autoretry is a new message under the same id: its count starts over.
                    attempt.attempts = attempt.attempts + 1 if attempt.retries == retries else 1
                    attempt.retries = retries
                    attempt.save(update_fields=["attempts", "retries", "last_seen"])
        except DatabaseError:
            logger.warning("task %s %s: delivery not counted (database error)", name, task_id)
            return None
        return int(attempt.attempts)

    def clear(self, *, task_id: str, name: str, retries: int) -> None:
        from gigcx.models import TaskAttempt

        try:
            TaskAttempt.objects.filter(task_id=task_id).delete()
        except DatabaseError:
            logger.warning("task %s: delivery count not cleared (database error)", task_id)


class RedisDeliveryCounter:
    """Counts in the broker's Redis: ``INCR`` and ``EXPIRE`` of a key per message in one
    pipelined round trip before the body, ``DEL`` after. A count left behind (the process
    died, Redis was unreachable for the ``DEL``) expires after :data:`DELIVERY_COUNT_KEEP`.

    One connection pool per process and URL (redis-py makes a new one in a forked child).
    Socket timeouts are the broker's: a Redis that hangs delays a task by seconds, never
    for ever, and the delivery is then admitted uncounted.
    """

    PREFIX = "gigcx:deliveries"

    def __init__(self, url: str) -> None:
        import redis

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=options.get("socket_timeout", 5),
            socket_connect_timeout=options.get("socket_connect_timeout", 2),
            health_check_interval=options.get("health_check_interval", 10),
        )

    @classmethod
    def key(cls, *, task_id: str, name: str, retries: int) -> str:
        """The task name leads, so an operator can list one task's counts with --scan."""
        return f"{cls.PREFIX}:{name}:{task_id}:{retries}"

    def count(self, *, task_id: str, name: str, retries: int) -> int | None:
        from redis.exceptions import RedisError

        key = self.key(task_id=task_id, name=name, retries=retries)
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(DELIVERY_COUNT_KEEP.total_seconds()))
        if retries:
            # The message this autoretry replaces raised, so its count was never cleared.
            pipe.delete(self.key(task_id=task_id, name=name, retries=retries - 1))
        try:
            attempts = pipe.execute()[0]
        except (RedisError, OSError) as exc:
            logger.warning(
                "task %s %s: delivery not counted (Redis: %s)", name, task_id, type(exc).__name__
            )
            return None
        return int(attempts)

    def clear(self, *, task_id: str, name: str, retries: int) -> None:
        from redis.exceptions import RedisError

        try:
            self.client.delete(self.key(task_id=task_id, name=name, retries=retries))
        except (RedisError, OSError):
            logger.warning("task %s: delivery count not cleared (Redis unreachable)", task_id)


_database_counter = DatabaseDeliveryCounter()
_redis_counters: dict[str, RedisDeliveryCounter] = {}


def delivery_counter() -> DeliveryCounter:
    """The counter for the broker this process uses: Redis keeps the counts itself, the
    embedded broker on the message's row, any other broker counts in the database.
    ``GIGCX_TASK_DELIVERY_COUNTER=database`` keeps the counts in the database whatever the
    broker."""
    from gigcx.broker import EmbeddedDeliveryCounter
    from gigcx.celery import app

    if settings.GIGCX_TASK_DELIVERY_COUNTER != "database":
        # The embedded broker counts on the message's own row (None for other brokers).
        embedded = EmbeddedDeliveryCounter.for_current_task()
        if embedded is not None:
            return embedded
    url = app.conf.broker_url or ""
    if settings.GIGCX_TASK_DELIVERY_COUNTER == "database" or not url.startswith(
        ("redis://", "rediss://")
    ):
        return _database_counter
    url = url.split(";", 1)[0]  # kombu's fail-over list: the first server is the one in use
    counter = _redis_counters.get(url)
    if counter is None:
        counter = _redis_counters[url] = RedisDeliveryCounter(url)
    return counter


def task_delivery_admit(
    *, task_id: str, name: str, retries: int, args: list[Any], kwargs: dict[str, Any]
) -> bool:
    """Count one delivery of a task message; False when the body must not run again.

    The count is kept before the body runs, so a delivery that crashes the process is still
    counted. When the counter cannot be reached the delivery is admitted (the body meets
    the same outage and its own retry policy).
    """
    attempts = delivery_counter().count(task_id=task_id, name=name, retries=retries)
    if attempts is None or attempts <= settings.GIGCX_TASK_MAX_DELIVERIES:
        return True
    dead_letter_record(
        task_id=task_id,
        name=name,
        args=args,
        kwargs=kwargs,
        reason="poison",
        attempts=attempts - 1,
        error=f"Delivered {attempts - 1} times without finishing (worker killed or hung).",
    )
    return False


def task_delivery_done(*, task_id: str, name: str = "", retries: int = 0) -> None:
    """The body returned, or failed for good: forget the count. A failure here only leaves
    a count to expire or prune."""
    delivery_counter().clear(task_id=task_id, name=name, retries=retries)


def task_attempts_prune(*, older_than: timedelta) -> int:
    """Delete counts kept in PostgreSQL of messages not seen for a while (lost with a
    flushed broker). Counts in Redis expire by themselves."""
    from gigcx.models import TaskAttempt

    cutoff = timezone.now() - older_than
    deleted, _ = TaskAttempt.objects.filter(last_seen__lt=cutoff).delete()
    return deleted


def dead_letter_record(
    *,
    task_id: str,
    name: str,
    args: list[Any],
    kwargs: dict[str, Any],
    reason: str,
    attempts: int,
    error: str,
) -> None:
    """Write the dead letter (once per open task id) and log an ERROR for the alerting."""
    from gigcx.models import DeadLetter

    logger.error(
        "task %s %s dead-lettered (%s) after %d attempt(s): %s",
        name,
        task_id,
        reason,
        attempts,
        error,
    )
    try:
        with transaction.atomic():
            DeadLetter.objects.get_or_create(
                task_id=task_id,
                resolved_at=None,
                defaults={
                    "name": name,
                    "args": args,
                    "kwargs": kwargs,
                    "reason": reason,
                    "attempts": attempts,
                    "last_error": error[:2000],
                },
            )
    except IntegrityError:
        pass  # a concurrent delivery of the same message recorded it first
    except DatabaseError:
        logger.exception("task %s %s: dead letter could not be written", name, task_id)


def dead_letter_retry(*, dead_letter_id: int, actor: Any = None) -> str:
    """Enqueue the task again under a new id (a fresh delivery count) and close the row.

    Returns the new task id. Raises NotFoundError for an unknown or already closed row.
    """
    from gigcx.audit import audit_record
    from gigcx.celery import app
    from gigcx.exceptions import NotFoundError
    from gigcx.models import DeadLetter

    with transaction.atomic():
        letter = (
            DeadLetter.objects.select_for_update()
            .filter(pk=dead_letter_id, resolved_at__isnull=True)
            .first()
        )
        if letter is None:
            raise NotFoundError(gettext("No such open dead letter."))
        new_id = uuid()
        letter.resolved_at = timezone.now()
        letter.resolution = f"retried as {new_id}"
        letter.save(update_fields=["resolved_at", "resolution"])
        audit_record(actor=actor, action="dead_letter.retried", target=letter)
        transaction.on_commit(
            lambda: app.send_task(letter.name, letter.args, letter.kwargs, task_id=new_id)
        )
    return new_id


def dead_letter_discard(*, dead_letter_id: int, actor: Any = None) -> None:
    """Close a dead letter without running it (the work was done another way)."""
    from gigcx.audit import audit_record
    from gigcx.exceptions import NotFoundError
    from gigcx.models import DeadLetter

    with transaction.atomic():
        closed = DeadLetter.objects.filter(pk=dead_letter_id, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolution="discarded"
        )
        if not closed:
            raise NotFoundError(gettext("No such open dead letter."))
        audit_record(
            actor=actor,
            action="dead_letter.discarded",
            target=DeadLetter.objects.get(pk=dead_letter_id),
        )
