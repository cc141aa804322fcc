from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.models import (
    LANGUAGE_CHOICES,
    AvailabilityWindow,
    Brand,
    Category,
    Expert,
    Product,
)


class BrandDetailsForm(forms.Form):
    """What customers read about the brand, edited after it was set up (the address stays)."""

    name = forms.CharField(
        label=_("Name"), max_length=120, help_text=_("As your customers know it.")
    )
    tagline = forms.CharField(
        label=_("Tagline"),
        max_length=200,
        required=False,
        help_text=_("One line under the name on your pages."),
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        help_text=_("Your own site. The embeddable question widget may only be framed there."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Languages your experts answer in."),
    )
    anonymous_questions_per_hour = forms.IntegerField(
        label=_("Questions an hour from visitors without an account"),
        min_value=1,
        max_value=100_000,
        help_text=_(
            "Beyond it visitors are asked to wait a few minutes or sign in: a flood stays "
            "bounded however its senders' addresses change."
        ),
    )
    questions_per_customer_per_day = forms.IntegerField(
        label=_("Questions a day from one signed-in customer"),
        min_value=1,
        max_value=10_000,
    )


class BrandForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, help_text=_("As your customers know it.")
    )
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=60,
        required=False,
        help_text=_(
            "The web address of your brand on GigCX; leave empty to derive it from the name."
        ),
    )
    tagline = forms.CharField(label=_("Tagline"), max_length=200, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        initial=["en"],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Languages your experts answer in."),
    )


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    sku = forms.CharField(max_length=64, required=False, label=_("SKU"))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(brand=brand, is_archived=False)

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as product_create / product_update take it."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "sku": data["sku"],
            "description": data["description"],
            "category_id": data["category"].pk if data["category"] else None,
        }


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Parent"), queryset=Category.objects.none(), required=False
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(brand=brand, is_archived=False)


class CategoryEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Parent"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— top level —"),
    )

    def __init__(self, *args: Any, brand: Brand, category: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(
            brand=brand, is_archived=False
        ).exclude(pk=category.pk)


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8 CSV with a header line; at most 512 KB.")
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), help_text=_("The customer receives a link that works for 14 days.")
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Products they bought; pre-filled on their application."),
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(brand=brand, is_archived=False)


LEVEL_CHOICES = [
    ("", _("I don't own it")),
    ("1", _("1 · I have it, still learning")),
    ("2", _("2 · I use it now and then")),
    ("3", _("3 · I use it a lot")),
    ("4", _("4 · I know it inside out")),
    ("5", _("5 · People ask me about it")),
]


class ApplicationForm(forms.Form):
    """One level field per product (``level_<id>``), then languages, motivation and terms."""

    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Languages you can answer customers in."),
    )
    motivation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label=_("Why do you want to help other customers?"),
    )
    accept_terms = forms.BooleanField(
        label=_(
            "I accept the advocate program terms: I answer honestly, never share customers' "
            "personal data, and say when I don't know."
        ),
    )

    def __init__(
        self, *args: Any, products: list[Product], languages: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.products = products
        self.fields["languages"].choices = [
            (code, label) for code, label in LANGUAGE_CHOICES if code in languages
        ] or LANGUAGE_CHOICES
        for product in products:
            self.fields[f"level_{product.pk}"] = forms.ChoiceField(
                choices=LEVEL_CHOICES, required=False, label=product.name
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.products and not any(data.get(f"level_{p.pk}") for p in self.products):
            raise forms.ValidationError(
                gettext(
                    "Choose at least one product you own and use, and rate how well you know it."
                )
            )
        return data

    def product_fields(self) -> list[Any]:
        return [self[f"level_{product.pk}"] for product in self.products]

    def items(self) -> list[tuple[int, int]]:
        return [
            (product.pk, int(self.cleaned_data[f"level_{product.pk}"]))
            for product in self.products
            if self.cleaned_data.get(f"level_{product.pk}")
        ]


class QuizForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    subject = forms.ChoiceField(label=_("About"), help_text=_("A product, or a whole category."))
    level = forms.IntegerField(min_value=1, max_value=5, initial=3, label=_("Verifies level"))
    pass_mark = forms.IntegerField(min_value=1, max_value=100, initial=80, label=_("Pass mark %"))
    cooldown_hours = forms.IntegerField(
        min_value=0, max_value=720, initial=24, label=_("Cool-down, h")
    )
    questions = forms.CharField(
        label=_("Questions"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        help_text=_(
            "One question per paragraph: the question on the first line, then one "
            "choice per line starting with '-' (wrong) or '*' (the correct one)."
        ),
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(brand=brand, is_archived=False)
        categories = Category.objects.filter(brand=brand, is_archived=False)
        self.fields["subject"].choices = [
            (gettext("Products"), [(f"p:{p.pk}", p.name) for p in products]),
            (gettext("Categories"), [(f"c:{c.pk}", c.name) for c in categories]),
        ]

    def clean_questions(self) -> list[dict[str, Any]]:
        return quiz_text_parse(self.cleaned_data["questions"])

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind, _, pk = data["subject"].partition(":")
        return {
            "title": data["title"],
            "product_id": int(pk) if kind == "p" else None,
            "category_id": int(pk) if kind == "c" else None,
            "level": data["level"],
            "pass_mark": data["pass_mark"],
            "cooldown_hours": data["cooldown_hours"],
            "questions": data["questions"],
        }


def quiz_text_parse(text: str) -> list[dict[str, Any]]:
    """Parse the quiz text format of :class:`QuizForm` into the service's question list."""
    questions: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            current = None
            continue
        if line[0] in "-*" and current is not None:
            current["choices"].append({"text": line[1:].strip(), "is_correct": line[0] == "*"})
        elif line[0] in "-*":
            raise forms.ValidationError(
                gettext("The choice '%(line)s' has no question above it.") % {"line": line}
            )
        elif current is None:
            current = {"text": line, "choices": []}
            questions.append(current)
        else:
            current["text"] += " " + line
    if not questions:
        raise forms.ValidationError(gettext("Write at least one question."))
    return questions


class QuizTakeForm(forms.Form):
    """One radio group per question. Built from choice ids and texts only: whether a choice is
    correct never reaches the page."""

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, question in enumerate(questions, start=1):
            self.fields[f"q_{question.pk}"] = forms.TypedChoiceField(
                label=f"{number}. {question.text}",
                choices=[(choice.pk, choice.text) for choice in question.choices.all()],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": gettext("Choose an answer.")},
            )

    def answers(self) -> dict[int, int]:
        return {int(name[2:]): value for name, value in self.cleaned_data.items()}


class ApproveForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("approved", _("Approved")), ("probation", _("On probation"))],
        initial="approved",
        label=_("Join the pool as"),
    )
    reason = forms.CharField(
        required=False, max_length=2000, label=_("Note"), widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The applicant sees this."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The expert sees this; it is kept in the audit log."),
    )


class TierForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), choices=Expert.Tier.choices)


class VerifyForm(forms.Form):
    level = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)], coerce=int, label=_("Verified level")
    )


class PoolFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"), max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *Expert.Status.choices], required=False
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Any")), *Expert.Tier.choices], required=False
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("Any")
    )
    verified = forms.ChoiceField(
        label=_("Verified"),
        choices=[
            ("", _("Any")),
            ("1", _("Has a verified skill")),
            ("0", _("None verified")),
        ],
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any")), *LANGUAGE_CHOICES], required=False
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(brand=brand, is_archived=False)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"), max_length=60, help_text=_("Customers see this name.")
    )
    bio = forms.CharField(
        label=_("Bio"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    timezone = forms.ChoiceField(
        label=_("Timezone"), help_text=_("Your availability windows are in this timezone.")
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=10,
        initial=2,
        help_text=_("How many questions at once (1–10)."),
    )
    notify_offers_browser = forms.BooleanField(
        required=False, label=_("Show new offers in the browser")
    )
    notify_offers_email = forms.BooleanField(required=False, label=_("Email me about new offers"))
    notify_program_email = forms.BooleanField(
        required=False, label=_("Email me news from the programs I am in")
    )
    notify_surge_alerts = forms.BooleanField(
        required=False,
        label=_("Invite me when questions pile up (browser and email), with any surge bonus"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in timezone_names()]


def timezone_names() -> list[str]:
    import zoneinfo

    return sorted(zoneinfo.available_timezones())


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        choices=[("", "—"), *AvailabilityWindow.Weekday.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    start = forms.TimeField(
        label=_("Start"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("End"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        filled = [data.get("weekday") is not None, bool(data.get("start")), bool(data.get("end"))]
        if any(filled) and not all(filled):
            raise forms.ValidationError(gettext("Give the day, the start and the end."))
        return data


WindowFormSet = forms.formset_factory(WindowForm, extra=2, max_num=28, can_delete=True)


class _RawCheckboxInput(forms.CheckboxInput):
    """Hands the field what was sent (Django's own reads any text as ticked)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictCheckbox(forms.BooleanField):
    """A checkbox that refuses values no checkbox sends, instead of reading them as ticked."""

    widget = _RawCheckboxInput
    TICKED = ("on", "true", "1")
    EMPTY = ("", "off", "false", "0")

    def to_python(self, value: Any) -> bool:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext

        if value in (None, False, True):
            return bool(value)
        text = str(value).strip().lower()
        if text in self.TICKED:
            return True
        if text in self.EMPTY:
            return False
        raise ValidationError(
            gettext("Tick the box or leave it empty; “%(value)s” is neither.") % {"value": value},
            code="invalid",
        )


class StaffNotificationsForm(forms.Form):
    """What one staff member hears from one brand (stored on her membership)."""

    notify_escalation_email = StrictCheckbox(required=False)
    notify_surge_alerts = StrictCheckbox(required=False)

    def __init__(self, *args: Any, escalations: bool = True, **kwargs: Any) -> None:
        from django.utils.translation import gettext_lazy

        super().__init__(*args, **kwargs)
        self.fields["notify_surge_alerts"].label = gettext_lazy(
            "Alert me when many similar questions arrive at once (a surge)"
        )
        self.fields["notify_surge_alerts"].help_text = gettext_lazy(
            "Sent live to your open inbox page, and shown as a browser notification once "
            "you allow it below."
        )
        if escalations:
            self.fields["notify_escalation_email"].label = gettext_lazy(
                "Email me when a question is escalated to the team"
            )
        else:  # quality reviewers are never sent escalations: no choice to offer
            del self.fields["notify_escalation_email"]
