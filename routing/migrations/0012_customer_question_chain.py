from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Window
from django.db.models.functions import Lag, Lead

CHAIN_SQL = """
UPDATE routing_question AS q
SET asked_before_at = c.before_at, asked_again_at = c.again_at
FROM (
    SELECT id,
           LAG(created_at) OVER w AS before_at,
           LEAD(created_at) OVER w AS again_at
    FROM routing_question
    WHERE asked_by_id IS NOT NULL
    WINDOW w AS (PARTITION BY brand_id, asked_by_id ORDER BY created_at, id)
) AS c
WHERE q.id = c.id AND (c.before_at IS NOT NULL OR c.again_at IS NOT NULL)
"""


def chain_questions(apps, schema_editor):
    """Link each signed-in customer's questions to a brand: previous and next asked."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(CHAIN_SQL)
        return
    Question = apps.get_model("routing", "Question")
    window = {
        "partition_by": [F("brand_id"), F("asked_by_id")],
        "order_by": [F("created_at"), F("pk")],
    }
    rows = (
        Question.objects.filter(asked_by__isnull=False)
        .annotate(
            before_at=Window(Lag("created_at"), **window),
            again_at=Window(Lead("created_at"), **window),
        )
        .values_list("pk", "before_at", "again_at")
    )
    changed = [
        Question(pk=pk, asked_before_at=before_at, asked_again_at=again_at)
        for pk, before_at, again_at in rows.iterator(chunk_size=2000)
        if before_at or again_at
    ]
    Question.objects.bulk_update(changed, ["asked_before_at", "asked_again_at"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_merge_20261201_1323"),
        ("routing", "0011_merge_20261201_1328"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="asked_again_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="question",
            name="asked_before_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(
                condition=models.Q(("asked_by__isnull", False)),
                fields=["brand", "asked_by", "created_at"],
                name="question_brand_customer_idx",
            ),
        ),
        migrations.RunPython(chain_questions, migrations.RunPython.noop),
    ]
