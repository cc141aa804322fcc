"""Calls with an expert, and callback slots.

A call belongs to a question: the customer who asked it talks to one expert of the brand.
No phone number is involved; audio runs peer to peer between the two browsers and nothing
is recorded. The server keeps only who, when, how long and the rating.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gigcx.tenancy import ScopedQuerySet, Viewer
from marketplace.models import Brand, Expert
from routing.models import Question


class CallQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> CallQuerySet:
        """Staff see their brand's calls; the customer hers; an expert the calls she takes
        and those ringing her now."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= (
                Q(customer_id=viewer.user_id)
                | Q(expert__user_id=viewer.user_id)
                | Q(offers__expert__user_id=viewer.user_id, offers__status="offered")
            )
        return self._site_admin_or(viewer, condition).distinct()


class Call(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        OFFERED = "offered", "Looking for an expert"
        RINGING = "ringing", "Connecting"
        CONNECTED = "connected", "Connected"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Nobody was free"
        CANCELLED = "cancelled", "Cancelled"

    LIVE = (Status.REQUESTED, Status.OFFERED, Status.RINGING, Status.CONNECTED)
    # An expert holds a capacity slot from accepting until the call is over.
    HOLDS_EXPERT = (Status.RINGING, Status.CONNECTED)

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="calls")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calls"
    )
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    callback = models.ForeignKey(
        "CallbackSlot", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    # What the call earned (minor units, the rate card's currency); the money is in the
    # ledger (``call-earning:<id>``), these say what to clear and when.
    currency = models.CharField(max_length=3, blank=True)
    earning_net = models.PositiveIntegerField(default=0)
    earning_clears_at = models.DateTimeField(null=True, blank=True)
    earning_cleared_at = models.DateTimeField(null=True, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One live call per question: a second "talk now" joins the first.
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(status__in=["requested", "offered", "ringing", "connected"]),
                name="call_one_live_per_question",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="call_rating_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "earning_clears_at"], name="call_clearing_idx")]

    def __str__(self) -> str:
        return f"Call {self.pk} on question {self.question_id} ({self.status})"

    @property
    def expert_required(self) -> Expert:
        """The expert, where the state guarantees one (a call past ringing, a taken slot)."""
        if self.expert is None:
            raise ValueError(f"{self} has no expert")
        return self.expert

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    def participant_user_ids(self) -> set[int]:
        ids = {self.customer_id}
        if self.expert_id is not None:
            ids.add(self.expert_required.user_id)
        return ids


class CallOfferQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> CallOfferQuerySet:
        condition = Q(call__brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= Q(expert__user_id=viewer.user_id)
        return self._site_admin_or(viewer, condition)


class CallOffer(models.Model):
    """One expert being rung for a call. The first accept wins (a conditional UPDATE on the
    call); the other offers are withdrawn."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Ringing"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Not answered"
        WITHDRAWN = "withdrawn", "Taken by another expert"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="offers")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="call_offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    offered_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = CallOfferQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "expert"], name="call_offer_once_per_expert")
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="call_offer_due_idx")]

    def __str__(self) -> str:
        return f"Call {self.call_id} offered to expert {self.expert_id} ({self.status})"


class CallbackSlotQuerySet(ScopedQuerySet):
    def visible_to(self, viewer: Viewer) -> CallbackSlotQuerySet:
        """Staff see their brand's slots; the customer hers; experts of the brand the open
        slots they may take and the ones they took."""
        condition = Q(brand_id__in=viewer.staff_brand_ids())
        if viewer.user_id is not None:
            condition |= (
                Q(customer_id=viewer.user_id)
                | Q(expert__user_id=viewer.user_id)
                | Q(
                    status="open",
                    brand__experts__user_id=viewer.user_id,
                    brand__experts__status__in=[Expert.Status.APPROVED, Expert.Status.PROBATION],
                )
            )
        return self._site_admin_or(viewer, condition).distinct()


class CallbackSlot(models.Model):
    """A time the customer asked to be called back when nobody was free. Booked inside the
    brand's experts' availability windows; one expert takes it and calls at that time."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an expert"
        TAKEN = "taken", "An expert will call"
        DONE = "done", "Called"
        CANCELLED = "cancelled", "Cancelled"

    LENGTH_MINUTES = 15

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="callbacks")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="callbacks"
    )
    expert = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks"
    )
    starts_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    # Set by the conditional UPDATE that claims the reminder: it is sent once.
    customer_reminded_at = models.DateTimeField(null=True, blank=True)
    expert_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = CallbackSlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(status__in=["open", "taken"]),
                name="callback_one_pending_per_question",
            )
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="callback_due_idx")]

    def __str__(self) -> str:
        return f"Callback for question {self.question_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def expert_required(self) -> Expert:
        """The expert, where the state guarantees one (a call past ringing, a taken slot)."""
        if self.expert is None:
            raise ValueError(f"{self} has no expert")
        return self.expert
