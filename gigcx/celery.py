"""The Celery application. Configuration lives in settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init, worker_process_init

from gigcx import broker
from gigcx.broker_patches import patch_redis_restore_after_collect
from gigcx.deadletters import GigcxTask

broker.register()  # the embedded default's "sqlite-broker://" URL scheme

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigcx.settings")

# Every task derives from GigcxTask: delay_on_commit, and a limit on redeliveries (poison
# messages end in the DeadLetter table instead of looping).
app = Celery("gigcx", task_cls=GigcxTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A worker must survive Redis restarting under it (see gigcx/broker_patches.py).
patch_redis_restore_after_collect()


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


@worker_process_init.connect
def _forget_inherited_connection_pools(**_: object) -> None:
    """A prefork child inherits its parent's connection pool object, whose background
    threads did not survive the fork: drop it (without closing the parent's sockets) so the
    child builds its own on first use."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()
