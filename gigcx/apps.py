from django.apps import AppConfig


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
        connect_mfa_signals()

        ensure_broker_folder()
