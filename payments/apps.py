from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Rate cards, the double-entry ledger, earnings and payouts."""

    name = "payments"
