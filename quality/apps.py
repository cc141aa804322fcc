from django.apps import AppConfig


class QualityConfig(AppConfig):
    """Ratings, QA reviews, expert quality scores and tiers, standing and brand metrics."""

    name = "quality"

    def ready(self) -> None:
        from quality import subscribers  # noqa: F401 - registers the event subscribers
