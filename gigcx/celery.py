"""The Celery application. Configuration lives in settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")

app = Celery("gigcx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _create_embedded_broker_folder(**_: object) -> None:
    ensure_broker_folder()


def ensure_broker_folder() -> None:
    """The filesystem broker of the embedded default needs its folder before first use."""
    from django.conf import settings

    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        Path(settings.CELERY_BROKER_DIR).mkdir(parents=True, exist_ok=True)


@worker_process_init.connect
def _forget_inherited_connection_pools(**_: object) -> None:
    """A prefork child inherits its parent's connection pool object, whose background
    threads did not survive the fork: drop it (without closing the parent's sockets) so the
    child builds its own on first use."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()
