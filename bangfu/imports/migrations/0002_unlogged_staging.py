"""On PostgreSQL the staging tables are UNLOGGED: scratch space keyed by job, rebuilt by a re-run, so they
need no write-ahead log (COPY into them is about twice as fast). SQLite: nothing to do."""

from django.db import migrations

TABLES = ("imports_stagedrow", "imports_stagedcause")


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f'ALTER TABLE "{table}" SET UNLOGGED')


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f'ALTER TABLE "{table}" SET LOGGED')


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]
    operations = [migrations.RunPython(unlogged, logged)]
