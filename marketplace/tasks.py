"""Marketplace tasks: thin wrappers that call one function (STYLE 17)."""

from __future__ import annotations

from celery import shared_task

from marketplace.emails import invitation_email_send


@shared_task(name="marketplace.send_invitation", acks_late=True)
def send_invitation(invitation_id: int) -> None:
    """Email the current link of a pending invitation. Running it twice sends twice, which is
    harmless (the same link); a revoked, accepted or deleted invitation is skipped."""
    invitation_email_send(invitation_id=invitation_id)
