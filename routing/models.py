"""Questions, their conversation, offers to experts (assignments), presence and routing knobs."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigcx.tenancy import ScopedQuerySet, Viewer
from marketplace.models import Brand, Expert, Product

# A heartbeat older than this means the console is gone (tab closed, laptop asleep).
HEARTBEAT_FRESH = timedelta(seconds=45)


# How a customer reads, from the frustration score (0..1) of her newest scored message or
# the question: one reading for the conversation page, the inbox and its filter.
MOOD_UPSET_AT = 0.5
MOOD_UNEASY_AT = 0.25


class Mood(models.TextChoices):
    CALM = "calm", _("Calm")
    UNEASY = "uneasy", _("Uneasy")
    UPSET = "upset", _("Upset")
    NOT_READ = "not_read", _("Not read yet")
    NOT_ANALYSED = "not_analysed", _("Not analysed (customer opted out)")


def mood_of(frustration: float | None, *, tone_analysis: bool = True) -> Mood:
    """The one mood label of a frustration score, used wherever a mood is shown."""
    if not tone_analysis:
        return Mood.NOT_ANALYSED
    if frustration is None:
        return Mood.NOT_READ
    if frustration >= MOOD_UPSET_AT:
        return Mood.UPSET
    if frustration >= MOOD_UNEASY_AT:
        return Mood.UNEASY
    return Mood.CALM


class RoutingSettingsQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> RoutingSettingsQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class RoutingSettings(models.Model):
    """A brand's routing knobs. Defaults are the documented defaults of DESIGN.md."""

    class Mode(models.TextChoices):
        SINGLE = "single", _("One expert at a time")
        BROADCAST = "broadcast", _("Top-k at once, first accept wins")

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="routing_settings")
    offer_timeout_seconds = models.PositiveIntegerField(default=60)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.SINGLE)
    broadcast_size = models.PositiveSmallIntegerField(default=3)
    # Seconds a question waits at widening steps 1, 2 and 3 before the next opens.
    step_waits = models.JSONField(default=list)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    sla_minutes = models.PositiveIntegerField(default=15)
    fairness_cap_per_hour = models.PositiveSmallIntegerField(default=12)
    # Offers an expert lets expire in a row before they are set away.
    missed_offers_before_away = models.PositiveSmallIntegerField(default=3)
    weights = models.JSONField(default=dict, blank=True)
    # A customer message at least this frustrated (0..1) in a conversation with an expert
    # also alerts the brand's staff; the expert is told of any sharp rise.
    staff_alert_frustration = models.FloatField(default=0.85)
    # Staffing surge: more questions waiting than the online experts have free slots for
    # this many minutes in a row invites the experts who opted in; 0 turns it off. (A
    # question waits at most the step waits before staff get it, so the queue stays long
    # only while new questions keep coming: a few minutes is already a wave.)
    surge_after_minutes = models.PositiveSmallIntegerField(default=5)

    objects = RoutingSettingsQuerySet.as_manager()

    DEFAULT_STEP_WAITS = (30, 60, 120)

    def __str__(self) -> str:
        return f"routing settings of {self.brand}"

    @property
    def waits(self) -> tuple[int, int, int]:
        values = list(self.step_waits or self.DEFAULT_STEP_WAITS)
        values += list(self.DEFAULT_STEP_WAITS[len(values) :])
        return (int(values[0]), int(values[1]), int(values[2]))


class QuestionQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> QuestionQuerySet:
        """Staff see their brand's questions; customers their own; an expert the questions
        offered to her now, and those she is answering or has answered (resolved or passed
        to staff: read-only history, redacted like the live conversation)."""
        live_for_expert = Q(
            assignments__expert__user_id=viewer.user_id,
            assignments__status__in=Assignment.HANDLED,
        ) | Q(
            assignments__expert__user_id=viewer.user_id,
            assignments__status=Assignment.Status.OFFERED,
            assignments__expires_at__gt=timezone.now(),
        )
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(asked_by_id=viewer.user_id) | live_for_expert
        return self._site_admin_or(viewer, condition).distinct()

    def waiting(self) -> QuestionQuerySet:
        return self.filter(status=Question.Status.WAITING)

    def queue_order(self) -> QuestionQuerySet:
        return self.order_by("-priority", "waiting_since", "pk")


class Question(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        AI_ANSWERED = "ai_answered", _("Answered automatically")
        WAITING = "waiting", _("Waiting for an expert")
        OFFERED = "offered", _("Offered to an expert")
        ASSIGNED = "assigned", _("With an expert")
        ESCALATED = "escalated", _("With the brand's staff")
        RESOLVED = "resolved", _("Resolved")

    class Preference(models.TextChoices):
        AUTO = "auto", _("Let GigCX decide")
        AI = "ai", _("AI first")
        EXPERT = "expert", _("An expert")

    OPEN_STATUSES = (
        Status.NEW,
        Status.AI_ANSWERED,
        Status.WAITING,
        Status.OFFERED,
        Status.ASSIGNED,
        Status.ESCALATED,
    )

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="questions")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    # Anonymous customers: their email and a private link (only its hash is stored).
    contact_email = models.EmailField(blank=True)
    access_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    body = models.TextField()
    redacted_body = models.TextField(blank=True)
    preference = models.CharField(max_length=8, choices=Preference.choices, default=Preference.AUTO)
    preferred_expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer let us read the tone of her messages (to reach a person faster when she is
    # upset). When False no frustration or urgency is computed or stored for this question.
    tone_analysis = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    # Triage results.
    language = models.CharField(max_length=8, blank=True)
    frustration = models.FloatField(null=True, blank=True)
    urgency = models.FloatField(null=True, blank=True)
    priority = models.SmallIntegerField(default=0)
    triage = models.JSONField(default=dict, blank=True)
    # The sentence embedding of the redacted text (float16 bytes), computed once by triage on
    # the backend named beside it, so the knowledge base's "gaps" page groups questions
    # without running the model for each of them on every visit. Empty with TF-IDF.
    text_vector = models.BinaryField(blank=True, default=b"", editable=False)
    text_vector_backend = models.CharField(max_length=8, blank=True, default="")
    # Triage runs started on this question (a task, or the sweeper once the task is overdue);
    # past GIGCX_TRIAGE_MAX_ATTEMPTS the question goes to people unanalysed, never stays new.
    triage_attempts = models.PositiveSmallIntegerField(default=0)
    # Routing bookkeeping.
    routing_step = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    waiting_since = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # A signed-in customer's questions to the brand form a chain: when she asked the brand
    # before this question and when she asked it next (written at intake, under the brand's
    # row lock). The brand's returning-customer figures read these two columns of the range's
    # own rows instead of searching each customer's history (quality.relationships).
    asked_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    asked_again_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The brand's own labels for triage in the staff inbox (never shown to customers).
    tags = models.ManyToManyField("QuestionTag", blank=True, related_name="questions")

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["-priority", "waiting_since"],
                condition=Q(status="waiting"),
                name="question_waiting_queue_idx",
            ),
            # The sweeper's "still new past its deadline" scan.
            models.Index(fields=["created_at"], condition=Q(status="new"), name="question_new_idx"),
            # A brand's questions in a date range (quality's metrics and their daily rollup).
            models.Index(fields=["brand", "created_at"], name="question_brand_created_idx"),
            # One customer's questions to a brand, newest last: her previous question at
            # intake, her page on the brand's side.
            models.Index(
                fields=["brand", "asked_by", "created_at"],
                condition=Q(asked_by__isnull=False),
                name="question_brand_customer_idx",
            ),
            # The staff inbox's open work (routing.inbox): everything not answered
            # automatically or resolved, whatever its age.
            models.Index(
                fields=["brand", "created_at"],
                condition=Q(status__in=["new", "waiting", "offered", "assigned", "escalated"]),
                name="question_open_work_idx",
            ),
            # A brand's signed-in customers in a date range: returning customers and the
            # customers who ask most read this index alone on PostgreSQL (INCLUDE columns).
            models.Index(
                fields=["brand", "created_at"],
                include=["asked_by", "asked_before_at", "asked_again_at"],
                condition=Q(asked_by__isnull=False),
                name="question_brand_customers_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Question {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def mood(self) -> Mood:
        return mood_of(self.frustration, tone_analysis=self.tone_analysis)

    @property
    def first_line(self) -> str:
        """The question's first non-empty line, for one-row lists."""
        for line in self.body.splitlines():
            if line.strip():
                return line.strip()
        return ""

    @staticmethod
    def new_access_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        return token, hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def expert_text(self) -> str:
        """What experts are shown: the redacted copy (redacted now if triage has not run)."""
        if self.redacted_body:
            return self.redacted_body
        from routing.text import redact

        return redact(self.body).text


class AssignmentQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AssignmentQuerySet:
        condition = Q(question__brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)

    def live(self) -> AssignmentQuerySet:
        return self.filter(status=Assignment.Status.OFFERED, expires_at__gt=timezone.now())


class Assignment(models.Model):
    """An offer of a question to an expert, and — once accepted — the expert's assignment."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RESOLVED = "resolved", _("Resolved")
        RELEASED = "released", _("Handed back")
        ESCALATED = "escalated", _("Escalated to staff")

    # Outcomes that keep the expert from being offered the same question again.
    PASSED = (Status.DECLINED, Status.EXPIRED, Status.RELEASED)
    # The expert took part in the conversation: she may read it afterwards.
    HANDLED = (Status.ACCEPTED, Status.RESOLVED, Status.ESCALATED)

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFERED)
    step = models.PositiveSmallIntegerField()
    score = models.FloatField()
    breakdown = models.JSONField(default=dict)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the offer-email task decided about this offer (sent, or skipped by the throttle):
    # claimed by a conditional update before sending, so a redelivered task never mails twice.
    email_decided_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            # One question, one expert: at most one accepted assignment per question.
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(status="accepted"),
                name="assignment_one_active_per_question",
            ),
            # Never two live offers of one question to the same expert.
            models.UniqueConstraint(
                fields=["question", "expert"],
                condition=Q(status="offered"),
                name="assignment_one_open_offer_per_expert",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="offered"), name="assignment_due_idx"
            ),
            # An expert's offers this hour (the fairness cap), counted only for the candidates
            # routing's ordered walk reaches.
            models.Index(fields=["expert", "offered_at"], name="assignment_expert_offered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} -> {self.expert_id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.OFFERED and self.expires_at <= timezone.now()

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.expires_at - timezone.now()).total_seconds()))


class PresenceQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> PresenceQuerySet:
        condition = Q(user__expert_memberships__brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition).distinct()


class Presence(models.Model):
    """An expert's availability and load, across all the pools they work in.

    ``active`` only moves by relative conditional updates (``active < capacity``), never
    read-then-write; ``capacity`` is copied from the profile when the expert goes online or
    changes it, so the check needs no join.
    """

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFLINE)
    status_reason = models.CharField(max_length=200, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Online on her schedule: offers stop at this instant (the end of the availability window
    # she was in when she went online) and the sweep sets her away. Null while online means
    # online by hand, with no end but going offline or a lapsed heartbeat.
    window_ends_at = models.DateTimeField(null=True, blank=True)
    # Set away because a window ended: a heartbeat inside her next window brings her back.
    away_by_schedule = models.BooleanField(default=False)
    capacity = models.PositiveSmallIntegerField(default=2)
    active = models.PositiveSmallIntegerField(default=0)
    missed_offers = models.PositiveSmallIntegerField(default=0)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    objects = PresenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(active__lte=models.F("capacity")),
                name="presence_active_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.status} {self.active}/{self.capacity}"

    @property
    def is_fresh(self) -> bool:
        return (
            self.last_heartbeat_at is not None
            and timezone.now() - self.last_heartbeat_at < HEARTBEAT_FRESH
        )

    @property
    def in_window_now(self) -> bool:
        return self.window_ends_at is None or timezone.now() < self.window_ends_at

    @property
    def online_by_hand(self) -> bool:
        return self.status == self.Status.ONLINE and self.window_ends_at is None

    @property
    def is_available(self) -> bool:
        return (
            self.status == self.Status.ONLINE
            and self.is_fresh
            and self.in_window_now
            and self.active < self.capacity
        )


class MessageQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> MessageQuerySet:
        visible_questions = Question.objects.visible_to(viewer).values("pk")
        return self.filter(question_id__in=visible_questions)


class Message(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        EXPERT = "expert", _("Expert")
        STAFF = "staff", _("Brand staff")
        AI = "ai", _("Automated answer")
        SYSTEM = "system", _("GigCX")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    body = models.TextField()
    # Customer messages are redacted for experts, like the question itself.
    redacted_body = models.TextField(blank=True)
    # How frustrated a customer message reads (0..1); None for other roles, or when the
    # customer turned tone analysis off.
    frustration = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role} on {self.question_id}"

    @property
    def expert_text(self) -> str:
        """What experts are shown. Only customers' words are redacted; the fallback covers a
        customer message written before triage stored its redacted copy."""
        if self.role != self.Role.CUSTOMER or self.redacted_body:
            return self.redacted_body or self.body
        from routing.text import redact

        return redact(self.body).text


class KnowledgeEntryQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> KnowledgeEntryQuerySet:
        # Published entries are public (the AI line quotes them to anyone); drafts are staff's.
        return self._site_admin_or(
            viewer,
            Q(is_published=True, brand__is_active=True) | Q(brand_id__in=viewer.staff_brand_ids()),
        )

    def failing(self) -> KnowledgeEntryQuerySet:
        """Entries that keep failing customers (``KnowledgeEntry.is_failing``, in SQL)."""
        failed = models.F("not_helped_count") + models.F("handed_over_count")
        weight = KnowledgeEntry.PRIOR_WEIGHT
        prior = KnowledgeEntry.PRIOR_HELPED * weight
        # reliability < limit, multiplied out: (helped + prior) < limit * (outcomes + weight)
        return self.alias(failed=failed).filter(
            failed__gte=KnowledgeEntry.FAILING_MIN_FAILURES,
            failed__gt=(models.F("helped_count") + prior) / KnowledgeEntry.FAILING_BELOW
            - models.F("helped_count")
            - weight,
        )


class KnowledgeEntry(models.Model):
    """A brand's FAQ entry or an approved expert answer the AI line may quote."""

    class Source(models.TextChoices):
        FAQ = "faq", _("FAQ")
        EXPERT = "expert", _("Approved expert answer")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="knowledge")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.CharField(max_length=300)
    # Other ways customers ask the same thing ("Can I send them back?" for "What is your
    # return policy?"). The index weighs them with the question as one entry: several
    # phrasings that all come close make a surer match than one that happens to.
    phrasings = models.JSONField(default=list, blank=True)
    answer = models.TextField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FAQ)
    is_published = models.BooleanField(default=True)
    # Archived entries are kept with their record but never quoted (nor public); restoring
    # one brings it back as a draft.
    archived_at = models.DateTimeField(null=True, blank=True)
    # An expert's resolved answer turned into an entry: whose, and which question it answered.
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_question = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The entry's record as an automated answer (AutoAnswer rows are the detail).
    shown_count = models.PositiveIntegerField(default=0)
    helped_count = models.PositiveIntegerField(default=0)
    not_helped_count = models.PositiveIntegerField(default=0)
    handed_over_count = models.PositiveIntegerField(default=0)

    objects = KnowledgeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["question"]
        verbose_name_plural = "knowledge entries"
        constraints = [
            # One click, one draft: a conversation becomes at most one entry.
            models.UniqueConstraint(
                fields=["source_question"],
                condition=Q(source_question__isnull=False),
                name="knowledge_entry_one_per_source_question",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    # Until outcomes say otherwise an entry is taken to help nine times in ten, with the
    # weight of ten outcomes: one bad outcome barely moves it, a run of them sinks it.
    PRIOR_HELPED = 0.9
    PRIOR_WEIGHT = 10

    @property
    def reliability(self) -> float:
        """Share of its automated answers that helped, smoothed towards the prior."""
        failed = self.not_helped_count + self.handed_over_count
        prior = self.PRIOR_HELPED * self.PRIOR_WEIGHT
        return (self.helped_count + prior) / (self.helped_count + failed + self.PRIOR_WEIGHT)

    @property
    def rank_factor(self) -> float:
        """Multiplies the entry's confidence for a question: 1 with no record, above 1 for
        entries that help, towards 0 for entries that keep failing."""
        return self.reliability / self.PRIOR_HELPED

    # Flagged on the staff list once at least this many answers failed and the smoothed
    # help rate is under this share: with no "helped" that is three failures in a row.
    FAILING_MIN_FAILURES = 3
    FAILING_BELOW = 0.7

    @property
    def is_failing(self) -> bool:
        failed = self.not_helped_count + self.handed_over_count
        return failed >= self.FAILING_MIN_FAILURES and self.reliability < self.FAILING_BELOW

    @property
    def outcomes(self) -> int:
        return self.helped_count + self.not_helped_count + self.handed_over_count

    @property
    def help_rate(self) -> float | None:
        """Share of its answers with an outcome that helped (raw, not smoothed)."""
        return self.helped_count / self.outcomes if self.outcomes else None

    @property
    def status(self) -> str:
        if self.archived_at is not None:
            return "archived"
        return "published" if self.is_published else "draft"


class AutoAnswerQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AutoAnswerQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class AutoAnswer(models.Model):
    """The AI line answered a question with a knowledge entry: how sure it was, against which
    threshold, and what came of it. Outcomes calibrate the brand's threshold."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("No feedback yet")
        HELPED = "helped", _("Helped")
        NOT_HELPED = "not_helped", _("Did not help")
        HANDED_OVER = "handed_over", _("Handed to a person")

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="auto_answer")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        KnowledgeEntry, null=True, on_delete=models.SET_NULL, related_name="auto_answers"
    )
    backend = models.CharField(max_length=16)
    score = models.FloatField()
    confidence = models.FloatField()
    threshold = models.FloatField()
    # The customer chose "AI first": shown although the confidence was under the threshold.
    below_threshold = models.BooleanField(default=False)
    # Answered with a product's known-issue notice, whatever the entry's confidence: such
    # answers stay out of the threshold's calibration.
    known_issue = models.ForeignKey(
        "SurgeIncident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = AutoAnswerQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["brand", "backend", "-created_at"])]

    def __str__(self) -> str:
        return f"automated answer to {self.question_id} ({self.outcome})"


class AnswerCalibrationQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> AnswerCalibrationQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class AnswerCalibration(models.Model):
    """A brand's auto-answer threshold, calibrated from its own outcomes towards its target
    precision. ``threshold`` is None (the backend's default) until enough outcomes exist;
    it was computed for ``backend`` and means nothing for another."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="answer_calibration")
    target_precision = models.FloatField(default=0.93)
    backend = models.CharField(max_length=16, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    outcomes = models.PositiveIntegerField(default=0)
    precision = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnswerCalibrationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"answer calibration of {self.brand}"


class CopilotDraftQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> CopilotDraftQuerySet:
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class CopilotDraft(models.Model):
    """A reply drafted for the assigned expert from the brand's knowledge base and her own
    past answers. It is only ever offered: she sends (and authors) the message. ``used_at``,
    ``message`` and ``edited`` record whether what she sent came from it."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="drafts")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="drafts")
    # The latest customer message the draft answers: one draft per message, however often
    # the page is opened.
    basis = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    entry_ids = models.JSONField(default=list)
    # The questions (of hers, resolved) whose answers the draft reuses.
    past_question_ids = models.JSONField(default=list)
    backend = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    edited = models.BooleanField(null=True, blank=True)

    objects = CopilotDraftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "expert", "basis"], name="copilot_draft_one_per_message"
            )
        ]
        indexes = [models.Index(fields=["brand", "created_at"], name="copilot_draft_brand_idx")]

    def __str__(self) -> str:
        return f"copilot draft for {self.question_id} ({'used' if self.used_at else 'offered'})"


class QuestionTagQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> QuestionTagQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class QuestionTag(models.Model):
    """A brand's own label for conversations in its staff inbox ("refund", "sizing")."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="question_tags")
    name = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuestionTagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="question_tag_unique_per_brand")
        ]

    def __str__(self) -> str:
        return self.name


class InternalNoteQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> InternalNoteQuerySet:
        # Staff of the brand only: never the customer, never the expert.
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class InternalNote(models.Model):
    """A note the brand's staff keep on a conversation. It is not a Message: nothing that
    shows or serializes the conversation to customers or experts reads this table."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="internal_notes")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InternalNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on {self.question_id}"


class CannedReplyQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> CannedReplyQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class CannedReply(models.Model):
    """A reply the brand keeps ready; staff insert it into the reply box and edit it there."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(max_length=80)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"
        constraints = [
            models.UniqueConstraint(fields=["brand", "title"], name="canned_reply_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class SurgeIncidentQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> SurgeIncidentQuerySet:
        # A published notice is public (the ask page and the widget show it to anyone);
        # the detection itself, with its example questions, is the brand's staff's.
        return self._site_admin_or(
            viewer,
            Q(status=SurgeIncident.Status.PUBLISHED, brand__is_active=True)
            | Q(brand_id__in=viewer.staff_brand_ids()),
        )

    def notices(self) -> SurgeIncidentQuerySet:
        """Known-issue notices in force."""
        return self.filter(status=SurgeIncident.Status.PUBLISHED)


class SurgeIncident(models.Model):
    """Many customers asking about one problem with one product at once (the surge
    detector's alert), and, once staff publish it, the product's known-issue notice."""

    class Status(models.TextChoices):
        OPEN = "open", _("Detected")
        PUBLISHED = "published", _("Notice published")
        DISMISSED = "dismissed", _("Dismissed")
        ENDED = "ended", _("Notice ended")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="surge_incidents")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The first question of the group that fired, and when the detector noticed it.
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # The grouped questions (ids, oldest first), how many the window had and how many such
    # questions the product usually gets in a window of that length.
    question_ids = models.JSONField(default=list)
    question_count = models.PositiveIntegerField(default=0)
    expected_count = models.FloatField(default=0.0)
    # The text backend that measured the group (embeddings or TF-IDF).
    backend = models.CharField(max_length=8, default="")
    # The drafted entry (from the best expert answer so far) the notice answers with.
    entry = models.ForeignKey(
        KnowledgeEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    headline = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = SurgeIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at"]
        indexes = [
            models.Index(fields=["product", "status"], name="surge_product_status_idx"),
        ]
        constraints = [
            # One notice in force per product: the customer reads one, not a pile.
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="published"),
                name="surge_one_notice_per_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} surge {self.started_at:%Y-%m-%d %H:%M}"


class StaffingSurgeQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> StaffingSurgeQuerySet:
        return self._site_admin_or(viewer, Q(brand_id__in=viewer.staff_brand_ids()))


class StaffingSurge(models.Model):
    """A brand's waiting queue outgrowing its online experts' free slots. ``watching`` while
    it has not lasted the brand's ``surge_after_minutes``; ``active`` once the opted-in
    experts are invited; ``ended`` when the queue fits again (or it never lasted)."""

    class Status(models.TextChoices):
        WATCHING = "watching", _("Building up")
        ACTIVE = "active", _("Experts invited")
        ENDED = "ended", _("Ended")

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="staffing_surges")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WATCHING)
    started_at = models.DateTimeField()
    invited_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    peak_waiting = models.PositiveIntegerField(default=0)
    free_slots_at_start = models.PositiveIntegerField(default=0)
    # The surge bonus per resolved question shown on the invitation (the rate card's, when
    # the experts were invited), in minor units of ``currency``.
    bonus_amount = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)

    objects = StaffingSurgeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand"],
                condition=~Q(status="ended"),
                name="staffing_surge_one_open_per_brand",
            ),
        ]

    def __str__(self) -> str:
        return f"staffing surge at {self.brand} from {self.started_at:%Y-%m-%d %H:%M}"


class StaffingSurgeInviteQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> StaffingSurgeInviteQuerySet:
        return self._site_admin_or(
            viewer,
            Q(surge__brand_id__in=viewer.staff_brand_ids()) | Q(expert__user_id=viewer.user_id),
        )


class StaffingSurgeInvite(models.Model):
    """One expert invited to one surge (once: the unique constraint is the guarantee)."""

    surge = models.ForeignKey(StaffingSurge, on_delete=models.CASCADE, related_name="invites")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    # When she came online after the invitation (she answered the call).
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = StaffingSurgeInviteQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["surge", "expert"], name="staffing_invite_once"),
        ]

    def __str__(self) -> str:
        return f"{self.expert} invited to {self.surge_id}"
