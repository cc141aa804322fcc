from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """Brands, staff memberships, catalogue, experts and their pools, recruitment."""

    name = "marketplace"

    def ready(self) -> None:
        from gigcx.tenancy import register_viewer_loader
        from marketplace.selectors import viewer_load

        register_viewer_loader(viewer_load)
