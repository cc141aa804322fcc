from __future__ import annotations

from operator import attrgetter
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import Brand, Expert, Product
from routing.models import Assignment, KnowledgeEntry, Question, RoutingSettings
from routing.scoring import DEFAULT_WEIGHTS, factor_label, merged_weights
from routing.services.knowledge_base import ANSWER_MAX, QUESTION_MAX


class AskForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        label=_("Product"),
        empty_label=_("Not sure / other"),
        help_text=_("Which product is it about?"),
    )
    body = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "No card numbers or passwords, please. Experts never see your contact details."
        ),
    )
    preference = forms.ChoiceField(
        label=_("Who should answer?"),
        choices=Question.Preference.choices,
        initial=Question.Preference.AUTO,
        widget=forms.RadioSelect,
    )
    tone_analysis = forms.BooleanField(
        label=_("Read the tone of my messages, so an upset customer reaches a person faster"),
        required=False,
        initial=True,
        help_text=_("Untick to opt out: no tone score is computed or kept for this question."),
    )
    contact_email = forms.EmailField(
        label=_("Your email"),
        required=False,
        help_text=_("We send you a private link to the conversation."),
    )

    preferred_expert = forms.ModelChoiceField(
        queryset=Expert.objects.none(),
        required=False,
        empty_label=_("Whoever is best right now"),
        label=_("Ask someone who helped you before?"),
    )

    def __init__(
        self, *args: Any, brand: Brand, anonymous: bool, customer: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(brand=brand, is_archived=False)
        if customer is not None:
            # Her last choice, remembered on her account.
            self.fields["tone_analysis"].initial = customer.tone_analysis
        if anonymous:
            self.fields["contact_email"].required = True
        else:
            del self.fields["contact_email"]
        previous = (
            Expert.objects.approved()
            .filter(
                brand=brand,
                assignments__status=Assignment.Status.RESOLVED,
                assignments__question__asked_by=customer,
            )
            .select_related("user__expert_profile")
            .distinct()
            if customer is not None
            else Expert.objects.none()
        )
        if previous.exists():
            self.fields["preferred_expert"].queryset = previous
            self.fields["preferred_expert"].label_from_instance = attrgetter("display_name")
        else:
            del self.fields["preferred_expert"]


class RoutingSettingsForm(forms.Form):
    """The brand's routing knobs on one page; the service checks the ranges."""

    offer_timeout_seconds = forms.IntegerField(
        label=_("Seconds an expert has to accept an offer"), min_value=10, max_value=600
    )
    mode = forms.ChoiceField(label=_("How offers go out"), choices=RoutingSettings.Mode.choices)
    broadcast_size = forms.IntegerField(
        label=_("Experts offered at once (top-k mode)"), min_value=1, max_value=10
    )
    wait_1 = forms.IntegerField(label=_("Step 1"), min_value=0, max_value=3600)
    wait_2 = forms.IntegerField(label=_("Step 2"), min_value=0, max_value=3600)
    wait_3 = forms.IntegerField(label=_("Step 3"), min_value=0, max_value=3600)
    max_attempts = forms.IntegerField(
        label=_("Offers before the question comes to your staff"), min_value=1, max_value=50
    )
    sla_minutes = forms.IntegerField(
        label=_("Minutes to a first human reply (SLA)"), min_value=1, max_value=24 * 60
    )
    fairness_cap_per_hour = forms.IntegerField(
        label=_("Offers per expert per hour, at most"), min_value=1, max_value=500
    )
    missed_offers_before_away = forms.IntegerField(
        label=_("Missed offers in a row before an expert is set away"), min_value=1, max_value=20
    )
    staff_alert_frustration = forms.FloatField(
        label=_("Alert staff when a customer's frustration reaches"),
        min_value=0.01,
        max_value=1.0,
        help_text=_("0 to 1; 0.85 means clearly upset."),
    )
    surge_after_minutes = forms.IntegerField(
        label=_("Invite opted-in experts when the queue outgrows the online experts for (minutes)"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        help_text=_("0 turns staffing surges off. Any surge bonus comes from the rate card."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, default in DEFAULT_WEIGHTS.items():
            self.fields[f"weight_{name}"] = forms.FloatField(
                label=factor_label(name),
                min_value=0,
                max_value=100,
                help_text=_("Default %(weight)s") % {"weight": f"{default:g}"},
            )

    @classmethod
    def initial_for(cls, settings: RoutingSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(settings, name)
            for name in (
                "offer_timeout_seconds",
                "mode",
                "broadcast_size",
                "max_attempts",
                "sla_minutes",
                "fairness_cap_per_hour",
                "missed_offers_before_away",
                "staff_alert_frustration",
                "surge_after_minutes",
            )
        }
        initial.update(zip(("wait_1", "wait_2", "wait_3"), settings.waits, strict=True))
        initial.update(
            {f"weight_{name}": value for name, value in merged_weights(settings.weights).items()}
        )
        return initial

    def weight_fields(self) -> list[Any]:
        return [self[f"weight_{name}"] for name in DEFAULT_WEIGHTS]

    def weights(self) -> dict[str, float]:
        """The weights that differ from the defaults: a factor left at its default follows
        the defaults when they change (routing.scoring.DEFAULT_WEIGHTS)."""
        return {
            name: self.cleaned_data[f"weight_{name}"]
            for name, default in DEFAULT_WEIGHTS.items()
            if self.cleaned_data[f"weight_{name}"] != default
        }

    def changes(self) -> dict[str, Any]:
        """What the service takes: the cleaned form in the model's shape."""
        data = dict(self.cleaned_data)
        if data.get("surge_after_minutes") is None:
            data.pop("surge_after_minutes", None)  # not on the form that was sent: unchanged
        waits = [data.pop(f"wait_{step}") for step in (1, 2, 3)]
        for name in DEFAULT_WEIGHTS:
            data.pop(f"weight_{name}")
        return {**data, "step_waits": waits, "weights": self.weights()}


class KnowledgeEntryForm(forms.Form):
    """Write or edit a knowledge-base entry (the service checks the rest)."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        label=_("Product"),
        empty_label=_("All products (general)"),
        help_text=_("The AI line quotes it only for questions about this product."),
    )
    question = forms.CharField(
        max_length=QUESTION_MAX,
        label=_("Question"),
        help_text=_("As a customer would ask it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phrasings = forms.CharField(
        label=_("Other ways customers ask this"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line. The AI line matches each of them, so an entry asked about in "
            "several ways is found more often and more surely."
        ),
    )
    answer = forms.CharField(
        max_length=ANSWER_MAX,
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Customers read this word for word, with a link to this entry."),
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(
            brand=brand, is_archived=False
        ).order_by("name")

    def clean_phrasings(self) -> list[str]:
        return self.cleaned_data.get("phrasings", "").splitlines()

    @staticmethod
    def initial_for(entry: KnowledgeEntry) -> dict[str, Any]:
        return {
            "product": entry.product,
            "question": entry.question,
            "phrasings": "\n".join(entry.phrasings or []),
            "answer": entry.answer,
        }


class KnowledgeSearchForm(forms.Form):
    """The list page's search and filters (GET)."""

    STATUS_CHOICES = [
        ("", _("Published and drafts")),
        ("published", _("Published")),
        ("draft", _("Drafts")),
        ("archived", _("Archived")),
    ]

    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    product = forms.ChoiceField(required=False, label=_("Product"))
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label=_("Status"))
    flagged = forms.BooleanField(required=False, label=_("Only entries that keep failing"))

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(brand=brand).order_by("name").values_list("pk", "name")
        self.fields["product"].choices = [
            ("", _("All products")),
            ("general", _("General (no product)")),
            *[(str(pk), name) for pk, name in products],
        ]
