from __future__ import annotations

from typing import Any

from django import forms

from marketplace.models import Brand, Expert, Product
from routing.models import Assignment, Question


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
    tone_analysis = forms.BooleanField(
        label="Read the tone of my messages, so an upset customer reaches a person faster",
        required=False,
        initial=True,
        help_text="Untick to opt out: no tone score is computed or kept for this question.",
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
            self.fields["preferred_expert"].label_from_instance = _expert_name
        else:
            del self.fields["preferred_expert"]


def _expert_name(expert: Expert) -> str:
    profile = getattr(expert.user, "expert_profile", None)
    return profile.display_name if profile else expert.user.display_name
