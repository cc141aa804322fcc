"""Quality services (writes). Import from here; the modules split by subdomain."""

from quality.services.ratings import rating_create, rating_reopen

__all__ = ["rating_create", "rating_reopen"]
