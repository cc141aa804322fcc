"""The audit table is append-only (issue 11): on PostgreSQL a trigger refuses every UPDATE and
DELETE of ``gigcx_auditevent``, whatever the path (ORM, queryset update, raw SQL, admin).

One UPDATE stays allowed: setting ``actor_id`` to NULL with every other column unchanged. It is
what deleting a user does (``on_delete=SET_NULL``): the line stays, only the link to the gone
account is cut. TRUNCATE (test teardown, a deliberate operator reset) is not a row operation
and is not stopped.

SQLite (the zero-setup development database) has no such trigger; audit_record only ever
inserts, and the admin is read-only.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION gigcx_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND NEW.id = OLD.id
       AND NEW.created_at IS NOT DISTINCT FROM OLD.created_at
       AND NEW.brand_id IS NOT DISTINCT FROM OLD.brand_id
       AND NEW.action IS NOT DISTINCT FROM OLD.action
       AND NEW.target_type IS NOT DISTINCT FROM OLD.target_type
       AND NEW.target_id IS NOT DISTINCT FROM OLD.target_id
       AND NEW.reason IS NOT DISTINCT FROM OLD.reason
       AND NEW.data::text IS NOT DISTINCT FROM OLD.data::text
       AND NEW.ip IS NOT DISTINCT FROM OLD.ip THEN
        -- A deleted user's lines lose their actor and nothing else.
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER gigcx_auditevent_append_only BEFORE UPDATE OR DELETE ON gigcx_auditevent
    FOR EACH ROW EXECUTE FUNCTION gigcx_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS gigcx_auditevent_append_only ON gigcx_auditevent;
DROP FUNCTION IF EXISTS gigcx_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("gigcx", "0004_merge_20261201_1324")]

    operations = [migrations.RunPython(forward, backward)]
