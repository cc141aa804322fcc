"""The ledger's database guards on PostgreSQL (migration 0002): entries must balance at COMMIT,
and ledger rows can be neither updated nor deleted, whatever the path."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from payments.ledger import account_for_brand, account_for_expert, ledger_post
from payments.models import Account, Posting, Transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

K = Account.Kind


@pytest.fixture
def entry(require_postgres: None, cast: Any) -> Transaction:
    brand = account_for_brand(brand=cast.acme, kind=K.BRAND_PAYABLE, currency="EUR")
    pending = account_for_expert(expert=cast.ada_expert, kind=K.PENDING, currency="EUR")
    return ledger_post(
        kind="earning", idempotency_key="k", postings=[(brand, -500), (pending, 500)]
    )


def test_an_unbalanced_entry_is_rejected_at_commit_through_the_orm_and_raw_sql(
    entry: Transaction,
) -> None:
    account_id = entry.postings.first().account_id

    def orm_unbalanced() -> None:
        with transaction.atomic():
            extra = Transaction.objects.create(kind="earning", idempotency_key="unbalanced")
            Posting.objects.bulk_create(
                [Posting(transaction=extra, account_id=account_id, amount=7)]
            )

    def raw_unbalanced() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payments_posting (transaction_id, account_id, amount) "
                "VALUES (%s, %s, 1)",
                [entry.pk, account_id],
            )

    with pytest.raises(IntegrityError, match="does not balance"):
        orm_unbalanced()
    with pytest.raises(IntegrityError, match="does not balance"):
        raw_unbalanced()
    assert not Transaction.objects.filter(idempotency_key="unbalanced").exists()
    assert entry.postings.count() == 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: Posting.objects.filter(transaction=e).update(amount=1),
        lambda e: Posting.objects.filter(transaction=e).delete(),
        lambda e: Transaction.objects.filter(pk=e.pk).update(memo="edited"),
        lambda e: e.postings.first().save(),
        lambda e: connection.cursor().execute("DELETE FROM payments_transaction"),
    ],
    ids=["update", "delete", "tx-update", "save", "raw-delete"],
)
def test_ledger_rows_cannot_be_changed_or_deleted(entry: Transaction, tamper: Any) -> None:
    def attempt() -> None:
        with transaction.atomic():
            tamper(entry)

    with pytest.raises(DatabaseError, match="append-only"):
        attempt()
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-500, 500]
