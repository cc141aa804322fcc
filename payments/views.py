"""HTML pages of payments: the expert's earnings and payouts, the brand's payouts, statement and
rate card; the Stripe webhook."""

from __future__ import annotations

import csv
import io
import json
import logging
import re

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gigcx.exceptions import ApplicationError
from gigcx.tenancy import EDITOR_ROLES, viewer_for
from gigcx.web import parse_id
from marketplace.models import Brand, Expert, Product
from marketplace.views import brand_staff_page
from payments import selectors, services
from payments.models import CURRENCY_EXPONENTS, PayoutDestination, format_money
from payments.providers import bank_file, csv_safe

logger = logging.getLogger(__name__)


def _csv_response(filename: str, rows: list[list[object]]) -> HttpResponse:
    out = io.StringIO()
    csv.writer(out).writerows([[csv_safe(cell) for cell in row] for row in rows])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _parse_amount(raw: str, currency: str) -> int | None:
    """ "12.50" in EUR -> 1250. Empty means "everything available"."""
    raw = (raw or "").strip()
    if not raw:
        return None
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    whole, _, frac = raw.partition(".")
    digits = re.compile(r"[0-9]+")
    if not digits.fullmatch(whole) or (
        frac and (not digits.fullmatch(frac) or len(frac) > exponent)
    ):
        raise ApplicationError(
            gettext("Write the amount like 12.50."), fields={"amount": [gettext("Invalid amount.")]}
        )
    return int(whole) * 10**exponent + int((frac or "0").ljust(exponent, "0") or 0)


@login_required
def expert_earnings(request: HttpRequest) -> HttpResponse:
    user = request.user
    pools = Expert.objects.filter(user=user).select_related("brand")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "destination":
                services.payout_destination_set(
                    user=user,
                    provider=request.POST.get("provider", ""),
                    stripe_account=request.POST.get("stripe_account", ""),
                    account_holder=request.POST.get("account_holder", ""),
                    iban=request.POST.get("iban", ""),
                )
                messages.success(request, gettext("Payout destination saved."))
            else:
                expert = pools.filter(brand__slug=request.POST.get("brand", "")).first()
                if expert is None:
                    raise ApplicationError(gettext("Choose one of your programs."))
                currency = request.POST.get("currency") or "EUR"
                payout = services.payout_request(
                    user=user,
                    brand=expert.brand,
                    currency=currency,
                    amount=_parse_amount(request.POST.get("amount", ""), currency),
                )
                messages.success(
                    request,
                    gettext("Payout of %(amount)s requested.")
                    % {"amount": format_money(payout.amount, payout.currency)},
                )
        except ApplicationError as exc:
            detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
            messages.error(request, f"{exc.message} {detail}".strip())
        return redirect("payments:expert-earnings")
    return render(
        request,
        "payments/expert_earnings.html",
        {
            "balances": selectors.expert_balances(user_id=user.pk),
            "earnings": selectors.expert_earnings(user_id=user.pk)[:100],
            "payouts": selectors.expert_payouts(user_id=user.pk)[:50],
            "destination": PayoutDestination.objects.filter(user=user, is_active=True).first(),
            "pools": pools,
        },
    )


@login_required
def expert_earning_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    """One statement line: what the question earned and every ledger entry about it. Experts
    cannot open a resolved question's conversation (routing shows only live ones), so this is
    where a statement line leads."""
    earning = (
        selectors.expert_earnings(user_id=request.user.pk).filter(question_id=question_id).first()
    )
    if earning is None:
        raise Http404(gettext("No such earning."))
    return render(
        request,
        "payments/earning_detail.html",
        {"earning": earning, "entries": selectors.earning_entries(earning=earning)},
    )


@login_required
def expert_statement_csv(request: HttpRequest) -> HttpResponse:
    rows: list[list[object]] = [
        [
            "earned_at",
            "question_id",
            "brand",
            "product",
            "currency",
            "gross",
            "fee",
            "net",
            "bonus",
            "status",
            "clears_at",
        ]
    ]
    for e in selectors.expert_earnings(user_id=request.user.pk):
        rows.append(
            [
                e.earned_at.isoformat(),
                e.question_id,
                e.brand.slug,
                e.question.product.name if e.question.product else "",
                e.currency,
                e.gross,
                e.fee,
                e.net,
                e.bonus,
                e.status,
                e.clears_at.isoformat(),
            ]
        )
    return _csv_response("earnings.csv", rows)


@brand_staff_page()
def brand_payouts(request: HttpRequest, brand: Brand) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "run-batch":
                batch = services.payout_batch_run(brand=brand, actor=request.user)
                count = batch.payouts.count()
                messages.success(
                    request,
                    ngettext(
                        "Batch #%(id)s created with %(count)s payout.",
                        "Batch #%(id)s created with %(count)s payouts.",
                        count,
                    )
                    % {"id": batch.pk, "count": count},
                )
            elif action in ("hold", "release", "reverse"):
                service = {
                    "hold": services.earning_hold,
                    "release": services.earning_release,
                    "reverse": services.earning_reverse,
                }[action]
                reason = request.POST.get("reason", "").strip()
                if not reason:
                    raise ApplicationError(gettext("Give a reason."))
                service(
                    earning_id=parse_id(request.POST.get("earning_id")) or 0,
                    actor=request.user,
                    reason=reason,
                    brand=brand,
                )
                done = {
                    "hold": gettext("Earning held."),
                    "release": gettext("Earning released."),
                    "reverse": gettext("Earning reversed."),
                }
                messages.success(request, done[action])
            elif action == "mark-failed":
                services.payout_mark_failed(
                    brand=brand,
                    payout_id=parse_id(request.POST.get("payout_id")) or 0,
                    actor=request.user,
                    reason=request.POST.get("reason", "").strip() or "Rejected by the bank",
                )
                messages.success(
                    request, gettext("Payout marked failed; the money is available again.")
                )
            elif action == "mark-paid":
                ids = [i for i in map(parse_id, request.POST.getlist("payout_id")) if i]
                changed = services.payout_mark_paid(brand=brand, payout_ids=ids, actor=request.user)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s bank payout marked paid.",
                        "%(count)s bank payouts marked paid.",
                        changed,
                    )
                    % {"count": changed},
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("payments:brand-payouts", slug=brand.slug)
    owed = [
        (currency, format_money(amount, currency))
        for currency, amount in selectors.brand_owed(brand=brand)
    ]
    return render(
        request,
        "payments/brand_payouts.html",
        {
            "brand": brand,
            "owed": owed,
            "lines": selectors.brand_expert_lines(brand=brand),
            "batches": selectors.brand_batches(brand=brand)[:20],
            "open_earnings": selectors.brand_held_earnings(brand=brand)[:50],
            "statement": [
                (posting, format_money(-posting.amount, posting.account.currency))
                for posting in selectors.brand_statement(brand=brand)[:50]
            ],
            "card": selectors.rate_card_current(brand=brand),
            "issues": selectors.brand_reconciliation_issues(
                brand=brand, viewer=viewer_for(request)
            )[:20],
            # Quality reviewers read the money but move none: no buttons they cannot use.
            "can_edit": viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES),
        },
    )


@brand_staff_page(EDITOR_ROLES)  # the file holds full IBANs: owners and managers only
def brand_batch_csv(request: HttpRequest, brand: Brand, batch_id: int) -> HttpResponse:
    batch = brand.payout_batches.filter(pk=batch_id).first()
    if batch is None:
        raise Http404(gettext("No such batch."))
    payouts = batch.payouts.filter(provider="bank").select_related("destination").order_by("pk")
    response = HttpResponse(bank_file(payouts), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{brand.slug}-batch-{batch.pk}.csv"'
    return response


@brand_staff_page()
def brand_statement_csv(request: HttpRequest, brand: Brand) -> HttpResponse:
    rows: list[list[object]] = [
        ["date", "kind", "question_id", "expert", "memo", "currency", "amount_owed"]
    ]
    for posting in selectors.brand_statement(brand=brand):
        tx = posting.transaction
        rows.append(
            [
                tx.created_at.isoformat(),
                tx.kind,
                tx.question_id or "",
                tx.expert.user.display_name if tx.expert else "",
                tx.memo,
                posting.account.currency,
                -posting.amount,
            ]
        )
    return _csv_response(f"{brand.slug}-statement.csv", rows)


@brand_staff_page()
def brand_rate_card(request: HttpRequest, brand: Brand) -> HttpResponse:
    products = Product.objects.filter(brand=brand, is_archived=False).order_by("name")
    card = selectors.rate_card_current(brand=brand)
    if request.method == "POST":
        try:
            currency = request.POST.get("currency", "EUR")
            # Category lines (set through the API) are carried over: the page edits products.
            lines = [
                {"category_id": line.category_id, "amount": line.amount}
                for line in (card.lines.all() if card else [])
                if line.category_id
            ]
            for product in products:
                raw = request.POST.get(f"product_{product.pk}", "").strip()
                if raw:
                    lines.append(
                        {"product_id": product.pk, "amount": _parse_amount(raw, currency) or 0}
                    )
            services.rate_card_create(
                brand=brand,
                actor=request.user,
                currency=currency,
                default_amount=_parse_amount(request.POST.get("default_amount", ""), currency) or 0,
                platform_fee_bps=int(request.POST.get("platform_fee_bps", "0") or 0),
                clearance_days=int(request.POST.get("clearance_days", "3") or 3),
                bonus_amount=_parse_amount(request.POST.get("bonus_amount", ""), currency) or 0,
                hold_below_rating=int(request.POST.get("hold_below_rating", "0") or 0),
                surge_bonus_amount=_parse_amount(
                    request.POST.get("surge_bonus_amount", ""), currency
                )
                or 0,
                lines=lines,
                call_amount=_parse_amount(request.POST.get("call_amount", ""), currency) or 0,
                call_minute_amount=_parse_amount(
                    request.POST.get("call_minute_amount", ""), currency
                )
                or 0,
            )
            messages.success(
                request, gettext("Rate card saved; it applies to questions resolved from now on.")
            )
        except (ApplicationError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", gettext("Check the numbers.")))
        return redirect("payments:brand-rate-card", slug=brand.slug)

    def major(amount: int) -> str:
        return format_money(amount, card.currency).split()[0].replace(",", "") if card else ""

    product_amounts = {line.product_id: line.amount for line in card.lines.all()} if card else {}
    rows = [
        {
            "product": p,
            "amount": major(product_amounts[p.pk]) if p.pk in product_amounts else "",
        }
        for p in products
    ]
    return render(
        request,
        "payments/rate_card.html",
        {
            "brand": brand,
            "card": card,
            "rows": rows,
            "currencies": sorted(CURRENCY_EXPONENTS),
            "history": brand.rate_cards.order_by("-version")[:10],
            "default_amount": major(card.default_amount) if card else "",
            "bonus_amount": major(card.bonus_amount) if card else "",
            "call_amount": major(card.call_amount) if card else "",
            "call_minute_amount": major(card.call_minute_amount) if card else "",
            "surge_bonus_amount": major(card.surge_bonus_amount) if card else "",
            "can_edit": viewer_for(request).is_staff_of(brand.pk, EDITOR_ROLES),
        },
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe calls this; the signature (Stripe-Signature, HMAC with the endpoint secret and a
    timestamp tolerance) is the only authentication. Duplicates are acknowledged and ignored."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        # Without a secret anyone could sign with the empty key: refuse everything.
        logger.error("Stripe webhook called but STRIPE_WEBHOOK_SECRET is not set")
        return JsonResponse(
            {"error": {"code": "not_configured", "message": "Rejected.", "fields": {}}}, status=400
        )
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return JsonResponse(
            {"error": {"code": "bad_signature", "message": "Rejected.", "fields": {}}}, status=400
        )
    # Verified: read the fields from the signed body itself (plain JSON).
    body = json.loads(request.body)
    services.stripe_event_handle(
        event_id=event.id, event_type=event.type, data=body.get("data") or {}
    )
    return JsonResponse({"received": True})
