"""Running balances on accounts, backfilled from the postings stored so far."""

from django.db import migrations, models


def backfill_balances(apps, schema_editor):
    Account = apps.get_model("payments", "Account")
    Posting = apps.get_model("payments", "Posting")
    totals = Posting.objects.values("account_id").annotate(total=models.Sum("amount"))
    for row in totals.iterator():
        Account.objects.filter(pk=row["account_id"]).update(balance=row["total"])


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0003_payout_client_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='balance',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(backfill_balances, migrations.RunPython.noop),
    ]
