"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from gigcx.db import ID_MAX


class IdField(serializers.IntegerField):
    """A row id: a positive integer a database column can hold (a larger one is a 400 that
    says so, not a database error)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a typo or a mass-assignment attempt is an error."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: [gettext("Unknown field; it cannot be set here.")] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if isinstance(exc.detail, dict):
                exc.detail.update(errors)
            raise
        if errors:
            raise ValidationError(errors)
        return value
