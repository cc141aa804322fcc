from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Rate cards, the double-entry ledger, earnings and payouts."""

    name = "payments"

    def ready(self) -> None:
        from payments import subscribers  # noqa: F401 - registers the event subscribers
        from payments.services.rate_cards import surge_bonus_now
        from routing.services.staffing import surge_bonus_provider_register

        # The staffing invitation shows the rate card's surge bonus (routing never imports us).
        surge_bonus_provider_register(surge_bonus_now)
