"""Forms of the quality pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SCORES = [(str(n), str(n)) for n in range(1, 6)]


class ReviewForm(forms.Form):
    empathy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label=_("Empathy")
    )
    accuracy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label=_("Accuracy")
    )
    tone = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label=_("Tone")
    )
    policy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label=_("Policy")
    )
    comment = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Comment for the expert"),
    )


class QualitySettingsForm(forms.Form):
    review_sample_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label=_("Random share reviewed (%)"),
        help_text=_("Every rating of 2 stars or fewer is reviewed anyway."),
    )
