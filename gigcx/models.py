"""Core models: the user, the audit log and the domain-event outbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from gigcx.tenancy import ScopedQuerySet, Viewer


class UserQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> UserQuerySet:
        # People other than yourself are reached through rows that are scoped themselves
        # (an expert in your pool, a customer's question), never by listing users.
        return self._site_admin_or(viewer, models.Q(pk=viewer.user_id))


class GigUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Users sign in by email; there is no username."""

    use_in_migrations = True

    def _create_user(  # type: ignore[override]
        self, email: str, password: str | None, **extra_fields: Any
    ) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Roles (customer, expert, brand staff) come from related rows, not flags."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=120, blank=True)
    # As a customer: may the tone of her messages be analysed (to reach a person faster when
    # she is upset)? Her last choice on the ask page or the API, prefilled the next time.
    tone_analysis = models.BooleanField(default=True)
    # The language she reads pages and emails in; blank: chosen by brand and browser
    # (gigcx.i18n).
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES, default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = GigUserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class AuditEventQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AuditEventQuerySet:
        return self._site_admin_or(viewer, models.Q(brand_id__in=viewer.staff_brand_ids()))


class AuditEvent(models.Model):
    """Who did what to which row, and why. Append-only."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Brand id as a plain integer: the core app sits below marketplace and cannot point at it.
    brand_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The client address of security events (logins, denied access): gigcx.throttling.client_ip.
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    @property
    def target_label(self) -> str:
        """What the line is about, in words ("Payout batch #3"), or "" for none."""
        if not self.target_type:
            return ""
        from django.apps import apps

        try:
            name = str(apps.get_model(self.target_type)._meta.verbose_name)
        except (LookupError, ValueError):
            name = self.target_type.rsplit(".", 1)[-1]
        return f"{name[:1].upper()}{name[1:]} #{self.target_id}"

    @property
    def summary(self) -> str:
        """The action in words, for activity lists ("approved an expert")."""
        return AUDIT_WORDS.get(self.action, self.action.replace(".", " ").replace("_", " "))


class IdempotencyKeyQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> IdempotencyKeyQuerySet:
        # Only gigcx.idempotency reads them, by caller; people see a stored response as the
        # answer to their own retry, never as rows.
        return self._site_admin_or(viewer, models.Q(pk__in=[]))


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response its first request got (gigcx.idempotency).

    One row per caller and key; the unique constraint is what makes two concurrent requests
    with the same key create one thing. Rows expire after GIGCX_IDEMPOTENCY_TTL_HOURS.
    """

    # Who sent it: "user:<id>", "api_key:<id>" or "anon:<client address>".
    caller = models.CharField(max_length=120)
    key = models.CharField(max_length=255)
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caller", "key"], name="idempotency_key_once_per_caller"
            )
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"


AUDIT_WORDS = {
    "brand.created": "created the brand",
    "brand.updated": "changed brand settings",
    "brand.conversations_expired": "deleted the text of old conversations (retention)",
    "account.erased": "deleted a customer account at her request",
    "membership.added": "added a staff member",
    "category.created": "added a category",
    "product.created": "added a product",
    "product.updated": "edited a product",
    "product.archived": "archived a product",
    "expert.invited": "invited an expert",
    "expert.applied": "recorded an application",
    "expert.approved": "approved an expert",
    "expert.probation": "put an expert on probation",
    "expert.suspended": "suspended an expert",
    "expert.removed": "removed an expert",
    "skill.verified": "verified a skill",
    "skill.unverified": "withdrew a skill verification",
    "category.updated": "edited a category",
    "catalogue.imported": "imported products",
    "invitation.created": "invited a customer",
    "invitation.resent": "resent an invitation",
    "invitation.revoked": "revoked an invitation",
    "invitation.accepted": "accepted an invitation",
    "invitation.imported": "invited purchasers from a file",
    "application.submitted": "applied to the pool",
    "application.approved": "approved an application",
    "application.rejected": "turned down an application",
    "expert.tier_changed": "changed an expert's tier",
    "quiz.created": "wrote a quiz",
    "quiz.activated": "opened a quiz",
    "quiz.deactivated": "closed a quiz",
    "quiz.passed": "passed a quiz",
    "quiz.failed": "took a quiz",
    "auth.login": "signed in",
    "auth.login_failed": "failed to sign in",
    "auth.logout": "signed out",
    "auth.password_changed": "changed their password",
    "auth.password_reset": "reset their password",
    "mfa.added": "added a second factor",
    "mfa.removed": "removed a second factor",
    "mfa.reset": "made new recovery codes",
    "mfa.failed": "entered a wrong second-factor code",
    "access.denied": "was refused a page",
    "api_key.created": "created an API key",
    "api_key.revoked": "revoked an API key",
    "knowledge.created": "added a knowledge-base entry",
    "routing.settings_changed": "changed routing settings",
    "question.escalated": "escalated a question",
    "question.resolved": "resolved a question",
    "assignment.accepted": "accepted a question",
    "assignment.released": "handed a question back",
    "rate_card.changed": "changed the rate card",
    "earning.held": "held an earning",
    "earning.released": "released an earning",
    "earning.reversed": "reversed an earning",
    "payout.requested": "requested a payout",
    "payout.paid": "recorded a payout as paid",
    "payout.failed": "recorded a failed payout",
    "payout.marked_failed": "marked a payout failed",
    "payout_batch.run": "ran a payout batch",
    "payout.destination_set": "connected a payout destination",
    "dead_letter.retried": "re-enqueued a dead-lettered task",
    "dead_letter.discarded": "discarded a dead-lettered task",
    "question.reopened": "reopened a question",
    "question.reassigned": "reassigned a question",
    "question.tagged": "tagged a question",
    "question.untagged": "took a tag off a question",
    "question.note_added": "added an internal note",
    "tag.deleted": "deleted a tag",
    "canned_reply.created": "added a canned reply",
    "canned_reply.updated": "edited a canned reply",
    "canned_reply.deleted": "deleted a canned reply",
    "knowledge.drafted": "drafted a knowledge-base entry from a conversation",
    "knowledge.edited": "edited a knowledge-base entry",
    "knowledge.published": "published a knowledge-base entry",
    "knowledge.unpublished": "unpublished a knowledge-base entry",
    "knowledge.archived": "archived a knowledge-base entry",
    "knowledge.restored": "restored a knowledge-base entry",
    "knowledge.target_changed": "changed the automatic-answer target",
    "quality.settings_changed": "changed quality settings",
    "quality.leaderboard_opt_in": "changed leaderboard visibility",
    "review.done": "reviewed a conversation",
    "rating.reopened": "reopened a rating",
    "reconciliation.issue_found": "found a money difference (reconciliation)",
    "reconciliation.resolved": "saw a money difference resolved (reconciliation)",
    "reconciliation.run": "reconciled the ledger, payouts and provider",
    "webhook.created": "added a webhook endpoint",
    "webhook.changed": "changed a webhook endpoint",
    "webhook.deleted": "deleted a webhook endpoint",
    "webhook.secret_rotated": "rotated a webhook signing secret",
    "webhook.secret_revealed": "revealed a webhook signing secret",
    "webhook.delivery_replayed": "replayed a webhook delivery",
    "call.requested": "asked to talk to an expert",
    "call.accepted": "answered a call",
    "call.ended": "ended a call",
    "call.missed": "missed a call (nobody was free)",
    "call.cancelled": "cancelled a call",
    "call.rated": "rated a call",
    "callback.booked": "booked a callback",
    "callback.taken": "took a callback",
    "callback.called": "called back at the booked time",
    "surge.detected": "noticed many customers asking about one problem (surge)",
    "surge.notice_published": "published a known-issue notice",
    "staffing_surge.invited": "invited experts to a staffing surge",
    "staffing_surge.ended": "saw a staffing surge end",
}


class SiteAdminOnlyQuerySet(ScopedQuerySet):
    """Plumbing rows that only site admins may see."""

    def visible_to(self, viewer: Viewer) -> SiteAdminOnlyQuerySet:
        return self._site_admin_or(viewer, models.Q(pk__in=[]))


class DomainEvent(models.Model):
    """A transactional outbox row: recorded with the change, delivered after commit.

    Payloads carry ids and scalars only, never customer text.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80, db_index=True)
    brand_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = SiteAdminOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="domainevent_undelivered_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.pk}"


class EventDelivery(models.Model):
    """One row per (event, subscriber) that has run: makes every subscriber idempotent."""

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=120)
    delivered_at = models.DateTimeField(auto_now_add=True)

    objects = SiteAdminOnlyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="eventdelivery_once_per_subscriber"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} <- {self.event_id}"


class TaskAttempt(models.Model):
    """How many times one task message has reached a worker: the poison-message guard.

    Celery has no redelivery limit (celery/celery discussion 8969): a message that kills its
    worker child is requeued forever. The row is counted in its own transaction before the
    task body runs and deleted when the body returns, so a row that keeps growing means the
    body never got to the end. ``retries`` tells a redelivery of the same message apart from
    an autoretry, which is a new message with the same task id.
    """

    task_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=200)
    retries = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True, db_index=True)

    objects = SiteAdminOnlyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} x{self.attempts}"


class DeadLetter(models.Model):
    """A task message that will not run again by itself, kept for an operator to look at.

    ``poison``: delivered more than ``GIGCX_TASK_MAX_DELIVERIES`` times without finishing (it
    kills or hangs its worker). ``failed``: raised after its retries (if any) ran out.
    ``manage.py deadletters`` lists them and re-enqueues one after a fix.
    """

    class Reason(models.TextChoices):
        POISON = "poison", "Delivered too many times"
        FAILED = "failed", "Failed after its retries"

    task_id = models.CharField(max_length=255)
    name = models.CharField(max_length=200, db_index=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=8, choices=Reason.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    objects = SiteAdminOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A message delivered again after it was dead-lettered is not listed twice.
            models.UniqueConstraint(
                fields=["task_id"],
                condition=models.Q(resolved_at__isnull=True),
                name="deadletter_one_open_per_task",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} ({self.reason})"
