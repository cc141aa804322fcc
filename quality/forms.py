"""Forms of the quality pages."""

from __future__ import annotations

from django import forms

SCORES = [(str(n), str(n)) for n in range(1, 6)]


class ReviewForm(forms.Form):
    empathy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label="Empathy"
    )
    accuracy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label="Accuracy"
    )
    tone = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label="Tone"
    )
    policy = forms.TypedChoiceField(
        choices=SCORES, coerce=int, widget=forms.RadioSelect, label="Policy"
    )
    comment = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment for the expert",
    )


class QualitySettingsForm(forms.Form):
    review_sample_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label="Random share reviewed (%)",
        help_text="Every rating of 2 stars or fewer is reviewed anyway.",
    )
