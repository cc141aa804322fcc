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


# Secrets that travel in addresses and headers: the customer's private-link token (legacy
# /q/<id>/<token>/ and the #t= fragment the page reads), invitation, rating-link, password
# reset and email confirmation keys, API keys, session tokens.
_SECRET_PATHS = re.compile(
    r"(/(?:q/\d+|invitations|rate|accounts/password/reset/key|accounts/confirm-email)/)"
    r"(?!\[token\])([^/\s?#\"'<>]+)"
)
_SECRET_FIELDS = re.compile(
    r"(?i)((?:x-question-token|x-session-token|session_token|access_token|api[-_]key|token"
    r"|key)[\"']?\s*[:=]\s*[\"']?|api-key\s+|[?&#](?:t|token|key)=)"
    r"(?!\[token\])([A-Za-z0-9_\-.:%]{6,})"
)
MASK = "[token]"


def scrub_secrets(text: str) -> str:
    """``text`` with every token-like value above replaced by ``[token]``."""
    text = _SECRET_PATHS.sub(lambda m: m.group(1) + MASK, text)
    return _SECRET_FIELDS.sub(lambda m: m.group(1) + MASK, text)


class ScrubSecrets(logging.Filter):
    """Mask tokens and keys in a record's message (request lines, "Not Found: <path>").

    The record is rewritten in place, so every handler after this one (and any test's
    log capture) sees the masked text. It is attached to the console handler and to the
    loggers that print request paths (settings ``LOGGING``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return True
        scrubbed = scrub_secrets(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
