"""The call panel on conversation pages and the ringing calls on the expert console.
Conversation templates belong to routing, which does not import voice: the page loads this
library, so routing's views stay as they are."""

from __future__ import annotations

from typing import Any

from django import template

from gigcx.tenancy import viewer_for
from voice import selectors, services

register = template.Library()


@register.inclusion_tag("voice/_call_panel.html", takes_context=True)
def call_panel(context: dict[str, Any], question: Any, role: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    shown = bool(signed_in and role in ("customer", "expert") and question.asked_by_id)
    if shown and role == "expert" and request is not None:
        # Only the question's own expert (or one it rings) sees the panel.
        call = selectors.call_latest_for_question(
            viewer=viewer_for(request), question_id=question.pk
        )
        slot = selectors.callback_pending_for_question(
            viewer=viewer_for(request), question_id=question.pk
        )
        shown = question.status == "assigned" or call is not None or slot is not None
    closed = question.status in ("resolved", "escalated")
    return {
        "shown": shown and not (closed and role == "expert"),
        "closed": closed,
        "question": question,
        "role": role,
        "ice_servers": selectors.ice_servers(),
        "callback_times": (
            services.callback_times(brand_id=question.brand_id)
            if shown and role == "customer" and not closed
            else []
        ),
    }


@register.inclusion_tag("voice/_call_offers.html")
def ringing_calls() -> dict[str, Any]:
    return {}
