"""Version 1 of the recommendation rules shipped with the platform (bangfu/plans/rules_data.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from bangfu.plans.rules_data import load_rules

    load_rules(apps.get_model("plans", "RecommendationRule"))


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
