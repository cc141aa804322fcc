"""Emails of the marketplace, rendered from templates/emails/."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from gigcx.i18n import language_for
from marketplace.models import Invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """Send the invitation's newest link. Returns False when there is nothing to send."""
    from marketplace.services import invitation_link

    invitation = (
        Invitation.objects.select_related("brand", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return False
    context = {
        "invitation": invitation,
        "brand": invitation.brand,
        "link": invitation_link(invitation),
        "products": list(invitation.products.all()),
    }
    # In the invitee's language if she already has an account, else the brand's.
    invitee = get_user_model().objects.filter(email__iexact=invitation.email).first()
    with translation.override(language_for(user=invitee, brand=invitation.brand)):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return True
