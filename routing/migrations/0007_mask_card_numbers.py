"""Mask payment card numbers already stored in customer text (issue 11): questions, messages
and rating comments keep at most the last four digits, as new text does since this release."""

from django.db import migrations

from routing.text.redaction import mask_cards

# Fields of customer text, as (app, model, field).
FIELDS = [
    ("routing", "Question", "body"),
    ("routing", "Message", "body"),
    ("quality", "Rating", "comment"),
]


def mask_existing(apps, schema_editor):
    for app, model_name, field in FIELDS:
        model = apps.get_model(app, model_name)
        # Only rows with 13+ digits in them can hold a card number.
        rows = model.objects.filter(**{f"{field}__regex": r"([0-9][^0-9]{0,2}){13}"})
        for pk, text in rows.values_list("pk", field).iterator(chunk_size=500):
            masked = mask_cards(text)
            if masked != text:
                model.objects.filter(pk=pk).update(**{field: masked})


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0006_message_mood_and_staff_alert"),
        ("quality", "0007_rating_request"),
    ]

    operations = [migrations.RunPython(mask_existing, migrations.RunPython.noop)]
