"""On PostgreSQL, refuse UPDATE and DELETE on the append-only learning tables in the database itself.

The models already refuse both in code; the triggers also stop raw SQL and other clients. A future
withdrawal purge may delete by setting `SET LOCAL learning.allow_purge = 'on'` in its transaction.
SQLite, the embedded default, relies on the code-level guard.
"""

from django.db import migrations

TABLES = (
    "learning_learningevent",
    "learning_knowledgecheckattempt",
    "learning_protocoldeviation",
    "learning_modulecompletion",
)

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION learning_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('learning.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION learning_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS learning_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
