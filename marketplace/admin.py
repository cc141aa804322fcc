from django.contrib import admin

from gigcx.admin import ReadOnlyAdmin
from marketplace.models import (
    Application,
    Brand,
    BrandMembership,
    Category,
    Expert,
    ExpertProfile,
    Invitation,
    Product,
    Quiz,
    QuizAttempt,
)


@admin.register(Brand)
class BrandAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(BrandMembership)
class BrandMembershipAdmin(ReadOnlyAdmin):
    list_display = ["brand", "user", "role"]
    list_filter = ["role"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "brand", "parent", "is_archived"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["name", "brand", "category", "sku", "is_archived"]
    search_fields = ["name", "sku"]


@admin.register(ExpertProfile)
class ExpertProfileAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "user", "capacity"]


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ["user", "brand", "status", "tier", "quality_score"]
    list_filter = ["status", "tier"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "brand", "status", "expires_at", "send_count"]
    list_filter = ["status"]
    search_fields = ["email"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["user", "brand", "status", "created_at", "decided_at"]
    list_filter = ["status"]


@admin.register(Quiz)
class QuizAdmin(ReadOnlyAdmin):
    list_display = ["title", "brand", "product", "category", "pass_mark", "is_active"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnlyAdmin):
    list_display = ["user", "quiz", "score", "passed", "created_at"]
