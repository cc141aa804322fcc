"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a typo or a mass-assignment attempt is an error."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: ["Unknown field; it cannot be set here."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if isinstance(exc.detail, dict):
                exc.detail.update(errors)
            raise
        if errors:
            raise ValidationError(errors)
        return value
