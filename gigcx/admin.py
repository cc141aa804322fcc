from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from gigcx.deadletters import dead_letter_retry
from gigcx.models import AuditEvent, DeadLetter, DomainEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible to site admins, never edited by hand."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "ip", "brand_id", "target_type", "target_id"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor__email", "ip", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "name", "brand_id", "delivered_at", "attempts"]
    list_filter = ["name"]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Tasks that will not run again by themselves; retry one after fixing its cause."""

    list_display = ["created_at", "name", "reason", "attempts", "task_id", "resolved_at"]
    list_filter = ["reason", "name", ("resolved_at", admin.EmptyFieldListFilter)]
    actions = ["retry"]

    @admin.action(description="Re-enqueue the selected tasks (new task id, fresh count)")
    def retry(self, request, queryset):  # type: ignore[no-untyped-def]
        # Imported here: gigcx.exceptions imports DRF, whose settings import this app.
        from gigcx.exceptions import NotFoundError

        retried = 0
        for letter in queryset.filter(resolved_at__isnull=True):
            try:
                dead_letter_retry(dead_letter_id=letter.pk, actor=request.user)
                retried += 1
            except NotFoundError:
                continue  # closed meanwhile
        self.message_user(request, f"Re-enqueued {retried} task(s).", messages.SUCCESS)
