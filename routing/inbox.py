"""The staff inbox's read side: its tabs, its filters (GET parameters) and the selectors
that list and count a brand's conversations. Writes are in ``routing/services/inbox.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from django import forms
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from marketplace.models import Brand, Expert
from routing.models import (
    MOOD_UNEASY_AT,
    MOOD_UPSET_AT,
    Assignment,
    Message,
    Mood,
    Question,
    QuestionTag,
)

S = Question.Status


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    statuses: tuple[str, ...]


# The tabs, mapped onto Question.Status. "Waiting" is every question no person has yet:
# being triaged (new), waiting for an offer, or offered and not yet accepted.
TABS = (
    Tab("all", _("All"), tuple(S.values)),
    Tab("waiting", _("Waiting"), (S.NEW, S.WAITING, S.OFFERED)),
    Tab("expert", _("With an expert"), (S.ASSIGNED,)),
    Tab("escalated", _("Escalated to us"), (S.ESCALATED,)),
    Tab("automatic", _("Answered automatically"), (S.AI_ANSWERED,)),
    Tab("resolved", _("Resolved"), (S.RESOLVED,)),
)
TABS_BY_KEY = {tab.key: tab for tab in TABS}
# Work that is over (answered automatically or resolved) stays in the inbox for this many days
# after it was asked, so a brand with a million questions still opens its inbox at once; a
# search reaches every question, however old (the customer's page lists her whole history).
DONE_STATUSES = (S.AI_ANSWERED, S.RESOLVED)
DONE_DAYS = 30
# The questions an SLA timer runs for: nobody has taken them yet.
SLA_STATUSES = (S.NEW, S.WAITING, S.OFFERED)
# "Due soon" is the last stretch of the timer.
SLA_DUE_SOON = timedelta(minutes=5)

PRIORITY_CHOICES = [
    ("0", _("Normal")),
    ("1", _("Urgent")),
    ("2", _("Upset customer (first in line)")),
]
SLA_CHOICES = [
    ("on_time", _("On time")),
    ("due_soon", _("Due in 5 minutes or less")),
    ("breached", _("Past the SLA")),
    ("none", _("No timer running")),
]
# "4 of 5", read in the page's language when the form is drawn.
score_label = lazy(lambda n: gettext("%(value)s of 5") % {"value": n}, str)
RATING_CHOICES = [(str(n), score_label(n)) for n in range(5, 0, -1)] + [("none", _("Not rated"))]


def language_name(code: str) -> str:
    """The language's name in the page's language ("German", "Deutsch")."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code.upper() or gettext("Unknown")


class InboxFilterForm(forms.Form):
    """The inbox's GET parameters. Every choice is the brand's own, so a bookmarked view
    with a product, tag or expert that has since gone says so instead of failing."""

    tab = forms.ChoiceField(
        label=_("Tab"),
        required=False,
        choices=[(t.key, t.label) for t in TABS],
        error_messages={"invalid_choice": _("There is no “%(value)s” tab.")},
    )
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=None,
        required=False,
        empty_label=_("Any product"),
        error_messages={"invalid_choice": _("That product is not one of this brand's.")},
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        error_messages={"invalid_choice": _("This brand does not serve “%(value)s”.")},
    )
    mood = forms.ChoiceField(
        label=_("Mood"),
        required=False,
        choices=[("", _("Any mood")), *Mood.choices],
        error_messages={"invalid_choice": _("“%(value)s” is not a mood we read.")},
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("Any priority")), *PRIORITY_CHOICES],
        error_messages={"invalid_choice": _("Priority is normal, urgent or upset customer.")},
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[("", _("Any SLA state")), *SLA_CHOICES],
        error_messages={"invalid_choice": _("“%(value)s” is not an SLA state.")},
    )
    expert = forms.ModelChoiceField(
        label=_("Expert"),
        queryset=None,
        required=False,
        empty_label=_("Any expert"),
        error_messages={"invalid_choice": _("That expert is not in this brand's pool.")},
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=None,
        required=False,
        empty_label=_("Any tag"),
        error_messages={"invalid_choice": _("This brand has no such tag.")},
    )
    rating = forms.ChoiceField(
        label=_("Rating"),
        required=False,
        choices=[("", _("Any rating")), *RATING_CHOICES],
        error_messages={"invalid_choice": _("A rating is 1 to 5, or not rated.")},
    )

    FILTERS = ("product", "language", "mood", "priority", "sla", "expert", "tag", "rating")

    def __init__(self, data: Any, *, brand: Brand) -> None:
        super().__init__(data)
        self.brand = brand
        fields: Any = self.fields
        fields["product"].queryset = brand.products.order_by("name")
        fields["expert"].queryset = (
            Expert.objects.filter(brand=brand)
            .select_related("user__expert_profile")
            .order_by("user__name", "pk")
        )
        fields["expert"].label_from_instance = attrgetter("display_name")
        fields["tag"].queryset = QuestionTag.objects.filter(brand=brand)
        fields["tag"].to_field_name = "name"
        fields["language"].choices = [("", _("Any language"))] + [
            (code, language_name(code)) for code in (brand.languages or ["en"])
        ]

    def valid_data(self) -> dict[str, Any]:
        """The cleaned values of the fields that are valid: a bad filter is reported and
        left out, the others still apply."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value not in (None, "")
        }

    def error_list(self) -> list[str]:
        return [
            gettext("%(filter)s: %(problem)s")
            % {"filter": self.fields[name].label or name.capitalize(), "problem": message}
            for name, messages in self.errors.items()
            for message in messages
        ]


def message_search(text: str) -> QuerySet[Message]:
    """Messages matching ``text`` by PostgreSQL full-text search (English stemming, web
    search syntax: quotes, "or", "-word")."""
    from django.contrib.postgres.search import SearchQuery, SearchVector

    query = SearchQuery(text, config="english", search_type="websearch")
    return Message.objects.annotate(document=SearchVector("body", config="english")).filter(
        document=query
    )


def question_search(queryset: QuerySet[Question], text: str) -> QuerySet[Question]:
    """Questions whose text or conversation matches ``text``: PostgreSQL full-text search
    (stemmed, so "refunds" finds "refund") on PostgreSQL, a substring match elsewhere."""
    text = text.strip()
    if not text:
        return queryset
    by_id = Q(pk=int(text.lstrip("#"))) if text.lstrip("#").isdigit() else Q(pk__in=[])
    if connection.vendor == "postgresql":
        # The conversation's first message is the question itself, so the messages are the
        # whole text; the GIN index of routing 0017 serves this very expression.
        return queryset.filter(Q(pk__in=message_search(text).values("question_id")) | by_id)
    in_messages = Message.objects.filter(question_id=OuterRef("pk"), body__icontains=text)
    return queryset.filter(Q(body__icontains=text) | Exists(in_messages) | by_id)


def _mood_condition(mood: str) -> Q:
    analysed = Q(tone_analysis=True)
    return {
        Mood.NOT_ANALYSED: Q(tone_analysis=False),
        Mood.NOT_READ: analysed & Q(frustration__isnull=True),
        Mood.UPSET: analysed & Q(frustration__gte=MOOD_UPSET_AT),
        Mood.UNEASY: analysed & Q(frustration__gte=MOOD_UNEASY_AT, frustration__lt=MOOD_UPSET_AT),
        Mood.CALM: analysed & Q(frustration__lt=MOOD_UNEASY_AT),
    }[Mood(mood)]


def _sla_condition(state: str, now: datetime) -> Q:
    running = Q(status__in=SLA_STATUSES, sla_due_at__isnull=False)
    return {
        "breached": running & Q(sla_due_at__lte=now),
        "due_soon": running & Q(sla_due_at__gt=now, sla_due_at__lte=now + SLA_DUE_SOON),
        "on_time": running & Q(sla_due_at__gt=now + SLA_DUE_SOON),
        "none": ~running,
    }[state]


def inbox_filtered(*, brand_id: int, filters: dict[str, Any]) -> QuerySet[Question]:
    """The brand's questions matching every filter except the tab."""
    from quality.models import Rating

    questions = Question.objects.filter(brand_id=brand_id)
    now = timezone.now()
    if "product" in filters:
        questions = questions.filter(product=filters["product"])
    if "language" in filters:
        questions = questions.filter(language=filters["language"])
    if "mood" in filters:
        questions = questions.filter(_mood_condition(filters["mood"]))
    if "priority" in filters:
        questions = questions.filter(priority=int(filters["priority"]))
    if "sla" in filters:
        questions = questions.filter(_sla_condition(filters["sla"], now))
    if "expert" in filters:
        # Who has or had it: an accepted, resolved or escalated assignment, or a live offer.
        questions = questions.filter(
            Exists(
                Assignment.objects.filter(
                    question_id=OuterRef("pk"), expert=filters["expert"]
                ).filter(Q(status__in=Assignment.HANDLED) | Q(status=Assignment.Status.OFFERED))
            )
        )
    if "tag" in filters:
        questions = questions.filter(
            Exists(
                Question.tags.through.objects.filter(
                    question_id=OuterRef("pk"), questiontag=filters["tag"]
                )
            )
        )
    if "rating" in filters:
        rated = Rating.objects.filter(question_id=OuterRef("pk"))
        if filters["rating"] == "none":
            questions = questions.filter(~Exists(rated))
        else:
            questions = questions.filter(Exists(rated.filter(score=int(filters["rating"]))))
    if filters.get("q"):
        questions = question_search(questions, filters["q"])
    return questions


def _in_tab(questions: QuerySet[Question], statuses: tuple[str, ...], *, searching: bool) -> Any:
    """The tab's statuses; finished work only from the last DONE_DAYS days unless searching.
    Written as open statuses OR recent finished ones, so each side has an index to use."""
    if searching:
        return questions.filter(status__in=statuses)
    open_ones = [status for status in statuses if status not in DONE_STATUSES]
    done = [status for status in statuses if status in DONE_STATUSES]
    recent = timezone.now() - timedelta(days=DONE_DAYS)
    condition = Q(pk__in=[])
    if open_ones:
        condition |= Q(status__in=open_ones)
    if done:
        condition |= Q(status__in=done, created_at__gte=recent)
    return questions.filter(condition)


def inbox_counts(*, brand_id: int, filters: dict[str, Any]) -> dict[str, int]:
    """How many questions each tab holds under the current filters: one query."""
    aggregates = {
        tab.key: Count("pk", filter=Q(status__in=tab.statuses)) for tab in TABS if tab.key != "all"
    }
    questions = _in_tab(
        inbox_filtered(brand_id=brand_id, filters=filters),
        TABS_BY_KEY["all"].statuses,
        searching=bool(filters.get("q")),
    )
    counts = questions.aggregate(all=Count("pk"), **aggregates)
    return {tab.key: int(counts[tab.key] or 0) for tab in TABS}


def inbox_questions(*, brand_id: int, filters: dict[str, Any], tab: str) -> QuerySet[Question]:
    """One tab of the inbox, each row with who has the question and its rating, in a
    bounded number of queries (subqueries and one prefetch, never a query per row).
    Open questions first, by priority, then the longest waiting."""
    from quality.models import Rating

    holder = Assignment.objects.filter(
        question_id=OuterRef("pk"),
        status__in=[*Assignment.HANDLED, Assignment.Status.OFFERED],
    ).order_by(
        # The expert who has it now, else the live offer, else whoever had it last.
        Case(
            When(status=Assignment.Status.ACCEPTED, then=Value(0)),
            When(status=Assignment.Status.OFFERED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        "-offered_at",
        "-pk",
    )
    statuses = TABS_BY_KEY[tab].statuses
    rows = (
        _in_tab(
            inbox_filtered(brand_id=brand_id, filters=filters),
            statuses,
            searching=bool(filters.get("q")),
        )
        .select_related("product")
        .prefetch_related("tags")
        .annotate(
            holder_name=Coalesce(
                Subquery(holder.values("expert__user__expert_profile__display_name")[:1]),
                NullIf(Subquery(holder.values("expert__user__name")[:1]), Value("")),
            ),
            holder_status=Subquery(holder.values("status")[:1]),
            rating_score=Subquery(
                Rating.objects.filter(question_id=OuterRef("pk")).values("score")[:1]
            ),
            closed=Case(
                When(status__in=DONE_STATUSES, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
    )
    # Open work by priority, the longest waiting first; finished work newest first. A tab of
    # one kind orders by plain columns, so an index walk can stop at the first page.
    if all(status in DONE_STATUSES for status in statuses):
        return rows.order_by("-created_at", "-pk")
    if not any(status in DONE_STATUSES for status in statuses):
        return rows.order_by("-priority", "created_at", "pk")
    return rows.annotate(
        open_priority=Case(
            When(closed=0, then=F("priority")), default=Value(0), output_field=IntegerField()
        ),
        open_since=Case(When(closed=0, then=F("created_at"))),
        done_at=Case(When(closed=1, then=F("created_at"))),
    ).order_by("closed", "-open_priority", "open_since", "-done_at", "-pk")


def sla_state(question: Question, now: datetime) -> tuple[str, int | None]:
    """("on_time" | "due_soon" | "breached" | "none", seconds left, negative when past)."""
    if question.status not in SLA_STATUSES or question.sla_due_at is None:
        return "none", None
    left = int((question.sla_due_at - now).total_seconds())
    if left <= 0:
        return "breached", left
    return ("due_soon" if left <= SLA_DUE_SOON.total_seconds() else "on_time"), left


def waited_seconds(question: Question, now: datetime) -> int:
    end = question.resolved_at or now
    return max(0, int((end - question.created_at).total_seconds()))
