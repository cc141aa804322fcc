"""HTML pages of marketplace, split by subdomain: core (expert home, brand creation, staff
dashboard and catalogue), recruitment (invitations, applications, quizzes) and pool."""

from marketplace.views.core import (
    brand_create,
    brand_dashboard,
    brand_details,
    brand_public,
    brand_retention_update,
    brand_security_update,
    brand_staff_page,
    catalogue_import,
    category_add,
    category_edit,
    expert_home,
    product_add,
    product_archive,
    product_edit,
)

__all__ = [
    "brand_create",
    "brand_dashboard",
    "brand_details",
    "brand_public",
    "brand_retention_update",
    "brand_security_update",
    "brand_staff_page",
    "catalogue_import",
    "category_add",
    "category_edit",
    "expert_home",
    "product_add",
    "product_archive",
    "product_edit",
]
