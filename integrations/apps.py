from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Outbound webhooks: a brand's endpoints, signed deliveries and their log.

    It sits above routing, quality and payments (its payloads read their rows) and nothing
    imports it. It hears the domain events through the outbox (``gigcx.events``), so a
    delivery row is written exactly once per event and endpoint, in the outbox's own
    transaction, and a lost worker never loses one.
    """

    name = "integrations"

    def ready(self) -> None:
        from integrations import subscribers  # noqa: F401  (registers the event handlers)
