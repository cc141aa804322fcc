"""A workaround in kombu's Redis transport, applied where the Celery app is created.

When Redis goes away, Celery's consumer first ``collect()``s the broken connection (which
drops the transport's link to its connection settings) and then closes it; closing the
channel restores its unacknowledged messages, which needs a new Redis client, which needs
those settings: ``AttributeError: 'NoneType' object has no attribute 'hostname'``. That is
not a connection error, so the worker treats it as unrecoverable and exits. It happens
whenever the worker had a task running and was waiting for more (a free pool slot), which
is the usual state of a worker with more than one child (celery/kombu#582 and #970 are the
same failure on other paths). tests/integration/test_celery_faults.py restarts Redis under
exactly that load.

With the connection gone there is nothing to restore through anyway: the messages are still
in Redis' unacknowledged set, and the transport hands them out again after the visibility
timeout. So the restore is skipped, as a worker with no free slot already does.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def patch_redis_restore_after_collect() -> None:
    from kombu.transport import redis as redis_transport

    original = redis_transport.QoS.restore_unacked
    if getattr(original, "gigcx_patched", False):
        return

    def restore_unacked(self: Any, client: Any = None) -> Any:
        if client is None and getattr(self.channel.connection, "client", None) is None:
            logger.warning(
                "broker connection lost: %d unacknowledged message(s) stay in Redis and "
                "return after the visibility timeout",
                len(self._delivered),
            )
            self._delivered.clear()
            return None
        return original(self, client)

    restore_unacked.gigcx_patched = True  # type: ignore[attr-defined]
    redis_transport.QoS.restore_unacked = restore_unacked
