"""Voice beat tasks (the schedule is in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from gigcx.locks import exclusive


@shared_task(name="voice.sweep", acks_late=True)
def sweep() -> int:
    """Ring the next expert when an offer runs out, give up calls that never connected, send
    callback reminders (each once), clear due call earnings. Safe to run twice at once."""
    from voice import services

    with exclusive("voice.sweep", timeout=60) as held:
        if not held:
            return 0
        return (
            services.calls_sweep()
            + services.callback_reminders_send()
            + services.call_earnings_clear_due()
        )
