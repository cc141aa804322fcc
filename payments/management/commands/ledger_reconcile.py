"""Check every account's running balance against the sum of its postings."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.ledger import accounts_reconcile


class Command(BaseCommand):
    help = (
        "Recompute each account's balance as the sum of its postings and compare it with the "
        "running balance on the account row. Exits non-zero and lists the accounts that differ."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = accounts_reconcile()
        if wrong:
            for pk, stored, summed in wrong:
                self.stderr.write(f"account {pk}: balance {stored}, sum of postings {summed}")
            raise CommandError(f"{len(wrong)} account balance(s) differ from their postings.")
        self.stdout.write("Every account balance equals the sum of its postings.")
