from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Questions and conversations, triage, presence, matching, offers."""

    name = "routing"

    def ready(self) -> None:
        import routing.notifications  # noqa: F401  (registers event subscribers)
        from marketplace.selectors import applicant_history_provider_register
        from routing.selectors import applicant_questions_section

        applicant_history_provider_register(applicant_questions_section)
