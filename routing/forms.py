from __future__ import annotations

from typing import Any

from django import forms

from marketplace.models import Brand, Expert, Product
from routing.models import Assignment, KnowledgeEntry, Question
from routing.services.knowledge_base import ANSWER_MAX, QUESTION_MAX


class AskForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        empty_label="Not sure / other",
        help_text="Which product is it about?",
    )
    body = forms.CharField(
        label="Your question",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="No card numbers or passwords, please. Experts never see your contact details.",
    )
    preference = forms.ChoiceField(
        label="Who should answer?",
        choices=Question.Preference.choices,
        initial=Question.Preference.AUTO,
        widget=forms.RadioSelect,
    )
    contact_email = forms.EmailField(
        label="Your email",
        required=False,
        help_text="We send you a private link to the conversation.",
    )

    preferred_expert = forms.ModelChoiceField(
        queryset=Expert.objects.none(),
        required=False,
        empty_label="Whoever is best right now",
        label="Ask someone who helped you before?",
    )

    def __init__(
        self, *args: Any, brand: Brand, anonymous: bool, customer: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(brand=brand, is_archived=False)
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
            self.fields["preferred_expert"].label_from_instance = _expert_name
        else:
            del self.fields["preferred_expert"]


def _expert_name(expert: Expert) -> str:
    profile = getattr(expert.user, "expert_profile", None)
    return profile.display_name if profile else expert.user.display_name


class KnowledgeEntryForm(forms.Form):
    """Write or edit a knowledge-base entry (the service checks the rest)."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        empty_label="All products (general)",
        help_text="The AI line quotes it only for questions about this product.",
    )
    question = forms.CharField(
        max_length=QUESTION_MAX,
        help_text="As a customer would ask it.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    answer = forms.CharField(
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Customers read this word for word, with a link to this entry.",
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(
            brand=brand, is_archived=False
        ).order_by("name")

    @staticmethod
    def initial_for(entry: KnowledgeEntry) -> dict[str, Any]:
        return {"product": entry.product, "question": entry.question, "answer": entry.answer}


class KnowledgeSearchForm(forms.Form):
    """The list page's search and filters (GET)."""

    STATUS_CHOICES = [
        ("", "Published and drafts"),
        ("published", "Published"),
        ("draft", "Drafts"),
        ("archived", "Archived"),
    ]

    q = forms.CharField(required=False, max_length=200, label="Search")
    product = forms.ChoiceField(required=False, label="Product")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label="Status")
    flagged = forms.BooleanField(required=False, label="Only entries that keep failing")

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(brand=brand).order_by("name").values_list("pk", "name")
        self.fields["product"].choices = [
            ("", "All products"),
            ("general", "General (no product)"),
            *[(str(pk), name) for pk, name in products],
        ]
