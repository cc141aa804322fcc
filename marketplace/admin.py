from django.contrib import admin

from gigcx.admin import ReadOnlyAdmin
from marketplace.models import Brand, BrandMembership, Category, Expert, ExpertProfile, Product


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
