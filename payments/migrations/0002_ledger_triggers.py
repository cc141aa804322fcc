"""PostgreSQL guards for the ledger (RELIABILITY 41-42).

- ``payments_ledger_immutable``: BEFORE UPDATE OR DELETE on postings and transactions raises,
  whatever the path (ORM save, queryset update, bulk_update, raw SQL, admin).
- ``payments_posting_balanced``: a DEFERRABLE INITIALLY DEFERRED constraint trigger that, at
  COMMIT, checks that every transaction touched sums to zero per currency. Deferred, because
  the postings of one entry are inserted one row at a time.

SQLite (the zero-setup development database) has no such triggers; there ledger_post's own
checks are the guard.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_ledger_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_posting_immutable BEFORE UPDATE OR DELETE ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_immutable();
CREATE TRIGGER payments_transaction_immutable BEFORE UPDATE OR DELETE ON payments_transaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_immutable();

CREATE OR REPLACE FUNCTION payments_posting_balanced() RETURNS trigger AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT a.currency, SUM(p.amount) AS total INTO bad
        FROM payments_posting p JOIN payments_account a ON a.id = p.account_id
        WHERE p.transaction_id = NEW.transaction_id
        GROUP BY a.currency HAVING SUM(p.amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: sum %',
            NEW.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_posting_balanced AFTER INSERT ON payments_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_posting_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_posting_balanced ON payments_posting;
DROP FUNCTION IF EXISTS payments_posting_balanced();
DROP TRIGGER IF EXISTS payments_posting_immutable ON payments_posting;
DROP TRIGGER IF EXISTS payments_transaction_immutable ON payments_transaction;
DROP FUNCTION IF EXISTS payments_ledger_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
