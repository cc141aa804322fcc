from __future__ import annotations

from typing import Any

from django import forms

from marketplace.models import LANGUAGE_CHOICES, Brand, Category


class BrandForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="As your customers know it.")
    slug = forms.SlugField(
        max_length=60,
        required=False,
        help_text="The web address of your brand on GigCX; leave empty to derive it from the name.",
    )
    tagline = forms.CharField(max_length=200, required=False)
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        initial=["en"],
        widget=forms.CheckboxSelectMultiple,
        help_text="Languages your experts answer in.",
    )


class ProductForm(forms.Form):
    name = forms.CharField(max_length=160)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    sku = forms.CharField(max_length=64, required=False, label="SKU")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(brand=brand, is_archived=False)


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=120)
    parent = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(brand=brand, is_archived=False)
