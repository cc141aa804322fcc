"""Recruitment: invitations to the advocate program, applications and their review."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.dispatch import enqueue_on_commit
from gigcx.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from gigcx.models import User
from gigcx.tenancy import STAFF_ROLES
from marketplace.csv_rows import CsvReport, csv_rows, import_guard
from marketplace.models import (
    Application,
    ApplicationProduct,
    Brand,
    BrandMembership,
    Expert,
    ExpertProfile,
    Invitation,
    Product,
)
from marketplace.services.core import _languages_validate, expert_enrol, expert_skill_set

INVITATION_TTL = timedelta(days=14)
INVITATION_SALT = "gigcx.marketplace.invitation"
MAX_MOTIVATION = 2000
IN_POOL = (Expert.Status.APPROVED, Expert.Status.PROBATION)


class InvitationGoneError(ApplicationError):
    """The link was real but can no longer be used (expired, revoked or used)."""

    status_code = 410
    code = "invitation_gone"


# ---------------------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the link. Signed with SECRET_KEY; the nonce changes on resend."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_link(invitation: Invitation) -> str:
    path = reverse("marketplace:invitation", kwargs={"token": invitation_token(invitation)})
    return settings.SITE_URL.rstrip("/") + path


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a link names, in whatever state it is. 404 for a forged or stale link."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        invitation_id, nonce = int(payload["i"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFoundError(gettext("This invitation link is not valid.")) from None
    invitation = (
        Invitation.objects.select_related("brand").filter(pk=invitation_id, nonce=nonce).first()
    )
    if invitation is None:
        # A link from before a resend carries an old nonce: only the newest link works.
        raise NotFoundError(
            gettext(
                "This invitation link is not valid any more; use the newest email you received."
            )
        )
    return invitation


def invitation_usable_check(invitation: Invitation) -> None:
    brand = invitation.brand.name
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationGoneError(
            gettext("%(brand)s has withdrawn this invitation.") % {"brand": brand},
            code="invitation_revoked",
        )
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationGoneError(
            gettext("This invitation has already been accepted."), code="invitation_used"
        )
    if invitation.is_expired or not invitation.brand.is_active:
        raise InvitationGoneError(
            gettext("This invitation has expired. Ask %(brand)s to send you a new one.")
            % {"brand": brand},
            code="invitation_expired",
        )


def _email_clean(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            gettext("'%(email)s' is not an email address.") % {"email": email},
            fields={"email": [gettext("Enter an email address.")]},
        ) from None
    return email


def _brand_products(*, brand: Brand, product_ids: Iterable[int], field: str) -> list[Product]:
    wanted = list(dict.fromkeys(product_ids))
    products = list(Product.objects.filter(brand=brand, is_archived=False, pk__in=wanted))
    if len(products) != len(wanted):
        found = {product.pk for product in products}
        missing = [str(pk) for pk in wanted if pk not in found]
        raise ApplicationError(
            gettext("Some products are not in this brand's catalogue."),
            fields={
                field: [gettext("No such product: %(value1)s.") % {"value1": ", ".join(missing)}]
            },
        )
    return products


def _invitee_conflict(*, brand: Brand, email: str) -> str | None:
    """Why this address cannot be invited now, or None."""
    expert = Expert.objects.filter(brand=brand, user__email__iexact=email).only("status").first()
    if expert is not None and expert.status in IN_POOL:
        return gettext("%(email)s is already in the pool.") % {"email": email}
    if expert is not None and expert.status == Expert.Status.SUSPENDED:
        return gettext("%(email)s is suspended from the pool; reinstate them instead.") % {
            "email": email
        }
    pending = Invitation.objects.filter(brand=brand, email=email, status="pending").first()
    if pending is not None and not pending.is_expired:
        return gettext("%(email)s already has a pending invitation; resend it instead.") % {
            "email": email
        }
    return None


def _invitation_send(invitation: Invitation) -> None:
    from marketplace.tasks import send_invitation

    invitation.send_count += 1
    invitation.last_sent_at = timezone.now()
    invitation.save(update_fields=["send_count", "last_sent_at"])
    # The worker builds the link from the row, so it must not run before COMMIT.
    enqueue_on_commit(send_invitation, invitation.pk, run_here_if_broker_down=True)


@transaction.atomic
def invitation_create(
    *, brand: Brand, email: str, product_ids: Iterable[int] = (), actor: Any
) -> Invitation:
    """Invite one person by email and send them the link (after commit).

    An expired pending invitation for the same address is renewed rather than duplicated.
    """
    email = _email_clean(email)
    products = _brand_products(brand=brand, product_ids=product_ids, field="product_ids")
    conflict = _invitee_conflict(brand=brand, email=email)
    if conflict:
        raise ConflictError(conflict, fields={"email": [conflict]})
    expired = Invitation.objects.filter(brand=brand, email=email, status="pending").first()
    if expired is not None:  # pending but expired (a live one is a conflict above)
        expired.products.set(products)
        return invitation_resend(invitation=expired, actor=actor)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                brand=brand,
                email=email,
                nonce=secrets.token_hex(16),
                expires_at=timezone.now() + INVITATION_TTL,
                invited_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:  # a concurrent invite of the same address won
        raise ConflictError(
            gettext("%(email)s already has a pending invitation.") % {"email": email}
        ) from None
    invitation.products.set(products)
    audit_record(
        actor=actor,
        action="invitation.created",
        target=invitation,
        brand_id=brand.pk,
        data={"products": [p.pk for p in products]},
    )
    _invitation_send(invitation)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: Any) -> Invitation:
    """Send a fresh link with a new expiry; earlier links stop working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ConflictError(
            gettext("This invitation is %(value1)s; it cannot be resent.")
            % {"value1": invitation.get_state_display().lower()}
        )
    invitation.nonce = secrets.token_hex(16)
    invitation.expires_at = timezone.now() + INVITATION_TTL
    invitation.save(update_fields=["nonce", "expires_at"])
    audit_record(
        actor=actor, action="invitation.resent", target=invitation, brand_id=invitation.brand_id
    )
    _invitation_send(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any) -> Invitation:
    """Withdraw a pending (or expired) invitation. Idempotent for a revoked one."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.REVOKED:
        return invitation
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ConflictError(
            gettext("This invitation has been accepted; it can no longer be revoked.")
        )
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    audit_record(
        actor=actor, action="invitation.revoked", target=invitation, brand_id=invitation.brand_id
    )
    return invitation


def _verified_emails(user: User) -> set[str]:
    return {
        address.lower()
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    }


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Invitation:
    """Accept the invitation a link names, as ``user``, who must own the invited address.

    The person joins the pool as 'invited' and goes on to apply.
    """
    found = invitation_from_token(token=token)
    invitation = Invitation.objects.select_for_update().select_related("brand").get(pk=found.pk)
    if invitation.nonce != found.nonce:  # resent while we were looking
        raise NotFoundError(gettext("This invitation link is not valid any more."))
    invitation_usable_check(invitation)
    if invitation.email.lower() not in _verified_emails(user):
        raise ForbiddenError(
            gettext(
                "This invitation was sent to %(email)s. Log in with that address "
                "(or add and confirm it in your account) to accept it."
            )
            % {"email": invitation.email},
            code="invitation_other_address",
        )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    if not Expert.objects.filter(brand=invitation.brand, user=user).exists():
        expert_enrol(brand=invitation.brand, user=user, status=Expert.Status.INVITED, actor=user)
    audit_record(
        actor=user, action="invitation.accepted", target=invitation, brand_id=invitation.brand_id
    )
    return invitation


def _product_lookup(brand: Brand) -> dict[str, Product]:
    """Products of a brand by lower-case SKU and name, as purchasers' files name them."""
    lookup: dict[str, Product] = {}
    for product in Product.objects.filter(brand=brand, is_archived=False):
        lookup[product.name.lower()] = product
        if product.sku:
            lookup[product.sku.lower()] = product
    return lookup


def invitation_import_validate(*, brand: Brand, text: str) -> CsvReport:
    """Check a purchasers file (columns: email, products) row by row. Writes nothing.

    ``products`` lists SKUs or product names separated by ';'.
    """
    rows = csv_rows(text, required=["email"], optional=["products", "name"])
    lookup = _product_lookup(brand)
    seen: dict[str, int] = {}
    for row in rows:
        email = row.values.get("email", "").strip().lower()
        try:
            email = _email_clean(email)
        except ApplicationError:
            row.errors.append(
                gettext("'%(value1)s' is not an email address")
                % {"value1": row.values.get("email", "")}
            )
        else:
            if email in seen:
                row.errors.append(
                    gettext("%(email)s is already on line %(value2)s")
                    % {"email": email, "value2": seen[email]}
                )
            else:
                seen[email] = row.line
                conflict = _invitee_conflict(brand=brand, email=email)
                if conflict:
                    row.errors.append(conflict.rstrip("."))
        products: list[Product] = []
        for name in filter(None, (p.strip() for p in row.values.get("products", "").split(";"))):
            product = lookup.get(name.lower())
            if product is None:
                row.errors.append(
                    gettext("no product '%(name)s' in the catalogue") % {"name": name}
                )
            elif product not in products:
                products.append(product)
        row.cleaned = {"email": email, "product_ids": [p.pk for p in products]}
    return CsvReport(columns=["email", "products"], rows=rows)


@transaction.atomic
def invitation_import(
    *, brand: Brand, text: str, actor: Any, only_valid: bool = False
) -> tuple[CsvReport, list[Invitation]]:
    """Invite everyone in a purchasers file, validating it again from scratch.

    Nothing is written when a row has errors, unless ``only_valid`` asks to skip those rows.
    """
    report = invitation_import_validate(brand=brand, text=text)
    import_guard(report, only_valid=only_valid, what="invitations")
    invitations = [
        invitation_create(brand=brand, actor=actor, **row.cleaned) for row in report.valid_rows
    ]
    audit_record(
        actor=actor,
        action="invitation.imported",
        brand_id=brand.pk,
        data={"created": len(invitations), "skipped": len(report.error_rows)},
    )
    return report, invitations


# ---------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------


def application_items_validate(
    *, brand: Brand, items: Iterable[tuple[int, int]]
) -> list[tuple[Product, int]]:
    pairs = list(items)
    if not pairs:
        raise ApplicationError(
            gettext("Choose at least one product you own and use."),
            fields={"products": [gettext("Choose at least one product.")]},
        )
    levels = dict(pairs)
    if len(levels) != len(pairs):
        raise ApplicationError(
            gettext("A product is listed twice."),
            fields={"products": [gettext("List each product once.")]},
        )
    bad_levels = [pk for pk, level in pairs if not 1 <= int(level) <= 5]
    if bad_levels:
        raise ApplicationError(
            gettext("Rate yourself from 1 (beginner) to 5 (expert)."),
            fields={"products": [gettext("Levels go from 1 to 5.")]},
        )
    products = _brand_products(brand=brand, product_ids=levels, field="products")
    return [(product, int(levels[product.pk])) for product in products]


@transaction.atomic
def application_submit(
    *,
    brand: Brand,
    user: User,
    items: Iterable[tuple[int, int]],
    languages: list[str],
    motivation: str,
    accept_terms: bool,
) -> Application:
    """Apply to a brand's advocate program. The person appears in the pool as 'applied'
    with their self-rated skills, so that they can take product quizzes while staff review.
    """
    if not brand.is_active:
        raise NotFoundError(gettext("No such brand."))
    errors: dict[str, list[str]] = {}
    if not accept_terms:
        errors["accept_terms"] = [gettext("Accept the program terms to apply.")]
    motivation = (motivation or "").strip()
    if not motivation:
        errors["motivation"] = [gettext("Tell the brand why you want to help its customers.")]
    elif len(motivation) > MAX_MOTIVATION:
        errors["motivation"] = [
            gettext("Keep it under %(MAX_MOTIVATION)s characters.")
            % {"MAX_MOTIVATION": MAX_MOTIVATION}
        ]
    if errors:
        raise ApplicationError(gettext("Some answers are missing; see the fields."), fields=errors)
    pairs = application_items_validate(brand=brand, items=items)
    languages = _languages_validate(languages)
    if BrandMembership.objects.filter(brand=brand, user=user, role__in=STAFF_ROLES).exists():
        raise ConflictError(
            gettext("You are on %(brand)s's staff; staff cannot join its pool.")
            % {"brand": brand.name}
        )
    expert = Expert.objects.select_for_update().filter(brand=brand, user=user).first()
    if expert is not None and expert.status in IN_POOL:
        raise ConflictError(
            gettext("You are already in the %(brand)s pool.") % {"brand": brand.name}
        )
    if expert is not None and expert.status == Expert.Status.SUSPENDED:
        raise ConflictError(
            gettext("Your place in the %(brand)s pool is suspended; contact the brand.")
            % {"brand": brand.name}
        )
    if Application.objects.filter(brand=brand, user=user, status="pending").exists():
        raise ConflictError(
            gettext("You have already applied to %(brand)s; your application is being reviewed.")
            % {"brand": brand.name}
        )
    invitation = (
        Invitation.objects.filter(brand=brand, accepted_by=user, status="accepted")
        .order_by("-accepted_at")
        .first()
    )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                brand=brand,
                user=user,
                invitation=invitation,
                languages=languages,
                motivation=motivation,
                terms_accepted_at=timezone.now(),
            )
    except IntegrityError:  # a double submit raced us
        raise ConflictError(
            gettext("You have already applied to %(brand)s.") % {"brand": brand.name}
        ) from None
    ApplicationProduct.objects.bulk_create(
        ApplicationProduct(application=application, product=product, level=level)
        for product, level in pairs
    )
    if not ExpertProfile.objects.filter(user=user).exists():
        ExpertProfile.objects.create(
            user=user, display_name=user.display_name[:60], languages=languages
        )
    expert = expert_enrol(brand=brand, user=user, status=Expert.Status.APPLIED, actor=user)
    for product, level in pairs:
        expert_skill_set(expert=expert, product=product, level=level, actor=user)
    audit_record(actor=user, action="application.submitted", target=application, brand_id=brand.pk)
    return application


def _application_for_decision(application: Application) -> Application:
    locked = (
        Application.objects.select_for_update()
        .select_related("brand", "user")
        .get(pk=application.pk)
    )
    if locked.status != Application.Status.PENDING:
        raise ConflictError(
            gettext("This application was already %(value1)s.")
            % {"value1": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def application_approve(
    *, application: Application, actor: Any, status: str = Expert.Status.APPROVED, reason: str = ""
) -> Application:
    """Put the applicant in the pool (approved or on probation) with their skills."""
    if status not in IN_POOL:
        raise ApplicationError(
            gettext("Approve as 'approved' or 'probation'."),
            fields={"status": [gettext("approved or probation")]},
        )
    application = _application_for_decision(application)
    expert = (
        Expert.objects.select_for_update()
        .filter(brand=application.brand, user=application.user)
        .first()
    )
    if expert is not None and expert.status == Expert.Status.SUSPENDED:
        raise ConflictError(gettext("This person is suspended; reinstate them instead."))
    expert = expert_enrol(
        brand=application.brand, user=application.user, status=status, actor=actor, reason=reason
    )
    for item in application.items.select_related("product"):
        if not item.product.is_archived:
            expert_skill_set(expert=expert, product=item.product, level=item.level, actor=actor)
    application.status = Application.Status.APPROVED
    application.decided_by = actor if getattr(actor, "pk", None) else None
    application.decided_at = timezone.now()
    application.decision_reason = reason.strip()
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action="application.approved",
        target=application,
        brand_id=application.brand_id,
        reason=reason,
        data={"expert_status": status},
    )
    return application


@transaction.atomic
def application_reject(*, application: Application, actor: Any, reason: str) -> Application:
    """Turn an application down with a reason the applicant sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            gettext("Give the applicant a reason; they will see it."),
            fields={"reason": [gettext("This field is required.")]},
        )
    application = _application_for_decision(application)
    expert = Expert.objects.filter(brand=application.brand, user=application.user).first()
    if expert is not None and expert.status in (Expert.Status.INVITED, Expert.Status.APPLIED):
        expert_enrol(
            brand=application.brand,
            user=application.user,
            status=Expert.Status.REMOVED,
            actor=actor,
            reason=reason,
        )
    application.status = Application.Status.REJECTED
    application.decided_by = actor if getattr(actor, "pk", None) else None
    application.decided_at = timezone.now()
    application.decision_reason = reason
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action="application.rejected",
        target=application,
        brand_id=application.brand_id,
        reason=reason,
    )
    return application


def application_prefill(*, brand: Brand, user: User) -> dict[int, int]:
    """Products to pre-fill on the form: from the person's accepted invitation (level 3)."""
    invitation = (
        Invitation.objects.filter(brand=brand, accepted_by=user)
        .filter(~Q(status=Invitation.Status.REVOKED))
        .order_by("-accepted_at")
        .first()
    )
    if invitation is None:
        return {}
    return {product.pk: 3 for product in invitation.products.filter(is_archived=False)}
