"""Per-union histograms of the days visits and annual reviews fall due (`bangfu.stats.due`): the tables, the
triggers, and the due days of the households that exist already."""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    from bangfu.stats import due, sql
    from bangfu.stats.rollup import compact

    vendor = schema_editor.connection.vendor
    # The household and ledger triggers again too: their deltas are now one row per tuple and statement.
    for statement in sql.install(vendor) + sql.install_ledger(vendor) + due.install(vendor):
        schema_editor.execute(statement, params=None)
    with schema_editor.connection.cursor() as cursor:
        for statement in due.sync_statements(vendor, "SELECT id FROM registry_household"):
            cursor.execute(statement)
    compact()


def widen_household_delta(apps, schema_editor):
    """A household delta now counts the households of a statement (−n/+n), beyond a smallint's range. Only
    PostgreSQL's column changes: SQLite stores any integer in it, and rebuilding the table there (what AlterField
    does) would drop the triggers that write to it."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE stats_householddelta ALTER COLUMN delta TYPE integer")


def uninstall(apps, schema_editor):
    from bangfu.stats import due

    for statement in due.uninstall(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('stats', '0002_triggers'),
    ]

    operations = [
        migrations.CreateModel(
            name='DueDelta',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.SmallIntegerField(choices=[(1, 'visit'), (2, 'annual review')], verbose_name='kind')),
                ('day', models.IntegerField(verbose_name='due day')),
                ('delta', models.IntegerField(verbose_name='change')),
                ('org', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='orgs.org', verbose_name='union')),
            ],
            options={
                'verbose_name': 'pending due change',
                'verbose_name_plural': 'pending due changes',
            },
        ),
        migrations.CreateModel(
            name='HouseholdDue',
            fields=[
                ('household_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='household')),
                ('visit_due_day', models.IntegerField(blank=True, null=True, verbose_name='next visit due (day)')),
                ('review_due_day', models.IntegerField(blank=True, null=True, verbose_name='next review due (day)')),
                ('org', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='orgs.org', verbose_name='union')),
            ],
            options={
                'verbose_name': 'household due days',
                'verbose_name_plural': 'household due days',
            },
        ),
        migrations.CreateModel(
            name='DueRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.SmallIntegerField(choices=[(1, 'visit'), (2, 'annual review')], verbose_name='kind')),
                ('day', models.IntegerField(verbose_name='due day')),
                ('households', models.IntegerField(default=0, verbose_name='households')),
                ('org', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='orgs.org', verbose_name='union')),
            ],
            options={
                'verbose_name': 'households due per day',
                'verbose_name_plural': 'households due per day',
                'constraints': [models.UniqueConstraint(fields=('org', 'kind', 'day'), name='stats_due_day')],
            },
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(widen_household_delta, migrations.RunPython.noop)],
            state_operations=[migrations.AlterField(model_name="householddelta", name="delta",
                                                    field=models.IntegerField(verbose_name="change"))],
        ),
        migrations.RunPython(install, uninstall),
    ]
