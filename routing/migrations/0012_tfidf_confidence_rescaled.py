"""The TF-IDF fall-back's confidence weighs the lead over a rival answer more
(``MARGIN_WEIGHTS["tfidf"]`` in routing/text/knowledge.py), so its confidences and the
thresholds calibrated on them mean something else from now on.

Thresholds a brand calibrated on the old TF-IDF confidence are dropped (the brand is back on
the backend's default until ``MIN_OUTCOMES`` answers on the new scale have an outcome; its
target precision stays), and the automated answers recorded on the old scale keep their
outcomes but are labelled ``tfidf-scale1`` so that they never mix with new ones when the
threshold is calibrated again. Entries' records (helped, didn't help) are untouched. The
sentence-embedding backends' confidence did not change; their rows stay as they are.
Reversing restores the labels; dropped thresholds come back at the next calibration.
"""

from django.db import migrations

OLD = "tfidf-scale1"


def forwards(apps, schema_editor):
    AutoAnswer = apps.get_model("routing", "AutoAnswer")
    AnswerCalibration = apps.get_model("routing", "AnswerCalibration")
    AutoAnswer.objects.filter(backend="tfidf").update(backend=OLD)
    AnswerCalibration.objects.filter(backend="tfidf").update(
        backend=OLD, threshold=None, outcomes=0, precision=None
    )


def backwards(apps, schema_editor):
    AutoAnswer = apps.get_model("routing", "AutoAnswer")
    AnswerCalibration = apps.get_model("routing", "AnswerCalibration")
    AutoAnswer.objects.filter(backend=OLD).update(backend="tfidf")
    AnswerCalibration.objects.filter(backend=OLD).update(backend="tfidf")


class Migration(migrations.Migration):
    dependencies = [("routing", "0011_merge_20261201_1328")]

    operations = [migrations.RunPython(forwards, backwards)]
