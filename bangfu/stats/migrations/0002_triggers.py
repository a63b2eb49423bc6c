"""Install the triggers that keep the households' history and pending deltas (`bangfu.stats.sql`), and write
the history of the households that exist already, dated from their lifecycle dates (`stats.history`)."""

from django.db import migrations


def install(apps, schema_editor):
    from bangfu.stats import sql
    from bangfu.stats.history import reconstruct_history

    vendor = schema_editor.connection.vendor
    for statement in sql.install(vendor) + sql.backfill(vendor) + sql.install_ledger(vendor) + sql.backfill_ledger():
        schema_editor.execute(statement, params=None)
    # The archives that exist already get a history from their own lifecycle dates, not from today.
    reconstruct_history(dues=False)  # the due-day tables come with 0003


def uninstall(apps, schema_editor):
    from bangfu.stats import sql

    for statement in sql.uninstall(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("registry", "0003_household_bank_account_holder"),
        ("funds", "0005_monthly_money_in"),
        ("helpers", "0002_visit_household_latest_index"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
