"""Backfill the brands' question counters and the experts' recency from what is stored.

Each brand's counter becomes its number of questions. An expert's recency starts as her
resolutions of the last 7 days (what routing counted before), as of today's counter.
"""

from datetime import timedelta

from django.db import migrations
from django.db.models import Count
from django.utils import timezone


def backfill(apps, schema_editor):
    Brand = apps.get_model("marketplace", "Brand")
    Expert = apps.get_model("marketplace", "Expert")
    Question = apps.get_model("routing", "Question")
    Assignment = apps.get_model("routing", "Assignment")
    week_ago = timezone.now() - timedelta(days=7)
    for brand in Brand.objects.all():
        seq = Question.objects.filter(brand_id=brand.pk).count()
        Brand.objects.filter(pk=brand.pk).update(question_seq=seq)
        recent = (
            Assignment.objects.filter(
                expert__brand_id=brand.pk, status="resolved", ended_at__gte=week_ago
            )
            .values("expert_id")
            .annotate(n=Count("pk"))
        )
        for row in recent:
            Expert.objects.filter(pk=row["expert_id"]).update(
                recency=float(row["n"]), recency_seq=seq
            )


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_expert_recency"),
        ("routing", "0002_question_triage_attempts"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
