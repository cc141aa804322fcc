"""The retention sweep."""

from __future__ import annotations

import logging

from celery import shared_task

from gigcx.locks import exclusive
from privacy.services import conversations_expired_purge

logger = logging.getLogger(__name__)


@shared_task(name="privacy.purge_conversations")
def purge_conversations() -> int:
    """Replace conversation text past each brand's retention setting (beat, nightly).

    One sweep at a time across machines (gigcx.locks.exclusive); a second run finds nothing
    left to replace."""
    with exclusive("privacy.purge_conversations") as held:
        if not held:
            return 0
        purged = conversations_expired_purge()
        if purged:
            logger.info(
                "retention: %d questions emptied in %d brands", sum(purged.values()), len(purged)
            )
        return sum(purged.values())
