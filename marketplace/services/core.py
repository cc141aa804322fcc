"""Writes for marketplace. Each service owns its transaction and audit line."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from gigcx.models import User
from gigcx.tenancy import OWNER
from marketplace.models import (
    LANGUAGE_CODES,
    Brand,
    BrandApiKey,
    BrandMembership,
    Category,
    Expert,
    ExpertProfile,
    ExpertSkill,
    Product,
)

RESERVED_SLUGS = {"new", "api", "admin", "static", "accounts", "expert", "customer", "brands"}


def _languages_validate(languages: list[str]) -> list[str]:
    cleaned = sorted({code.strip().lower() for code in languages if code.strip()})
    unknown = [code for code in cleaned if code not in LANGUAGE_CODES]
    if unknown:
        raise ApplicationError(
            gettext(
                "Unsupported language code(s): %(value1)s. Use ISO 639-1 codes from: %(value3)s."
            )
            % {"value1": ", ".join(unknown), "value3": ", ".join(sorted(LANGUAGE_CODES))},
            fields={"languages": [f"Unknown: {', '.join(unknown)}"]},
        )
    if not cleaned:
        raise ApplicationError(
            gettext("Choose at least one language."),
            fields={"languages": [gettext("Choose at least one.")]},
        )
    return cleaned


@transaction.atomic
def brand_create(
    *,
    owner: User,
    name: str,
    slug: str = "",
    tagline: str = "",
    website: str = "",
    languages: list[str] | None = None,
) -> Brand:
    """Create a brand; the caller becomes its owner."""
    name = name.strip()
    if not name:
        raise ApplicationError(
            gettext("A brand needs a name."), fields={"name": [gettext("This field is required.")]}
        )
    slug = slugify(slug or name)[:60]
    if not slug or slug in RESERVED_SLUGS:
        raise ApplicationError(
            gettext("The address '%(slug)s' is not available; choose another.") % {"slug": slug},
            fields={"slug": [gettext("Choose another address.")]},
        )
    if Brand.objects.filter(slug=slug).exists():
        raise ConflictError(
            gettext("A brand already uses the address '%(slug)s'.") % {"slug": slug},
            fields={"slug": [gettext("Already taken.")]},
        )
    brand = Brand.objects.create(
        name=name,
        slug=slug,
        tagline=tagline.strip(),
        website=website,
        languages=_languages_validate(languages or ["en"]),
    )
    BrandMembership.objects.create(brand=brand, user=owner, role=OWNER)
    audit_record(actor=owner, action="brand.created", target=brand, brand_id=brand.pk)
    return brand


RETENTION_DAYS_RANGE = (7, 3650)


def _retention_validate(days: Any) -> int | None:
    """Blank keeps conversations; otherwise a whole number of days in RETENTION_DAYS_RANGE
    (a week at least, so a slip of the keyboard cannot empty the inbox overnight)."""
    if days in (None, ""):
        return None
    low, high = RETENTION_DAYS_RANGE
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = None
    if value is None or str(value) != str(days).strip() or not low <= value <= high:
        message = f"Enter a whole number of days from {low} to {high}, or leave it blank."
        raise ApplicationError(message, fields={"conversation_retention_days": [message]})
    return value


# The brand's intake quotas (routing.services.questions.question_quota_check).
QUOTA_RANGES = {
    "anonymous_questions_per_hour": (1, 100_000),
    "questions_per_customer_per_day": (1, 10_000),
}


@transaction.atomic
def brand_update(*, brand: Brand, actor: Any, **changes: Any) -> Brand:
    """Change a brand's details. ``require_staff_mfa`` is the owner's alone: it decides who
    may keep working without a second factor, managers included."""
    allowed = {
        "name",
        "tagline",
        "website",
        "languages",
        "require_staff_mfa",
        "conversation_retention_days",
        "anonymous_questions_per_hour",
        "questions_per_customer_per_day",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            gettext("These fields cannot be changed: %(value1)s.")
            % {"value1": ", ".join(sorted(unknown))}
        )
    is_owner = BrandMembership.objects.filter(
        brand=brand, user_id=getattr(actor, "pk", None), role=OWNER
    ).exists
    if "require_staff_mfa" in changes and not is_owner():
        raise ForbiddenError(
            gettext(
                "Only an owner of the brand can change whether its staff need two-factor "
                "authentication."
            )
        )
    if "conversation_retention_days" in changes:
        if not is_owner():
            raise ForbiddenError(
                gettext("Only an owner of the brand can change how long conversations are kept.")
            )
        changes["conversation_retention_days"] = _retention_validate(
            changes["conversation_retention_days"]
        )
    if "languages" in changes:
        changes["languages"] = _languages_validate(changes["languages"])
    for field, (low, high) in QUOTA_RANGES.items():
        if field in changes:
            value = changes[field]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ApplicationError(
                    gettext("Use a whole number from %(low)s to %(high)s.")
                    % {"low": low, "high": high},
                    fields={
                        field: [
                            gettext("Use a whole number from %(low)s to %(high)s.")
                            % {"low": low, "high": high}
                        ]
                    },
                )
    if "name" in changes and not str(changes["name"]).strip():
        raise ApplicationError(
            gettext("A brand needs a name."), fields={"name": [gettext("This field is required.")]}
        )
    before = {field: getattr(brand, field) for field in changes}
    for field, value in changes.items():
        setattr(brand, field, value)
    brand.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="brand.updated",
        target=brand,
        brand_id=brand.pk,
        data={"before": before, "after": changes},
    )
    return brand


@transaction.atomic
def membership_notifications_update(
    *,
    membership: BrandMembership,
    notify_escalation_email: bool | None = None,
    notify_surge_alerts: bool | None = None,
) -> BrandMembership:
    """A staff member's own choice of the brand's messages she gets. ``None`` keeps a choice."""
    changes = {
        name: value
        for name, value in (
            ("notify_escalation_email", notify_escalation_email),
            ("notify_surge_alerts", notify_surge_alerts),
        )
        if value is not None
    }
    if changes:
        BrandMembership.objects.filter(pk=membership.pk).update(**changes)
        for name, value in changes.items():
            setattr(membership, name, value)
    return membership


def membership_add(*, brand: Brand, user: User, role: str, actor: Any) -> BrandMembership:
    if role not in BrandMembership.Role.values:
        raise ApplicationError(
            gettext("Unknown role '%(role)s'.") % {"role": role},
            fields={"role": [gettext("Unknown role.")]},
        )
    membership, created = BrandMembership.objects.get_or_create(
        brand=brand, user=user, defaults={"role": role}
    )
    if created:
        audit_record(
            actor=actor,
            action="membership.added",
            target=membership,
            brand_id=brand.pk,
            data={"user_id": user.pk, "role": role},
        )
    return membership


def _category_in_brand(*, brand: Brand, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id, brand=brand, is_archived=False).first()
    if category is None:
        # Another brand's category id looks exactly like a missing one.
        raise ApplicationError(
            gettext("No such category in this brand."),
            fields={"category_id": [gettext("No such category.")]},
        )
    return category


@transaction.atomic
def category_create(
    *, brand: Brand, name: str, parent_id: int | None = None, actor: Any
) -> Category:
    name = name.strip()
    if not name:
        raise ApplicationError(
            gettext("A category needs a name."),
            fields={"name": [gettext("This field is required.")]},
        )
    parent = None
    if parent_id is not None:
        parent = Category.objects.filter(pk=parent_id, brand=brand, is_archived=False).first()
        if parent is None:
            raise ApplicationError(
                gettext("No such parent category in this brand."),
                fields={"parent_id": [gettext("No such category.")]},
            )
    if Category.objects.filter(brand=brand, parent=parent, name__iexact=name).exists():
        message = f"There is already a category called '{name}' here."
        raise ConflictError(message, fields={"name": [message]})
    category = Category.objects.create(brand=brand, parent=parent, name=name)
    audit_record(actor=actor, action="category.created", target=category, brand_id=brand.pk)
    return category


@transaction.atomic
def category_update(
    *, category: Category, actor: Any, name: str | None = None, parent_id: Any = ...
) -> Category:
    """Rename a category or move it under another parent (``parent_id=None``: top level)."""
    changes: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise ApplicationError(
                gettext("A category needs a name."),
                fields={"name": [gettext("This field is required.")]},
            )
        changes["name"] = name
    parent = category.parent
    if parent_id is not ...:
        parent = None
        if parent_id is not None:
            parent = Category.objects.filter(
                pk=parent_id, brand_id=category.brand_id, is_archived=False
            ).first()
            if parent is None:
                raise ApplicationError(
                    gettext("No such parent category in this brand."),
                    fields={"parent_id": [gettext("No such category.")]},
                )
            node: Category | None = parent
            while node is not None:  # a category cannot move below itself
                if node.pk == category.pk:
                    raise ApplicationError(
                        gettext("A category cannot be placed inside itself or its subcategories."),
                        fields={"parent_id": [gettext("Choose a category outside this one.")]},
                    )
                node = node.parent
        changes["parent_id"] = parent.pk if parent else None
    new_name = changes.get("name", category.name)
    clash = Category.objects.filter(
        brand_id=category.brand_id, parent=parent, name__iexact=new_name
    ).exclude(pk=category.pk)
    if clash.exists():
        message = f"There is already a category called '{new_name}' here."
        raise ConflictError(message, fields={"name": [message]})
    for field, value in changes.items():
        setattr(category, field, value)
    if changes:
        category.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="category.updated",
            target=category,
            brand_id=category.brand_id,
            data={"fields": sorted(changes)},
        )
    return category


def _product_name_free(*, brand: Brand, name: str, exclude_pk: int | None = None) -> None:
    clash = Product.objects.filter(brand=brand, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        message = f"There is already a product called '{name}'."
        raise ConflictError(message, fields={"name": [message]})


@transaction.atomic
def product_create(
    *,
    brand: Brand,
    name: str,
    category_id: int | None = None,
    sku: str = "",
    description: str = "",
    actor: Any,
) -> Product:
    name = name.strip()
    if not name:
        raise ApplicationError(
            gettext("A product needs a name."),
            fields={"name": [gettext("This field is required.")]},
        )
    category = _category_in_brand(brand=brand, category_id=category_id)
    _product_name_free(brand=brand, name=name)
    sku = sku.strip()
    if sku and Product.objects.filter(brand=brand, sku=sku).exists():
        raise ConflictError(
            gettext("SKU '%(sku)s' is already used.") % {"sku": sku},
            fields={"sku": [gettext("SKU '%(sku)s' is already used.") % {"sku": sku}]},
        )
    try:
        with transaction.atomic():
            product = Product.objects.create(
                brand=brand, category=category, name=name, sku=sku, description=description.strip()
            )
    except IntegrityError:  # a concurrent create of the same name or SKU won the race
        raise ConflictError(
            gettext("There is already a product called '%(name)s'.") % {"name": name}
        ) from None
    audit_record(actor=actor, action="product.created", target=product, brand_id=brand.pk)
    return product


@transaction.atomic
def product_update(*, product: Product, actor: Any, **changes: Any) -> Product:
    allowed = {"name", "category_id", "sku", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            gettext("These fields cannot be changed: %(value1)s.")
            % {"value1": ", ".join(sorted(unknown))}
        )
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        if not changes["name"]:
            raise ApplicationError(
                gettext("A product needs a name."),
                fields={"name": [gettext("This field is required.")]},
            )
        _product_name_free(brand=product.brand, name=changes["name"], exclude_pk=product.pk)
    if "category_id" in changes:
        _category_in_brand(brand=product.brand, category_id=changes["category_id"])
    if changes.get("sku"):
        changes["sku"] = changes["sku"].strip()
        if (
            Product.objects.filter(brand=product.brand, sku=changes["sku"])
            .exclude(pk=product.pk)
            .exists()
        ):
            raise ConflictError(
                gettext("SKU '%(sku)s' is already used.") % {"sku": changes["sku"]},
                fields={"sku": [gettext("Already used.")]},
            )
    for field, value in changes.items():
        setattr(product, field, value)
    product.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="product.updated",
        target=product,
        brand_id=product.brand_id,
        data={"fields": sorted(changes)},
    )
    return product


@transaction.atomic
def product_archive(*, product: Product, actor: Any) -> Product:
    """Hide a product from customers and routing; its history stays. Idempotent."""
    if not product.is_archived:
        product.is_archived = True
        product.save(update_fields=["is_archived"])
        audit_record(
            actor=actor, action="product.archived", target=product, brand_id=product.brand_id
        )
    return product


@transaction.atomic
def expert_profile_upsert(
    *,
    user: User,
    display_name: str,
    languages: list[str],
    bio: str = "",
    timezone_name: str = "UTC",
    capacity: int = 2,
) -> ExpertProfile:
    if not 1 <= capacity <= 10:
        raise ApplicationError(
            gettext("Capacity must be between 1 and 10."),
            fields={"capacity": [gettext("1 to 10.")]},
        )
    profile, _ = ExpertProfile.objects.update_or_create(
        user=user,
        defaults={
            "display_name": display_name.strip() or user.display_name,
            "languages": _languages_validate(languages),
            "bio": bio,
            "timezone": timezone_name,
            "capacity": capacity,
        },
    )
    return profile


@transaction.atomic
def expert_enrol(*, brand: Brand, user: User, status: str, actor: Any, reason: str = "") -> Expert:
    """Put a person in a brand's pool, or move their status. Audit-logged; idempotent."""
    if status not in Expert.Status.values:
        raise ApplicationError(gettext("Unknown status '%(status)s'.") % {"status": status})
    expert, created = Expert.objects.get_or_create(
        brand=brand, user=user, defaults={"status": status, "status_reason": reason}
    )
    if created or expert.status != status:
        previous = None if created else expert.status
        expert.status, expert.status_reason = status, reason
        expert.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action=f"expert.{status}",
            target=expert,
            brand_id=brand.pk,
            reason=reason,
            data={"from": previous, "to": status},
        )
    return expert


@transaction.atomic
def expert_skill_set(
    *, expert: Expert, product: Product, level: int, verified: bool = False, actor: Any = None
) -> ExpertSkill:
    if product.brand_id != expert.brand_id:
        raise NotFoundError(gettext("No such product in this brand."))
    if not 1 <= level <= 5:
        raise ApplicationError(
            gettext("Level must be between 1 and 5."), fields={"level": [gettext("1 to 5.")]}
        )
    skill, _ = ExpertSkill.objects.update_or_create(
        expert=expert, product=product, defaults={"level": level}
    )
    if verified and skill.verified_at is None:
        skill.verified_level, skill.verified_at = level, timezone.now()
        skill.save(update_fields=["verified_level", "verified_at"])
        audit_record(
            actor=actor,
            action="skill.verified",
            target=skill,
            brand_id=expert.brand_id,
            data={"level": level},
        )
    return skill


@transaction.atomic
def api_key_create(
    *, brand: Brand, name: str, actor: Any, role: str = BrandMembership.Role.MANAGER
) -> tuple[BrandApiKey, str]:
    """Create a key and return it with its plain value, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = BrandApiKey.objects.create(
        brand=brand,
        name=name.strip() or "integration",
        role=role,
        prefix=prefix,
        key_hash=BrandApiKey.hash_secret(secret),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="api_key.created", target=key, brand_id=brand.pk)
    return key, f"{prefix}.{secret}"


@transaction.atomic
def api_key_revoke(*, key: BrandApiKey, actor: Any) -> BrandApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", target=key, brand_id=key.brand_id)
    return key
