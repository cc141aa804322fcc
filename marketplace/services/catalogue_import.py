"""Importing a catalogue from CSV (columns: name, category, sku, description)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from gigcx.audit import audit_record
from marketplace.csv_rows import CsvReport, csv_rows, import_guard
from marketplace.models import Brand, Category, Product
from marketplace.services.core import category_create, product_create

PATH_SEPARATOR = re.compile(r"\s*[/>]\s*")


def _category_paths(brand: Brand) -> dict[tuple[str, ...], Category]:
    """Every category of the brand by its lower-case path from the top ('footwear', 'running')."""
    categories = {c.pk: c for c in Category.objects.filter(brand=brand)}
    paths: dict[tuple[str, ...], Category] = {}
    for category in categories.values():
        parts, node, guard = [], category, 0
        while node is not None and guard < 20:
            parts.append(node.name.lower())
            node = categories.get(node.parent_id) if node.parent_id else None
            guard += 1
        paths[tuple(reversed(parts))] = category
    return paths


def catalogue_import_validate(*, brand: Brand, text: str) -> CsvReport:
    """Check every row of a catalogue file against the brand's catalogue. Writes nothing."""
    rows = csv_rows(text, required=["name"], optional=["category", "sku", "description"])
    names = {n.lower() for n in Product.objects.filter(brand=brand).values_list("name", flat=True)}
    skus = set(Product.objects.filter(brand=brand).exclude(sku="").values_list("sku", flat=True))
    paths = _category_paths(brand)
    seen_names: dict[str, int] = {}
    seen_skus: dict[str, int] = {}
    for row in rows:
        name = row.values.get("name", "")
        sku = row.values.get("sku", "")
        description = row.values.get("description", "")
        raw_path = row.values.get("category", "")
        if not name:
            row.errors.append(gettext("the name is empty"))
        elif len(name) > 160:
            row.errors.append(gettext("the name is longer than 160 characters"))
        elif name.lower() in names:
            row.errors.append(
                gettext("there is already a product called '%(name)s'") % {"name": name}
            )
        elif name.lower() in seen_names:
            row.errors.append(
                gettext("'%(name)s' is already on line %(value3)s")
                % {"name": name, "value3": seen_names[name.lower()]}
            )
        else:
            seen_names[name.lower()] = row.line
        if sku:
            if len(sku) > 64:
                row.errors.append(gettext("the SKU is longer than 64 characters"))
            elif sku in skus:
                row.errors.append(gettext("SKU '%(sku)s' is already used") % {"sku": sku})
            elif sku in seen_skus:
                row.errors.append(
                    gettext("SKU '%(sku)s' is already on line %(value3)s")
                    % {"sku": sku, "value3": seen_skus[sku]}
                )
            else:
                seen_skus[sku] = row.line
        if len(description) > 4000:
            row.errors.append(gettext("the description is longer than 4000 characters"))
        path: tuple[str, ...] = ()
        if raw_path:
            parts = [part for part in PATH_SEPARATOR.split(raw_path) if part]
            path = tuple(parts)
            if any(len(part) > 120 for part in parts):
                row.errors.append(gettext("a category name is longer than 120 characters"))
            existing = paths.get(tuple(p.lower() for p in parts))
            if existing is not None and existing.is_archived:
                row.errors.append(
                    gettext("the category '%(raw_path)s' is archived") % {"raw_path": raw_path}
                )
            elif existing is None and not row.errors:
                row.notes.append(
                    gettext("new category '%(value1)s'") % {"value1": " / ".join(parts)}
                )
        row.cleaned = {"name": name, "sku": sku, "description": description, "path": path}
    return CsvReport(columns=["name", "category", "sku", "description"], rows=rows)


def _category_for_path(
    *, brand: Brand, path: tuple[str, ...], paths: dict[tuple[str, ...], Category], actor: Any
) -> Category | None:
    parent: Category | None = None
    for depth in range(1, len(path) + 1):
        key = tuple(part.lower() for part in path[:depth])
        category = paths.get(key)
        if category is None:
            category = category_create(
                brand=brand,
                name=path[depth - 1],
                parent_id=parent.pk if parent else None,
                actor=actor,
            )
            paths[key] = category
        parent = category
    return parent


@transaction.atomic
def catalogue_import(
    *, brand: Brand, text: str, actor: Any, only_valid: bool = False
) -> tuple[CsvReport, list[Product]]:
    """Create the products of a catalogue file, validating it again from scratch first.

    Nothing is written when a row has errors, unless ``only_valid`` asks to skip those rows.
    Categories named by path ('Footwear / Running') are created when missing.
    """
    report = catalogue_import_validate(brand=brand, text=text)
    import_guard(report, only_valid=only_valid, what="products")
    paths = _category_paths(brand)
    products = []
    for row in report.valid_rows:
        data = row.cleaned
        category = _category_for_path(brand=brand, path=data["path"], paths=paths, actor=actor)
        products.append(
            product_create(
                brand=brand,
                name=data["name"],
                sku=data["sku"],
                description=data["description"],
                category_id=category.pk if category else None,
                actor=actor,
            )
        )
    audit_record(
        actor=actor,
        action="catalogue.imported",
        brand_id=brand.pk,
        data={"created": len(products), "skipped": len(report.error_rows)},
    )
    return report, products
