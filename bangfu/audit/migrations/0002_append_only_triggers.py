"""Database triggers: the audit logs refuse UPDATE and DELETE even from raw SQL (see bangfu.audit.triggers)."""

from django.db import migrations

from bangfu.audit.triggers import AppendOnlyTriggers


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        AppendOnlyTriggers('audit_changelogentry'),
        AppendOnlyTriggers('audit_accesslogentry'),
        AppendOnlyTriggers('audit_job', mutable_while=('status', 'running')),
    ]
