"""Recruitment into a brand's advocate pool: invitations, applications and product quizzes."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import ScopedQuerySet, Viewer
from marketplace.models.core import Brand, Category, Expert, Product


class InvitationQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> InvitationQuerySet:
        # Staff see their brand's invitations; the person who accepted one sees that one.
        return self._site_admin_or(
            viewer, Q(brand_id__in=viewer.staff_brand_ids()) | Q(accepted_by_id=viewer.user_id)
        )

    def with_state(self, state: str) -> InvitationQuerySet:
        """Filter by the state people see, where 'expired' is a pending row past its date."""
        now = timezone.now()
        if state == Invitation.State.EXPIRED:
            return self.filter(status=Invitation.Status.PENDING, expires_at__lte=now)
        if state == Invitation.State.PENDING:
            return self.filter(status=Invitation.Status.PENDING, expires_at__gt=now)
        return self.filter(status=state)


class Invitation(models.Model):
    """An invitation to a brand's advocate program, sent to an email address.

    The link carries a signed ``(id, nonce)`` pair; the nonce changes on every resend and
    the row's status and ``expires_at`` decide whether the link still works. Nothing that
    opens the link is stored in plain form outside the signature.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    class State(models.TextChoices):
        """What people see: a pending invitation past its date is expired."""

        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    nonce = models.CharField(max_length=32)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accepted_invitations",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.brand}"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        return self.State.EXPIRED if self.is_expired else self.status

    def get_state_display(self) -> str:
        return self.State(self.state).label


class ApplicationQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ApplicationQuerySet:
        return self._site_admin_or(
            viewer, Q(brand_id__in=viewer.staff_brand_ids()) | Q(user_id=viewer.user_id)
        )


class Application(models.Model):
    """A person asks to join a brand's pool with the products they own and use."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not accepted")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="applications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    languages = models.JSONField(default=list)
    motivation = models.TextField()
    terms_accepted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "user"],
                condition=Q(status="pending"),
                name="application_one_pending_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.brand} ({self.status})"


class ApplicationProductQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ApplicationProductQuerySet:
        return self._site_admin_or(
            viewer,
            Q(application__brand_id__in=viewer.staff_brand_ids())
            | Q(application__user_id=viewer.user_id),
        )


class ApplicationProduct(models.Model):
    """A product the applicant owns and uses, with their own rating of how well they know it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    objects = ApplicationProductQuerySet.as_manager()

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "product"], name="application_product_once"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="application_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} ({self.level})"


class QuizQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> QuizQuerySet:
        # Staff see every quiz of their brand; people in (or applying to) a pool see the
        # brand's active quizzes. Correct answers are never serialised for the latter.
        return self._site_admin_or(
            viewer,
            Q(brand_id__in=viewer.staff_brand_ids())
            | Q(brand_id__in=viewer.expert_brand_ids, is_active=True, brand__is_active=True),
        )


class Quiz(models.Model):
    """A multiple-choice quiz about one product or one category of a brand."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="quizzes")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="quizzes"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="quizzes"
    )
    title = models.CharField(max_length=160)
    level = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Passing verifies the skill at this level.",
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of questions to answer correctly.",
    )
    cooldown_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 30)],
        help_text="Hours to wait between attempts.",
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(category__isnull=True))
                | (Q(product__isnull=True) & Q(category__isnull=False)),
                name="quiz_about_product_or_category",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1) & Q(pass_mark__lte=100), name="quiz_pass_mark_range"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="quiz_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def subject(self) -> str:
        return self.product.name if self.product_id else f"{self.category.name} (category)"


class QuizPartQuerySet(ScopedQuerySet):
    """Questions and choices follow their quiz."""

    quiz_path = "quiz"

    def visible_to(self, viewer: Viewer) -> QuizPartQuerySet:
        prefix = self.quiz_path
        return self._site_admin_or(
            viewer,
            Q(**{f"{prefix}__brand_id__in": viewer.staff_brand_ids()})
            | Q(
                **{
                    f"{prefix}__brand_id__in": viewer.expert_brand_ids,
                    f"{prefix}__is_active": True,
                }
            ),
        )


class QuizChoiceQuerySet(QuizPartQuerySet):
    quiz_path = "question__quiz"


class QuizQuestion(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    objects = QuizPartQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class QuizChoice(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    # Never serialised to applicants: see QuizDetailApi and the quiz page.
    is_correct = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = QuizChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class QuizAttemptQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> QuizAttemptQuerySet:
        return self._site_admin_or(
            viewer, Q(quiz__brand_id__in=viewer.staff_brand_ids()) | Q(user_id=viewer.user_id)
        )


class QuizAttempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="quiz_attempts")
    score = models.PositiveSmallIntegerField(help_text="Percent of correct answers.")
    passed = models.BooleanField()
    answers = models.JSONField(default=dict, help_text="question id -> chosen choice id")
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuizAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["quiz", "user", "-created_at"], name="attempt_latest")]

    def __str__(self) -> str:
        return f"{self.user} on {self.quiz}: {self.score}%"
