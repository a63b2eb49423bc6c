"""Reference data the registry needs from the first migration on: the code lists and the national
default classification policy (Standard A, the multipliers of DOMAIN.md §1)."""

from django.db import migrations


def load_code_lists(apps, schema_editor):
    from bangfu.registry.code_lists import load_code_lists as load

    load(apps.get_model("registry", "CodeItem"))


def seed_default_policy(apps, schema_editor):
    import datetime as dt
    from decimal import Decimal

    Policy = apps.get_model("registry", "ClassificationPolicy")
    if not Policy.objects.filter(division__isnull=True).exists():
        Policy.objects.create(
            division=None, scheme="A", effective_from=dt.date(2000, 1, 1),
            marginal_multiplier=Decimal("1.5"), relative_multiplier=Decimal("2"),
            accident_pci_multiplier=Decimal("3"), accident_cost_share=Decimal("0.80"),
            financial_assets_multiplier=Decimal("24"), consecutive_months=6,
            working_age_from=16, working_age_to=60,
            common_levels={
                "A_dibao": "deep", "A_marginal": "relative", "A_accident": "accident",
                "B_deep": "deep", "B_relative": "relative", "B_accident": "accident", "none": "none",
            },
            source="DOMAIN.md §1", illustrative=False,
        )
class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [
        migrations.RunPython(load_code_lists, migrations.RunPython.noop),
        migrations.RunPython(seed_default_policy, migrations.RunPython.noop),
    ]
