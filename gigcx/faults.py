"""Failpoints: named places where a fault-injection test can stop or kill a process.

Production code calls :func:`failpoint` at the moments a crash hurts most (between analysing
a question and writing the result, while a question's row lock is held, between claiming an
event delivery and running its handler). Nothing happens unless the environment names the
point before the process starts::

    GIGCX_FAILPOINTS="triage.write=sleep:10@1,event.claimed=exit"
    GIGCX_FAILPOINTS_FILE=/tmp/reached.log

Actions: ``sleep:SECONDS``, ``exit`` (``os._exit``, a crash without cleanup, which is
what a poison message does to a worker child) or ``error`` (raise ``OperationalError``, the
transient database error tasks retry on). ``@N`` acts on the first N times the point is
reached, counted across processes through the marker file, so a redelivered task runs
normally. Every time the point is reached, a line ``name pid key`` is appended to the marker
file *before* acting, so a test can wait for it and kill exactly that process at that moment,
and count how many deliveries got that far.

The environment is read once at import; when it is unset ``failpoint`` returns at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    kind: str  # "sleep", "exit" or "error"
    seconds: float = 0.0
    times: int | None = None  # act on the first N hits only; None: every hit


def parse(spec: str) -> dict[str, Action]:
    """``"a=sleep:2@1,b=exit"`` -> {"a": Action("sleep", 2.0, 1), "b": Action("exit")}."""
    actions: dict[str, Action] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, rest = item.partition("=")
        action, _, times = rest.partition("@")
        kind, _, argument = action.partition(":")
        try:
            if not sep or not name or kind not in {"sleep", "exit", "error"}:
                raise ValueError
            actions[name.strip()] = Action(
                kind=kind,
                seconds=float(argument) if kind == "sleep" else 0.0,
                times=int(times) if times else None,
            )
        except ValueError:
            raise ImproperlyConfigured(
                f"GIGCX_FAILPOINTS item {item!r}: use name=sleep:SECONDS[@N], name=exit[@N] "
                "or name=error[@N]."
            ) from None
    return actions


_ACTIONS = parse(os.environ.get("GIGCX_FAILPOINTS", ""))
_MARKER = os.environ.get("GIGCX_FAILPOINTS_FILE", "")
_hits: dict[str, int] = {}  # per process, when there is no marker file to count in


def failpoint(name: str, key: object = "") -> None:
    """Sleep or exit here if the environment says so; otherwise do nothing."""
    if not _ACTIONS:
        return
    action = _ACTIONS.get(name)
    if action is None:
        return
    hit = _reached(name, key)
    if action.times is not None and hit > action.times:
        return
    logger.warning("failpoint %s (%s) reached in pid %s: %s", name, key, os.getpid(), action)
    if action.kind == "exit":
        os._exit(70)
    if action.kind == "error":
        raise OperationalError(f"failpoint {name}")
    time.sleep(action.seconds)


def _reached(name: str, key: object) -> int:
    """Record the hit and return how many times the point has been reached (this one too)."""
    if not _MARKER:
        _hits[name] = _hits.get(name, 0) + 1
        return _hits[name]
    with open(_MARKER, "a+", encoding="utf-8") as marker:
        fcntl.flock(marker, fcntl.LOCK_EX)  # count and append as one step across processes
        marker.seek(0)
        hit = 1 + sum(1 for line in marker if line.split(" ", 1)[0] == name)
        marker.write(f"{name} {os.getpid()} {key}\n")
    return hit
