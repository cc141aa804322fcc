from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Questions and conversations, triage, presence, matching, offers, quality."""

    name = "routing"

    def ready(self) -> None:
        import routing.notifications  # noqa: F401  (registers event subscribers)
