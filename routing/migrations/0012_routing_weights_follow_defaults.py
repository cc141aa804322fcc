"""Brands that never changed their routing weights follow the new defaults.

The routing settings page stored every factor's weight on each save, so a brand that only
changed, say, its SLA holds a full copy of the defaults of that day and would never see new
ones. A stored set that is exactly one of the earlier defaults (all eight factors, equal
values) is cleared: the brand then follows routing.scoring.DEFAULT_WEIGHTS. A set that
differs in any factor, or names only some factors (the API stores what it is sent), was
chosen by the brand and is kept. A brand that deliberately re-entered the old defaults
cannot be told apart and follows the new ones too; its audit log still shows the change.
Irreversible in effect: going back leaves the cleared rows on the (new) defaults.
"""

from django.db import migrations

# Every DEFAULT_WEIGHTS before this migration, oldest first (written out: a migration must
# not import app code that may change later).
PREVIOUS_DEFAULTS = (
    {"skill": 3.0, "activity": 2.0, "quality": 1.5, "load": 1.0, "fairness": 1.0,
     "empathy": 1.0, "text_fit": 0.5, "preferred": 4.0},
    {"skill": 1.5, "activity": 6.0, "quality": 0.5, "load": 1.0, "fairness": 1.0,
     "empathy": 1.0, "text_fit": 1.0, "preferred": 8.0},
    {"skill": 1.5, "activity": 16.0, "quality": 0.5, "load": 1.0, "fairness": 1.0,
     "empathy": 1.0, "text_fit": 0.5, "preferred": 8.0},
    {"skill": 2.0, "activity": 13.8, "quality": 0.2, "load": 1.0, "fairness": 1.0,
     "empathy": 1.0, "text_fit": 0.5, "preferred": 8.0},
)  # fmt: skip


def is_previous_default(weights) -> bool:
    if not isinstance(weights, dict) or not weights:
        return False
    try:
        stored = {name: float(value) for name, value in weights.items()}
    except (TypeError, ValueError):
        return False
    return any(stored == defaults for defaults in PREVIOUS_DEFAULTS)


def clear_stored_defaults(apps, schema_editor):
    RoutingSettings = apps.get_model("routing", "RoutingSettings")
    stale = [
        pk
        for pk, weights in RoutingSettings.objects.exclude(weights={})
        .values_list("pk", "weights")
        .iterator()
        if is_previous_default(weights)
    ]
    for start in range(0, len(stale), 1000):
        RoutingSettings.objects.filter(pk__in=stale[start : start + 1000]).update(weights={})


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0011_merge_20261201_1328"),
    ]

    operations = [
        migrations.RunPython(clear_stored_defaults, migrations.RunPython.noop),
    ]
