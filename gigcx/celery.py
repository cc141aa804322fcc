"""The Celery application. Configuration lives in settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init

from gigcx import broker

broker.register()  # the embedded default's "sqlite-broker://" URL scheme

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")

app = Celery("gigcx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _create_embedded_broker_folder(**_: object) -> None:
    ensure_broker_folder()


def ensure_broker_folder() -> None:
    """kombu's filesystem broker (bench/broker.py compares it) needs its folders first."""
    from django.conf import settings

    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
