"""The upload's SHA-256 and deletion time (the file itself is deleted after the run or the retention period), and
the full names earlier jobs stored in their preview and in their problems' values masked (DOMAIN.md §9)."""

from django.db import migrations, models

from bangfu.core.masking import mask_name

# The template's headers of the name columns (ImportIssue.column holds the header, not the key).
NAME_HEADERS = ("姓名", "账户持有人")


def mask_stored_names(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    ImportIssue = apps.get_model("imports", "ImportIssue")
    for job in ImportJob.objects.exclude(preview=[]).only("pk", "preview").iterator():
        rows = [dict(row, name=mask_name(row.get("name", ""))) if isinstance(row, dict) else row
                for row in job.preview or []]
        if rows != job.preview:
            ImportJob.objects.filter(pk=job.pk).update(preview=rows)
    issues = ImportIssue.objects.filter(column__in=NAME_HEADERS).exclude(value="").only("pk", "value")
    batch = []
    for issue in issues.iterator():
        masked = mask_name(issue.value)
        if masked != issue.value:
            issue.value = masked
            batch.append(issue)
        if len(batch) >= 1000:
            ImportIssue.objects.bulk_update(batch, ["value"])
            batch = []
    if batch:
        ImportIssue.objects.bulk_update(batch, ["value"])


class Migration(migrations.Migration):

    dependencies = [
        ("imports", "0004_job_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="file deleted at"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="file_sha256",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="SHA-256 of the file"),
        ),
        migrations.RunPython(mask_stored_names, migrations.RunPython.noop),
    ]
