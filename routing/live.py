"""Live pushes to consoles, sent after commit. Payloads carry ids and statuses only."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from gigcx.realtime import push_to_user

logger = logging.getLogger(__name__)


def push_after_commit(user_ids: Iterable[int | None], event: dict[str, Any]) -> None:
    targets = sorted({uid for uid in user_ids if uid is not None})

    def send() -> None:
        for user_id in targets:
            try:
                push_to_user(user_id, event)
            except Exception:  # a dead channel layer must not break the request
                logger.warning("live push %s to user %s failed", event.get("type"), user_id)

    transaction.on_commit(send)
