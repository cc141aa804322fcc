"""Run the nightly money reconciliation now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.models import ReconciliationIssue
from payments.services.reconciliation import reconcile_run


class Command(BaseCommand):
    help = (
        "Compare the ledger, the payouts and the provider's transfer events, and every running "
        "balance with the sum of its postings (what payments.reconcile_ledger does nightly). "
        "Stores and lists the differences; exits non-zero when any is open."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = reconcile_run()
        self.stdout.write(
            f"{result.new} new difference(s), {result.resolved} resolved, {result.open} open."
        )
        if result.open:
            for issue in (
                ReconciliationIssue.objects.unresolved()
                .select_related("payout", "account")
                .order_by("pk")
            ):
                self.stderr.write(
                    f"{issue.about}: {issue.get_kind_display()} "
                    f"(expected {issue.expected_display}, found {issue.found_display})"
                )
            raise CommandError(f"{result.open} difference(s) between ledger, payouts and provider.")
