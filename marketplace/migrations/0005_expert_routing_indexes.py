"""Indexes routing walks in order (routing.selectors), and the experts' recency key."""

import math
import django.db.models.expressions
import django.db.models.functions.comparison
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


# routing.scoring.RECENCY_HALF_LIFE_QUESTIONS when this was written (a migration must not import
# app code that may change later).
HALF_LIFE = 15


def backfill_recency_key(apps, schema_editor):
    Expert = apps.get_model("marketplace", "Expert")
    batch = []
    rows = Expert.objects.filter(recency__gt=0).values_list("pk", "recency", "recency_seq")
    for pk, recency, seq in rows.iterator():
        batch.append(Expert(pk=pk, recency_key=math.log2(recency) + seq / HALF_LIFE))
        if len(batch) >= 1000:
            Expert.objects.bulk_update(batch, ["recency_key"])
            batch = []
    Expert.objects.bulk_update(batch, ["recency_key"])


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0004_merge_0003_alter_expert_tier_0003_expert_recency'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='expert',
            name='recency_key',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill_recency_key, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='expert',
            index=models.Index(models.F('brand'), models.OrderBy(models.F('recency_key'), descending=True), condition=models.Q(('recency_key__isnull', False), ('status__in', ['approved', 'probation'])), name='expert_routing_recent_idx'),
        ),
        migrations.AddIndex(
            model_name='expert',
            index=models.Index(models.F('brand'), models.OrderBy(django.db.models.functions.comparison.Coalesce(models.F('quality_score'), models.Value(Decimal('-1'))), descending=True), models.F('id'), condition=models.Q(('status__in', ['approved', 'probation'])), name='expert_routing_quality_idx'),
        ),
        migrations.AddIndex(
            model_name='expertskill',
            index=models.Index(models.F('product'), models.OrderBy(django.db.models.functions.comparison.Greatest(django.db.models.expressions.CombinedExpression(django.db.models.functions.comparison.Coalesce(models.F('verified_level'), models.Value(0)), '*', models.Value(10)), django.db.models.expressions.CombinedExpression(models.F('level'), '*', models.Value(7))), descending=True), models.F('expert'), name='skill_strength_idx'),
        ),
    ]
