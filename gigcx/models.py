"""Core models: the user, the audit log and the domain-event outbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        return str(AUDIT_WORDS.get(self.action, self.action.replace(".", " ").replace("_", " ")))


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
    "brand.created": _("created the brand"),
    "brand.updated": _("changed brand settings"),
    "brand.conversations_expired": _("deleted the text of old conversations (retention)"),
    "account.erased": _("deleted a customer account at her request"),
    "membership.added": _("added a staff member"),
    "category.created": _("added a category"),
    "product.created": _("added a product"),
    "product.updated": _("edited a product"),
    "product.archived": _("archived a product"),
    "expert.invited": _("invited an expert"),
    "expert.applied": _("recorded an application"),
    "expert.approved": _("approved an expert"),
    "expert.probation": _("put an expert on probation"),
    "expert.suspended": _("suspended an expert"),
    "expert.removed": _("removed an expert"),
    "skill.verified": _("verified a skill"),
    "skill.unverified": _("withdrew a skill verification"),
    "category.updated": _("edited a category"),
    "catalogue.imported": _("imported products"),
    "invitation.created": _("invited a customer"),
    "invitation.resent": _("resent an invitation"),
    "invitation.revoked": _("revoked an invitation"),
    "invitation.accepted": _("accepted an invitation"),
    "invitation.imported": _("invited purchasers from a file"),
    "application.submitted": _("applied to the pool"),
    "application.approved": _("approved an application"),
    "application.rejected": _("turned down an application"),
    "expert.tier_changed": _("changed an expert's tier"),
    "quiz.created": _("wrote a quiz"),
    "quiz.activated": _("opened a quiz"),
    "quiz.deactivated": _("closed a quiz"),
    "quiz.passed": _("passed a quiz"),
    "quiz.failed": _("took a quiz"),
    "auth.login": _("signed in"),
    "auth.login_failed": _("failed to sign in"),
    "auth.logout": _("signed out"),
    "auth.password_changed": _("changed their password"),
    "auth.password_reset": _("reset their password"),
    "mfa.added": _("added a second factor"),
    "mfa.removed": _("removed a second factor"),
    "mfa.reset": _("made new recovery codes"),
    "mfa.failed": _("entered a wrong second-factor code"),
    "access.denied": _("was refused a page"),
    "api_key.created": _("created an API key"),
    "api_key.revoked": _("revoked an API key"),
    "knowledge.created": _("added a knowledge-base entry"),
    "routing.settings_changed": _("changed routing settings"),
    "question.escalated": _("escalated a question"),
    "question.resolved": _("resolved a question"),
    "assignment.accepted": _("accepted a question"),
    "assignment.released": _("handed a question back"),
    "rate_card.changed": _("changed the rate card"),
    "earning.held": _("held an earning"),
    "earning.released": _("released an earning"),
    "earning.reversed": _("reversed an earning"),
    "payout.requested": _("requested a payout"),
    "payout.paid": _("recorded a payout as paid"),
    "payout.failed": _("recorded a failed payout"),
    "payout.marked_failed": _("marked a payout failed"),
    "payout_batch.run": _("ran a payout batch"),
    "payout.destination_set": _("connected a payout destination"),
    "dead_letter.retried": _("re-enqueued a dead-lettered task"),
    "dead_letter.discarded": _("discarded a dead-lettered task"),
    "question.reopened": _("reopened a question"),
    "question.reassigned": _("reassigned a question"),
    "question.tagged": _("tagged a question"),
    "question.untagged": _("took a tag off a question"),
    "question.note_added": _("added an internal note"),
    "tag.deleted": _("deleted a tag"),
    "canned_reply.created": _("added a canned reply"),
    "canned_reply.updated": _("edited a canned reply"),
    "canned_reply.deleted": _("deleted a canned reply"),
    "knowledge.drafted": _("drafted a knowledge-base entry from a conversation"),
    "knowledge.edited": _("edited a knowledge-base entry"),
    "knowledge.published": _("published a knowledge-base entry"),
    "knowledge.unpublished": _("unpublished a knowledge-base entry"),
    "knowledge.archived": _("archived a knowledge-base entry"),
    "knowledge.restored": _("restored a knowledge-base entry"),
    "knowledge.target_changed": _("changed the automatic-answer target"),
    "quality.settings_changed": _("changed quality settings"),
    "quality.leaderboard_opt_in": _("changed leaderboard visibility"),
    "review.done": _("reviewed a conversation"),
    "rating.reopened": _("reopened a rating"),
    "reconciliation.issue_found": _("found a money difference (reconciliation)"),
    "reconciliation.resolved": _("saw a money difference resolved (reconciliation)"),
    "reconciliation.run": _("reconciled the ledger, payouts and provider"),
    "webhook.created": _("added a webhook endpoint"),
    "webhook.changed": _("changed a webhook endpoint"),
    "webhook.deleted": _("deleted a webhook endpoint"),
    "webhook.secret_rotated": _("rotated a webhook signing secret"),
    "webhook.secret_revealed": _("revealed a webhook signing secret"),
    "webhook.delivery_replayed": _("replayed a webhook delivery"),
    "call.requested": _("asked to talk to an expert"),
    "call.accepted": _("answered a call"),
    "call.ended": _("ended a call"),
    "call.missed": _("missed a call (nobody was free)"),
    "call.cancelled": _("cancelled a call"),
    "call.rated": _("rated a call"),
    "callback.booked": _("booked a callback"),
    "callback.taken": _("took a callback"),
    "callback.called": _("called back at the booked time"),
    "surge.detected": _("noticed many customers asking about one problem (surge)"),
    "surge.notice_published": _("published a known-issue notice"),
    "staffing_surge.invited": _("invited experts to a staffing surge"),
    "staffing_surge.ended": _("saw a staffing surge end"),
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
