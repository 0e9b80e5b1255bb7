"""On PostgreSQL, refuse UPDATE and DELETE on the export audit in the database itself.

The model refuses both in code; the trigger also stops raw SQL and other clients. SQLite, the
embedded default, relies on the code-level guard.
"""

from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION research_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER research_exportaudit_append_only BEFORE UPDATE OR DELETE ON research_exportaudit "
        "FOR EACH ROW EXECUTE FUNCTION research_refuse_audit_change();"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS research_exportaudit_append_only ON research_exportaudit;")
    schema_editor.execute("DROP FUNCTION IF EXISTS research_refuse_audit_change();")


class Migration(migrations.Migration):
    dependencies = [("research", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
