from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0006_message_mood_and_staff_alert"),
    ]

    operations = [
        migrations.AddField(
            model_name="knowledgeentry",
            name="phrasings",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
