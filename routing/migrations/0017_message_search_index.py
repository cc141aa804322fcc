"""A GIN index for the staff inbox's full-text search (routing.inbox.message_search), on
PostgreSQL only: the expression is exactly what Django compiles SearchVector("body",
config="english") to, so the planner uses it (tests/routing/test_staff_inbox.py checks)."""

from django.db import migrations

INDEX = "message_body_search_idx"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON routing_message "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(body, '')))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("routing", "0016_merge_20261201_1538")]

    operations = [migrations.RunPython(create, drop)]
