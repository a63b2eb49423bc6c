"""The national default parameters of dynamic management (DOMAIN.md §3; illustrative where assumed)."""

import datetime as dt

from django.db import migrations


def forwards(apps, schema_editor):
    MonitoringPolicy = apps.get_model("monitoring", "MonitoringPolicy")
    MonitoringPolicy.objects.get_or_create(
        org=None, effective_from=dt.date(2000, 1, 1),
        defaults={"spot_check_percent": 30, "review_lead_days": 30, "exit_months": 6, "income_drop_percent": 30,
                  "never_helped_days": 90, "not_updated_days": 365, "illustrative": True,
                  "source": "DOMAIN.md §3 (30 % spot check, 6 months, 1 year); lead time, income drop and "
                            "never-helped days assumed"})


def backwards(apps, schema_editor):
    apps.get_model("monitoring", "MonitoringPolicy").objects.filter(org=None, effective_from=dt.date(2000, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
