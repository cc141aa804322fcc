"""Logging filters (wired in settings ``LOGGING``).

Beat sends the routing sweep every 5 s and the outbox sweep every 15 s; without this, beat
and the worker print three lines per sweep ("Sending due task", "received", "succeeded")
and the terminal of ``make run`` scrolls with nothing happening.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A count other than zero in the task's repr'd result: {'expired': 0, 'routed': 2} or 3.
_DID_SOMETHING = re.compile(r"(?<![\w.])[1-9]\d*")


class QuietPeriodicTasks(logging.Filter):
    """Drop the INFO chatter of the named periodic tasks, keep what matters.

    - beat's "Sending due task <name>" and the worker's "Task <name>[id] received": dropped;
    - the worker's "Task <name>[id] succeeded ...: <result>": kept only when the result
      holds a non-zero count (the sweep expired, routed or re-delivered something) and is
      not a skipped run;
    - anything at WARNING or above (failures, retries, crashes) always passes.
    """

    def __init__(self, tasks: Iterable[str] = ()) -> None:
        super().__init__()
        self.tasks = frozenset(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        args = record.args
        if isinstance(args, dict):  # celery.app.trace and celery.worker.strategy
            if args.get("name") not in self.tasks:
                return True
            result = args.get("return_value")
            if result is None:
                return False  # "received"
            text = str(result)
            return "skipped" not in text and bool(_DID_SOMETHING.search(text))
        if isinstance(args, tuple):  # celery.beat: "Sending due task %s (%s)"
            return not any(isinstance(arg, str) and arg in self.tasks for arg in args)
        return True
