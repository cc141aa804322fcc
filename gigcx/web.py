"""Small helpers shared by the HTML views of every app."""

from __future__ import annotations

import re

from django import forms

from gigcx.exceptions import ApplicationError


def form_add_application_error(
    form: forms.Form, exc: ApplicationError, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's error beside the field it concerns (or at the top of the form)."""
    field_map = field_map or {}
    placed = False
    for name, messages in exc.fields.items():
        field = field_map.get(name, name)
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def parse_id(raw: object) -> int | None:
    """A database id from request data, or None. ``str.isdigit`` is not enough: it accepts
    digits such as "²" that ``int`` refuses."""
    text = str(raw or "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None
