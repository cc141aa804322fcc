"""Nightly reconciliation: the ledger, the payouts and the provider's events must agree.

For every payout: its ``payout:<id>`` entry moved exactly its amount into paid out; a failed
payout's money came back (``payout-return:<id>``), and no other payout's did; the provider's
transfer events say what the payout's status says. For every account: the running balance is
the sum of its postings, and an expert's balance (other than the debt account) is not negative.

A difference becomes a ReconciliationIssue (one open issue per difference, resolved by the
first run that no longer finds it), an audit line in the brand's log, and an error in the
logs for site admins. Read-mostly and idempotent: running it twice changes nothing more.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gigcx.audit import audit_record
from payments.ledger import accounts_reconcile
from payments.models import (
    Account,
    Payout,
    PayoutDestination,
    Posting,
    ProviderEvent,
    ReconciliationIssue,
    Transaction,
)

logger = logging.getLogger(__name__)

Kind = ReconciliationIssue.Kind


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    brand_id: int | None
    expected: str
    found: str
    payout_id: int | None = None
    account_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class ReconcileResult:
    open: int
    new: int
    resolved: int


def _payout_findings() -> list[Finding]:
    booked: dict[int, int] = defaultdict(int)
    returned: dict[int, int] = defaultdict(int)
    for payout_id, kind, total in (
        Posting.objects.filter(
            transaction__payout__isnull=False, account__kind=Account.Kind.PAID_OUT
        )
        .order_by()
        .values("transaction__payout_id", "transaction__kind")
        .annotate(total=Sum("amount"))
        .values_list("transaction__payout_id", "transaction__kind", "total")
    ):
        if kind == Transaction.Kind.PAYOUT:
            booked[payout_id] += int(total)
        elif kind == Transaction.Kind.PAYOUT_RETURN:
            returned[payout_id] -= int(total)

    # What the provider said about each transfer: reversed wins over created/updated.
    transfers: dict[str, str] = {}
    for event_type, payload in ProviderEvent.objects.filter(
        provider=PayoutDestination.Provider.STRIPE, type__startswith="transfer."
    ).values_list("type", "payload"):
        transfer_id = str(((payload or {}).get("object") or {}).get("id") or "")
        if not transfer_id:
            continue
        outcome = Payout.Status.FAILED if event_type == "transfer.reversed" else Payout.Status.PAID
        if transfers.get(transfer_id) != Payout.Status.FAILED:
            transfers[transfer_id] = outcome

    findings: list[Finding] = []
    seen_references: set[str] = set()
    for pk, brand_id, amount, status, provider, reference in Payout.objects.order_by(
        "pk"
    ).values_list("pk", "brand_id", "amount", "status", "provider", "provider_reference"):
        about: dict[str, Any] = {"brand_id": brand_id, "payout_id": pk}
        paid_out = booked.get(pk, 0)
        if paid_out == 0:
            findings.append(
                Finding(
                    Kind.PAYOUT_NOT_BOOKED,
                    f"{Kind.PAYOUT_NOT_BOOKED}:{pk}",
                    expected=str(amount),
                    found="0",
                    **about,
                )
            )
        elif paid_out != amount:
            findings.append(
                Finding(
                    Kind.PAYOUT_AMOUNT,
                    f"{Kind.PAYOUT_AMOUNT}:{pk}",
                    expected=str(amount),
                    found=str(paid_out),
                    **about,
                )
            )
        back = returned.get(pk, 0)
        if status == Payout.Status.FAILED and back != amount:
            findings.append(
                Finding(
                    Kind.PAYOUT_NOT_RETURNED,
                    f"{Kind.PAYOUT_NOT_RETURNED}:{pk}",
                    expected=str(amount),
                    found=str(back),
                    **about,
                )
            )
        elif status != Payout.Status.FAILED and back != 0:
            findings.append(
                Finding(
                    Kind.PAYOUT_RETURNED,
                    f"{Kind.PAYOUT_RETURNED}:{pk}",
                    expected="0",
                    found=str(back),
                    **about,
                )
            )
        if provider != PayoutDestination.Provider.STRIPE or not reference:
            continue
        seen_references.add(reference)
        said = transfers.get(reference)
        if said is not None and said != status:
            findings.append(
                Finding(
                    Kind.PROVIDER_DISAGREES,
                    f"{Kind.PROVIDER_DISAGREES}:{pk}",
                    expected=said,
                    found=status,
                    reference=reference,
                    **about,
                )
            )
    for reference in sorted(set(transfers) - seen_references):
        findings.append(
            Finding(
                Kind.UNMATCHED_TRANSFER,
                f"{Kind.UNMATCHED_TRANSFER}:{reference}",
                brand_id=None,
                expected="a payout",
                found="none",
                reference=reference,
            )
        )
    return findings


def _account_findings() -> list[Finding]:
    findings: list[Finding] = []
    wrong = accounts_reconcile()
    brands = dict(
        Account.objects.filter(pk__in=[pk for pk, _, _ in wrong]).values_list("pk", "brand_id")
    )
    for pk, stored, summed in wrong:
        findings.append(
            Finding(
                Kind.BALANCE_MISMATCH,
                f"{Kind.BALANCE_MISMATCH}:{pk}",
                brand_id=brands.get(pk),
                expected=str(summed),
                found=str(stored),
                account_id=pk,
            )
        )
    for pk, brand_id, balance in (
        Account.objects.filter(owner_type=Account.Owner.EXPERT, balance__lt=0)
        .exclude(kind=Account.Kind.EXPERT_DEBT)
        .values_list("pk", "brand_id", "balance")
    ):
        findings.append(
            Finding(
                Kind.NEGATIVE_BALANCE,
                f"{Kind.NEGATIVE_BALANCE}:{pk}",
                brand_id=brand_id,
                expected="≥ 0",
                found=str(balance),
                account_id=pk,
            )
        )
    return findings


def reconcile_run(*, now: datetime | None = None) -> ReconcileResult:
    """Compare ledger, payouts and provider events; store, audit and log what differs."""
    now = now or timezone.now()
    findings = {f.key: f for f in [*_payout_findings(), *_account_findings()]}
    new = resolved = 0
    with transaction.atomic(durable=True):
        still_open = {
            issue.key: issue
            for issue in ReconciliationIssue.objects.unresolved().select_for_update()
        }
        for key, issue in still_open.items():
            if key in findings:
                continue
            ReconciliationIssue.objects.filter(pk=issue.pk).update(resolved_at=now)
            resolved += 1
            audit_record(
                actor=None,
                action="reconciliation.resolved",
                target=issue,
                brand_id=issue.brand_id,
                data={"kind": issue.kind, "key": key},
            )
        for key, finding in findings.items():
            if key in still_open:
                continue
            issue = ReconciliationIssue.objects.create(
                kind=finding.kind,
                key=key,
                brand_id=finding.brand_id,
                payout_id=finding.payout_id,
                account_id=finding.account_id,
                reference=finding.reference,
                expected=finding.expected,
                found=finding.found,
                detected_at=now,
            )
            new += 1
            logger.error(
                "reconciliation: %s (%s): expected %s, found %s",
                issue.get_kind_display(),
                key,
                finding.expected,
                finding.found,
            )
            audit_record(
                actor=None,
                action="reconciliation.issue_found",
                target=issue,
                brand_id=finding.brand_id,
                data={
                    "kind": finding.kind,
                    "expected": finding.expected,
                    "found": finding.found,
                    "payout_id": finding.payout_id,
                    "account_id": finding.account_id,
                },
            )
        audit_record(
            actor=None,
            action="reconciliation.run",
            data={"open": len(findings), "new": new, "resolved": resolved},
        )
    return ReconcileResult(open=len(findings), new=new, resolved=resolved)
