from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Rate cards, the double-entry ledger, earnings and payouts."""

    name = "payments"

    def ready(self) -> None:
        from payments import subscribers  # noqa: F401 - registers the event subscribers
