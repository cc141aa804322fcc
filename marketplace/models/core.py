"""Brands and their people: staff memberships, catalogue, experts and the advocate pool."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import EDITOR_ROLES, MANAGER, OWNER, QA, ScopedQuerySet, Viewer

# Languages a brand can serve in (ISO 639-1). Kept short on purpose: each one needs experts.
LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("it", _("Italian")),
    ("nl", _("Dutch")),
    ("pt", _("Portuguese")),
    ("sv", _("Swedish")),
    ("pl", _("Polish")),
]
LANGUAGE_CODES = {code for code, _ in LANGUAGE_CHOICES}


class BrandQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> BrandQuerySet:
        # Active brands are public (customers ask them questions); staff also see their own
        # brand while it is inactive.
        return self._site_admin_or(viewer, Q(is_active=True) | Q(pk__in=viewer.staff_brand_ids()))

    def staffed_by(
        self, viewer: Viewer, roles: tuple[str, ...] = (OWNER, MANAGER, QA)
    ) -> BrandQuerySet:
        return self.filter(pk__in=viewer.staff_brand_ids(roles))


class Brand(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    tagline = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)
    languages = models.JSONField(default=list, help_text="ISO 639-1 codes the brand serves in.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Questions received so far: the brand's own clock for how recent an expert's work is
    # (routing measures recency in questions, not days, so slow and busy brands route alike).
    question_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # Owners always need a second factor; this extends the rule to managers and QA reviewers
    # (gigcx.mfa; only an owner may change it).
    require_staff_mfa = models.BooleanField(
        default=False,
        help_text="Every member of the staff must use two-factor authentication.",
    )
    # Conversation text of resolved questions older than this many days is deleted by the
    # beat task privacy.purge_conversations (figures stay); None keeps it. Owners only.
    conversation_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete the text of resolved conversations after this many days; blank keeps it.",
    )

    # Quotas kept here rather than in the cache, so a flood is bounded even when the senders'
    # addresses rotate or the cache is down (routing.services.questions.question_quota_check).
    anonymous_questions_per_hour = models.PositiveIntegerField(
        default=300,
        help_text="Questions an hour the brand accepts from visitors without an account.",
    )
    questions_per_customer_per_day = models.PositiveIntegerField(
        default=50, help_text="Questions a day the brand accepts from one signed-in customer."
    )

    objects = BrandQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandMembershipQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> BrandMembershipQuerySet:
        return self._site_admin_or(
            viewer, Q(brand_id__in=viewer.staff_brand_ids()) | Q(user_id=viewer.user_id)
        )


class BrandMembership(models.Model):
    """A person on a brand's staff. The role decides what they may change."""

    class Role(models.TextChoices):
        OWNER = OWNER, _("Owner")
        MANAGER = MANAGER, _("Manager")
        QA = QA, _("Quality reviewer")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # Which of the brand's messages this person gets (her own choice, on the brand's
    # notifications page): the email when a question is escalated to the team (owners and
    # managers; quality reviewers are never sent it) and the live surge alert.
    notify_escalation_email = models.BooleanField(default=True)
    notify_surge_alerts = models.BooleanField(default=True)

    objects = BrandMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["brand__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="membership_one_per_brand_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) @ {self.brand}"

    @property
    def can_edit(self) -> bool:
        return self.role in EDITOR_ROLES


class CatalogueQuerySet(ScopedQuerySet):
    """Categories and products: public for active brands, archived rows for staff only."""

    def visible_to(self, viewer: Viewer) -> CatalogueQuerySet:
        staff_brands = viewer.staff_brand_ids()
        public = Q(brand__is_active=True, is_archived=False)
        return self._site_admin_or(viewer, public | Q(brand_id__in=staff_brands))


class Category(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=120)
    is_archived = models.BooleanField(default=False)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            # Two constraints because SQLite cannot treat NULL parents as equal.
            models.UniqueConstraint(
                fields=["brand", "parent", "name"], name="category_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                fields=["brand", "name"],
                condition=Q(parent__isnull=True),
                name="category_unique_top_level_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(max_length=160)
    sku = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="product_unique_name_per_brand"),
            models.UniqueConstraint(
                fields=["brand", "sku"], condition=~Q(sku=""), name="product_unique_sku_per_brand"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding  # a new product has no skills yet
        super().save(*args, **kwargs)
        if adding:
            return
        if update_fields is None or {"category", "category_id"} & set(update_fields):
            # Routing's category walk reads the copy on each skill (ExpertSkill.category).
            ExpertSkill.objects.filter(product_id=self.pk).exclude(
                category=self.category_id
            ).update(category=self.category_id)


class ExpertProfileQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ExpertProfileQuerySet:
        return self._site_admin_or(
            viewer,
            Q(user_id=viewer.user_id)
            | Q(user__expert_memberships__brand_id__in=viewer.staff_brand_ids()),
        ).distinct()


class ExpertProfile(models.Model):
    """The person-level side of being an expert, shared by every pool they belong to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    display_name = models.CharField(max_length=60)
    bio = models.TextField(blank=True)
    languages = models.JSONField(default=list)
    timezone = models.CharField(max_length=64, default="UTC")
    capacity = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="How many questions at once.",
    )
    # Notification preferences: how the expert wants to hear about offers and news.
    notify_offers_browser = models.BooleanField(default=True)
    notify_offers_email = models.BooleanField(default=False)
    notify_program_email = models.BooleanField(default=True)
    # Invite me (browser and email) when a brand I work for has more waiting questions than
    # its online experts can take; off unless the expert opts in.
    notify_surge_alerts = models.BooleanField(default=False)
    # When the last offer email went out: at most one per OFFER_EMAIL_EVERY (the throttle is a
    # conditional update on this column, see routing.services.offer_emails).
    offer_email_sent_at = models.DateTimeField(null=True, blank=True)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=10), name="profile_capacity_range"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def initials(self) -> str:
        parts = [part for part in self.display_name.split() if part]
        return "".join(part[0] for part in parts[:2]).upper() or "?"


class AvailabilityWindowQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AvailabilityWindowQuerySet:
        return self._site_admin_or(
            viewer,
            Q(profile__user_id=viewer.user_id)
            | Q(profile__user__expert_memberships__brand_id__in=viewer.staff_brand_ids()),
        ).distinct()


class AvailabilityWindow(models.Model):
    """One weekly window in which the expert is willing to take questions, in the
    expert's own timezone (``ExpertProfile.timezone``)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    profile = models.ForeignKey(
        ExpertProfile, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    objects = AvailabilityWindowQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="window_ordered"),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="window_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


# Rated experts best first, unrated last (as an expression: SQLite indexes take no NULLS LAST).
QUALITY_ORDER = Coalesce(F("quality_score"), Value(Decimal("-1")))


class ExpertQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ExpertQuerySet:
        return self._site_admin_or(
            viewer, Q(brand_id__in=viewer.staff_brand_ids()) | Q(user_id=viewer.user_id)
        )

    def approved(self) -> ExpertQuerySet:
        return self.filter(status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION])


class Expert(models.Model):
    """A person's place in one brand's advocate pool."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        PROBATION = "probation", _("On probation")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")

    class Tier(models.TextChoices):
        NEW = "new", _("New")
        BRONZE = "bronze", _("Bronze")
        SILVER = "silver", _("Silver")
        GOLD = "gold", _("Gold")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="experts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_memberships"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    status_reason = models.TextField(blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.NEW)
    # Written down by `quality` (DESIGN: figures are written down, never read upward), with
    # the tier. Null until the expert's first rating.
    quality_score = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    # Also written down by `quality`: how her conversations with upset customers end (0..1);
    # routing weighs it for upset customers only. Null until she has had some.
    empathy_fit = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    # Resolutions, each decayed by half every RECENCY_HALF_LIFE_QUESTIONS questions the brand
    # receives, as of the brand's question_seq ``recency_seq`` (routing.scoring.recency_decayed).
    recency = models.FloatField(default=0.0, editable=False)
    recency_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # log2(recency) + recency_seq / half-life, None without any resolution: the decayed
    # recency is 2 ** (recency_key - brand.question_seq / half-life), so ordering by this
    # static key orders by decayed recency at any brand clock, and an index can serve it
    # (written by routing's _recency_add; read by routing.selectors).
    recency_key = models.FloatField(null=True, blank=True, editable=False)
    # False only while her presence is not online (routing.services.presence copies it on
    # every change of her status); True otherwise, new rows included. Routing's walks read
    # only rows marked on duty, so they skip the offline majority of a large pool; the walk
    # still checks her presence row by row, so a row marked on duty by mistake costs one
    # row read, never a wrong offer.
    on_duty = models.BooleanField(default=True, editable=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_active_at = models.DateTimeField(null=True, blank=True)

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["brand__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="expert_one_per_brand_user")
        ]
        # Routing walks these in order and stops after a few dozen eligible experts, so one
        # decision costs the same in a pool of 1k as of 100k (routing.selectors).
        indexes = [
            models.Index(
                F("brand"),
                F("recency_key").desc(),
                name="expert_duty_recent_idx",
                condition=Q(
                    status__in=["approved", "probation"], recency_key__isnull=False, on_duty=True
                ),
            ),
            models.Index(
                F("brand"),
                QUALITY_ORDER.desc(),
                F("id"),
                name="expert_duty_quality_idx",
                condition=Q(status__in=["approved", "probation"], on_duty=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.brand}"

    @property
    def receives_offers(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.PROBATION)

    @property
    def display_name(self) -> str:
        """The name customers and staff see: her expert profile's, else her account's
        (select_related("user__expert_profile") saves the two lookups)."""
        profile = getattr(self.user, "expert_profile", None)
        return (profile.display_name if profile else "") or self.user.display_name


class ExpertSkillQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> ExpertSkillQuerySet:
        return self._site_admin_or(
            viewer,
            Q(expert__brand_id__in=viewer.staff_brand_ids()) | Q(expert__user_id=viewer.user_id),
        )


# How routing ranks a skill (routing.scoring.skill_value: the verified level, or 0.7 of the
# self-rated one), in whole numbers so an expression index can serve the order.
SKILL_STRENGTH = Greatest(Coalesce(F("verified_level"), Value(0)) * 10, F("level") * 7)


class ExpertSkill(models.Model):
    """What an expert knows: a product, a self-rated level, and whether it was verified
    (by staff or by passing a quiz)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="skills")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="expert_skills")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    verified_level = models.PositiveSmallIntegerField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Copies for routing's walks (routing.selectors): the product's category (``save`` and
    # ``Product.save`` keep it), so the category step reads one index instead of one per
    # product; and the expert's ``on_duty`` (routing.services.presence keeps it).
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    on_duty = models.BooleanField(default=True, editable=False)

    objects = ExpertSkillQuerySet.as_manager()

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "product"], name="skill_one_per_product"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="skill_level_range"
            ),
        ]
        indexes = [
            # The product's (or the category's) experts on duty strongest first, as routing's
            # skill value ranks them.
            models.Index(
                F("product"),
                SKILL_STRENGTH.desc(),
                F("expert"),
                name="skill_strength_duty_idx",
                condition=Q(on_duty=True),
            ),
            models.Index(
                F("category"),
                SKILL_STRENGTH.desc(),
                F("expert"),
                name="skill_category_duty_idx",
                condition=Q(on_duty=True, category__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} knows {self.product} ({self.level})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "product" in update_fields:
            self.category_id = self.product.category_id
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "category"}
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class BrandApiKeyQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> BrandApiKeyQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids(EDITOR_ROLES)))

    def usable(self) -> BrandApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, brand__is_active=True)


class BrandApiKey(models.Model):
    """A brand integration's key. Only a SHA-256 of the secret is stored; the prefix finds it."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    role = models.CharField(
        max_length=16, choices=BrandMembership.Role.choices, default=BrandMembership.Role.MANAGER
    )
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = BrandApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # Keys are 32 random bytes: a fast hash is enough (no dictionary to attack).
        return hashlib.sha256(secret.encode()).hexdigest()
