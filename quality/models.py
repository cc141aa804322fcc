"""Quality: how conversations went (ratings), what reviewers found, and what follows for the
expert (scores with their parts, tiers)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import ScopedQuerySet, Viewer
from marketplace.models import Brand, Expert
from routing.models import Question

SCORE_RANGE = (1, 5)


class RatingQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RatingQuerySet:
        """Staff see their brand's ratings; the customer her own; the expert those of the
        questions she resolved."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(question__asked_by_id=viewer.user_id) | Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class Rating(models.Model):
    """The customer's verdict on a resolved question (CSAT): one per question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="ratings")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="ratings")
    # Who resolved it; null when the automated answer (or staff) did.
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    score = models.PositiveSmallIntegerField()
    solved = models.BooleanField()
    comment = models.TextField(blank=True)
    # What experts are shown: the comment with contact details masked, like the question.
    redacted_comment = models.TextField(blank=True)
    # True when no person answered: the automated line alone (CSAT automated vs human).
    automated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the customer, not solved, opened the question again.
    reopened_at = models.DateTimeField(null=True, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["question"], name="rating_one_per_question"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_RANGE[0]) & Q(score__lte=SCORE_RANGE[1]),
                name="rating_score_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "created_at"], name="rating_brand_created_idx"),
            models.Index(fields=["expert", "created_at"], name="rating_expert_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 on question {self.question_id}"

    @property
    def can_reopen(self) -> bool:
        return not self.solved and self.reopened_at is None


class ExpertScoreQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ExpertScoreQuerySet:
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class ExpertScore(models.Model):
    """One computation of an expert's quality score with its parts (history: never updated).
    The newest row is the expert's standing; its score is written onto
    ``Expert.quality_score`` for routing."""

    class Trigger(models.TextChoices):
        RATING = "rating", _("A new rating")
        REVIEW = "review", _("A quality review")
        NIGHTLY = "nightly", _("Nightly recompute")
        MANUAL = "manual", _("Recomputed by hand")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="scores")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(auto_now_add=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    score = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    tier = models.CharField(max_length=16)
    ratings_count = models.PositiveIntegerField(default=0)
    csat_mean = models.FloatField(null=True, blank=True)
    csat_bayes = models.FloatField(null=True, blank=True)
    brand_mean = models.FloatField(null=True, blank=True)
    handled_count = models.PositiveIntegerField(default=0)
    resolution_rate = models.FloatField(null=True, blank=True)
    qa_average = models.FloatField(null=True, blank=True)
    acceptance_rate = models.FloatField(null=True, blank=True)
    first_reply_seconds = models.FloatField(null=True, blank=True)
    # Mean sentiment lift (frustration at the start minus at the end, -1..1) over the
    # conversations that have one, and how many those are.
    sentiment_lift = models.FloatField(null=True, blank=True)
    lift_count = models.PositiveIntegerField(default=0)
    # Empathy fit (0..1): how her conversations that started upset ended (routing uses it for
    # upset customers only; quality.scoring.empathy_fit), and how many those are.
    empathy_fit = models.FloatField(null=True, blank=True)
    upset_count = models.PositiveIntegerField(default=0)
    # Each part's value, weight and points (quality.scoring.composite).
    parts = models.JSONField(default=dict)

    objects = ExpertScoreQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-pk"]
        indexes = [models.Index(fields=["expert", "-computed_at"], name="score_expert_recent_idx")]

    def __str__(self) -> str:
        return f"{self.expert_id}: {self.score} ({self.tier})"


class QualitySettingsQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> QualitySettingsQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class QualitySettings(models.Model):
    """A brand's quality knobs."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="quality_settings")
    # Share of resolved conversations sampled for review at random, in percent (every rating
    # of LOW_REVIEW_RATING or less is reviewed anyway).
    review_sample_percent = models.PositiveSmallIntegerField(default=10)
    # The metrics' daily rollup covers every day up to this one; later days are computed live.
    metrics_rolled_through = models.DateField(null=True, blank=True)
    metrics_rolled_at = models.DateTimeField(null=True, blank=True)

    objects = QualitySettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "quality settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_sample_percent__lte=100), name="quality_sample_percent_range"
            )
        ]

    def __str__(self) -> str:
        return f"quality settings of {self.brand}"


class ReviewQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ReviewQuerySet:
        """Staff see their brand's queue; the expert her finished reviews."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id, status=Review.Status.DONE)
        return self._site_admin_or(viewer, condition)


REVIEW_CRITERIA = ("empathy", "accuracy", "tone", "policy")


class Review(models.Model):
    """A quality reviewer's look at one resolved conversation: four criteria scored 1-5."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        DONE = "done", _("Reviewed")

    class Reason(models.TextChoices):
        LOW_RATING = "low_rating", _("Low customer rating")
        SENTIMENT_DROP = "sentiment_drop", _("Customer left more upset")
        RANDOM = "random", _("Random sample")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="reviews")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # The conversation's sentiment lift when it was queued (negative: the customer left
    # more upset than she came), so the queue can show the largest drops first.
    sentiment_lift = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    empathy = models.PositiveSmallIntegerField(null=True, blank=True)
    accuracy = models.PositiveSmallIntegerField(null=True, blank=True)
    tone = models.PositiveSmallIntegerField(null=True, blank=True)
    policy = models.PositiveSmallIntegerField(null=True, blank=True)
    average = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["question"], name="review_one_per_question"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | (Q(**{f"{name}__gte": 1}) & Q(**{f"{name}__lte": 5})),
                    name=f"review_{name}_1_to_5",
                )
                for name in REVIEW_CRITERIA
            ],
        ]
        indexes = [models.Index(fields=["brand", "status"], name="review_brand_status_idx")]

    def __str__(self) -> str:
        return f"review of question {self.question_id} ({self.status})"


class RollupQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RollupQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class ServiceDay(models.Model):
    """A brand's service counts for the questions asked on one day, per product (the daily
    rollup behind the metrics; quality.metrics explains the counts). Rebuilt nightly for the
    last days, so late ratings and reopens are counted."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    product = models.ForeignKey(
        "marketplace.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    questions = models.PositiveIntegerField(default=0)
    automated = models.PositiveIntegerField(default=0)
    human = models.PositiveIntegerField(default=0)
    first_reply_n = models.PositiveIntegerField(default=0)
    first_reply_sum = models.FloatField(default=0.0)
    sla_decided = models.PositiveIntegerField(default=0)
    sla_hit = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_good = models.PositiveIntegerField(default=0)
    rated_automated = models.PositiveIntegerField(default=0)
    rating_automated_sum = models.PositiveIntegerField(default=0)
    rated_human = models.PositiveIntegerField(default=0)
    rating_human_sum = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["brand", "day"], name="service_day_brand_day_idx")]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.day} {self.product_id}"


class ExpertDay(models.Model):
    """Per expert, her conversations on the questions asked on one day (daily rollup)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="+")
    handled = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    reply_n = models.PositiveIntegerField(default=0)
    reply_sum = models.FloatField(default=0.0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_good = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["brand", "day"], name="expert_day_brand_day_idx")]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.day} {self.expert_id}"


class RatingRequestQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RatingRequestQuerySet:
        """Staff of the question's brand; nobody else reads who was asked when."""
        return self._site_admin_or(viewer, Q(question__brand_id__in=viewer.staff_brand_ids()))


class RatingRequest(models.Model):
    """The "how did we do?" email sent after resolution, and its one reminder."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="rating_request"
    )
    sent_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = RatingRequestQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["sent_at"], condition=Q(reminded_at=None), name="rating_request_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"rating request for question {self.question_id}"


class ExpertBadgeQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ExpertBadgeQuerySet:
        """Staff of the brand; the expert her own."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class ExpertBadge(models.Model):
    """A badge an expert earned in one pool (rules: quality.badges). Kept once earned, with
    its date; a badge that can be earned again (top-rated month) carries its period."""

    class Kind(models.TextChoices):
        FIRST_TEN = "first_10", _("First 10 resolutions")
        TOP_RATED_MONTH = "top_rated_month", _("Top-rated month")
        CALMER_CUSTOMERS = "calmer_customers", _("Calmer customers")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="badges")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # "" for a badge earned once; "2026-11" for the month a top-rated month badge is for.
    period = models.CharField(max_length=7, blank=True, default="")
    earned_at = models.DateTimeField()
    # What earned it, in words ("10 resolutions", "4.82 ★ over 31 ratings").
    detail = models.CharField(max_length=200, blank=True)

    objects = ExpertBadgeQuerySet.as_manager()

    class Meta:
        ordering = ["-earned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "kind", "period"], name="expert_badge_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} for {self.expert_id}".strip()


class LeaderboardOptInQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> LeaderboardOptInQuerySet:
        """The expert her own choice; staff of the brand (the board itself is a selector)."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class LeaderboardOptIn(models.Model):
    """The expert chose to appear on her brand's leaderboard (no row: she does not)."""

    expert = models.OneToOneField(Expert, on_delete=models.CASCADE, related_name="leaderboard")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LeaderboardOptInQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.expert_id} on the leaderboard of {self.brand_id}"
