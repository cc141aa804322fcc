from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def migrations_without_statement_timeout(using: str = "default", **kwargs: Any) -> None:
    """Migrations run without the site's statement timeout: an operator runs them, and a
    backfill over a large table takes longer than any request may (lock_timeout stays, so a
    migration waiting behind busy traffic still gives up rather than queueing it)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


def statement_timeout_restored(using: str = "default", **kwargs: Any) -> None:
    """Back to the connection's own limit (DATABASE_STATEMENT_TIMEOUT_MS) after migrating."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


class GigcxConfig(AppConfig):
    """The core app: users, tenancy, errors, audit log and the domain-event outbox."""

    name = "gigcx"
    verbose_name = "GigCX core"

    def ready(self) -> None:
        import gigcx.checks  # noqa: F401  (registers the deploy checks)
        import gigcx.schema  # noqa: F401  (registers OpenAPI auth extensions)
        from gigcx.audit import connect_security_signals
        from gigcx.celery import ensure_broker_folder
        from gigcx.mfa import connect_mfa_signals

        connect_security_signals()
        pre_migrate.connect(migrations_without_statement_timeout, dispatch_uid="gigcx-migrate-st")
        post_migrate.connect(statement_timeout_restored, dispatch_uid="gigcx-migrated-st")
        connect_mfa_signals()

        ensure_broker_folder()
