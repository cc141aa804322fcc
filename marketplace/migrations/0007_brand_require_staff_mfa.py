from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_merge_20261201_1323"),
    ]

    operations = [
        migrations.AddField(
            model_name="brand",
            name="require_staff_mfa",
            field=models.BooleanField(
                default=False,
                help_text="Every member of the staff must use two-factor authentication.",
            ),
        ),
    ]
