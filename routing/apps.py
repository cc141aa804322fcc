from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Questions and conversations, triage, presence, matching, offers, quality."""

    name = "routing"
