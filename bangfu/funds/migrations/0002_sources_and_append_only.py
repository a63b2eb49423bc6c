"""Fund sources of the platform's starting configuration, and append-only triggers on the ledger tables."""

from django.db import migrations

from bangfu.audit.triggers import AppendOnlyTriggers


def seed_sources(apps, schema_editor):
    from bangfu.funds.models.sources import seed_sources

    seed_sources(apps.get_model("funds", "FundSource"))


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial"), ("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(seed_sources, migrations.RunPython.noop),
        AppendOnlyTriggers("funds_ledgertransaction"),
        AppendOnlyTriggers("funds_ledgerentry"),
        AppendOnlyTriggers("funds_budget"),
        AppendOnlyTriggers("funds_allocation"),
    ]
