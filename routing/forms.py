from __future__ import annotations

from typing import Any

from django import forms

from marketplace.models import Brand, Product
from routing.models import Question


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

    def __init__(self, *args: Any, brand: Brand, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(brand=brand, is_archived=False)
        if anonymous:
            self.fields["contact_email"].required = True
        else:
            del self.fields["contact_email"]
