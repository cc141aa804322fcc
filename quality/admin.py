"""Read-only admin: ratings, scores and reviews move only through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from quality.models import ExpertDay, ExpertScore, QualitySettings, Rating, Review, ServiceDay


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["question", "brand", "expert", "score", "solved", "created_at"]
    list_filter = ["score", "solved", "automated"]


@admin.register(ExpertScore)
class ExpertScoreAdmin(ReadOnlyAdmin):
    list_display = ["expert", "brand", "computed_at", "score", "tier", "ratings_count", "trigger"]
    list_filter = ["tier", "trigger"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["question", "brand", "expert", "reason", "status", "average", "reviewed_at"]
    list_filter = ["status", "reason"]


@admin.register(QualitySettings)
class QualitySettingsAdmin(ReadOnlyAdmin):
    list_display = ["brand", "review_sample_percent"]


@admin.register(ServiceDay)
class ServiceDayAdmin(ReadOnlyAdmin):
    list_display = ["brand", "day", "product", "questions", "human", "rated", "resolved"]


@admin.register(ExpertDay)
class ExpertDayAdmin(ReadOnlyAdmin):
    list_display = ["brand", "day", "expert", "handled", "resolved", "rated"]
