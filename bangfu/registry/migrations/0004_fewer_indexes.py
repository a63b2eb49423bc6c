"""Fewer indexes on households and members: each is kept up by every write, and an import of a million rows
writes them all. Dropped: single-column indexes covered by a composite one, pattern twins of columns searched by
equality only; the rare self-links and the worker account indexed only where set."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('registry', '0003_household_bank_account_holder'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='household',
            name='category',
            field=models.CharField(blank=True, choices=[('A_dibao', 'Minimum-living household (低保户)'), ('A_marginal', 'Marginal household (低保边缘户)'), ('A_accident', 'Accident-induced household (意外致困户)'), ('B_deep', 'Deep hardship (深度困难)'), ('B_relative', 'Relative hardship (相对困难)'), ('B_accident', 'Accident-induced hardship (意外致困)'), ('none', 'Not eligible')], max_length=16, verbose_name='category'),
        ),
        migrations.AlterField(
            model_name='household',
            name='head_name_initials',
            field=models.CharField(blank=True, max_length=32, verbose_name='pinyin initials of the head'),
        ),
        migrations.AlterField(
            model_name='household',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged', to='registry.household', verbose_name='merged into'),
        ),
        migrations.AlterField(
            model_name='household',
            name='org',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='orgs.org', verbose_name='responsible union'),
        ),
        migrations.AlterField(
            model_name='household',
            name='previous_archive',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='re_entries', to='registry.household', verbose_name='earlier archive (re-entry)'),
        ),
        migrations.AlterField(
            model_name='household',
            name='registration_division',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.division', verbose_name='household-registration division'),
        ),
        migrations.AlterField(
            model_name='household',
            name='review_due_on',
            field=models.DateField(blank=True, null=True, verbose_name='next review due'),
        ),
        migrations.AlterField(
            model_name='household',
            name='split_from',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='splits', to='registry.household', verbose_name='split from'),
        ),
        migrations.AlterField(
            model_name='household',
            name='state',
            field=models.CharField(choices=[('draft', 'Draft'), ('applied', 'Application'), ('first_check', 'First check'), ('home_visit', 'Home visit'), ('economic_check', 'Economic check'), ('public_notice', 'Public notice'), ('approval', 'Approval by the higher union'), ('active', 'Active archive'), ('refused', 'Refused'), ('exited', 'Exited'), ('cancelled', 'Cancelled'), ('merged', 'Merged into another archive')], default='draft', max_length=16, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='household',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated at'),
        ),
        migrations.AlterField(
            model_name='member',
            name='account',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='household_memberships', to=settings.AUTH_USER_MODEL, verbose_name='worker account'),
        ),
        # Django's AlterField dropping the single-column index of `household` also drops every other
        # non-constraint index on that column alone, the partial unique `one_head_per_household` included
        # (PostgreSQL): take it out first and put it back after.
        migrations.RemoveConstraint(model_name='member', name='one_head_per_household'),
        migrations.AlterField(
            model_name='member',
            name='household',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='members', to='registry.household', verbose_name='household'),
        ),
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(condition=models.Q(('is_head', True)), fields=('household',),
                                               name='one_head_per_household'),
        ),
        migrations.AlterField(
            model_name='member',
            name='identity_hash',
            field=models.CharField(editable=False, max_length=64, verbose_name='identity hash'),
        ),
        migrations.AlterField(
            model_name='member',
            name='name_initials',
            field=models.CharField(blank=True, max_length=32, verbose_name='pinyin initials'),
        ),
        migrations.AlterField(
            model_name='member',
            name='open_identity_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['head_name_initials'], name='household_head_initials_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(condition=models.Q(('registration_division__isnull', False)), fields=['registration_division'], name='household_regdiv'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(condition=models.Q(('previous_archive__isnull', False)), fields=['previous_archive'], name='household_previous'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(condition=models.Q(('split_from__isnull', False)), fields=['split_from'], name='household_split_from'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='household_merged_into'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['name_initials'], name='member_initials_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['identity_hash'], name='member_identity_hash'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('account__isnull', False)), fields=['account'], name='member_account'),
        ),
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(fields=('open_identity_hash',), name='member_open_identity_once'),
        ),
    ]
