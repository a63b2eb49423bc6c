"""The report of a job as Excel: row, column, value (identity numbers masked), message — in the user's
language (messages are stored translated in the language of the user who uploaded the file)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook

from bangfu.imports.models import ImportIssue, ImportJob


def build(job: ImportJob) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Problems"))
    sheet.append([_("Row"), _("Column"), _("Value"), _("What is wrong")])
    for row_no, column, value, message in (ImportIssue.objects.filter(job=job).order_by("row_no", "id")
                                           .values_list("row_no", "column", "value", "message").iterator()):
        # A value that starts like a formula is written as text, so Excel does not run it.
        safe = ("'" + value) if value[:1] in ("=", "+", "-", "@") else value
        sheet.append([row_no, column, safe, message])
    summary = workbook.create_sheet(_("Summary"))
    for label, number in (
        (_("Rows read"), job.rows_read), (_("Rows rejected"), job.rows_rejected),
        (_("Households created"), job.households_created), (_("Households changed"), job.households_changed),
        (_("Households unchanged"), job.households_unchanged),
        (_("Households rejected"), job.households_rejected),
    ):
        summary.append([str(label), number])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_report(job: ImportJob) -> None:
    job.refresh_from_db()
    name = job.report_file or f"imports/report-{uuid.uuid4().hex}.xlsx"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build(job))
    ImportJob.objects.filter(pk=job.pk).update(report_file=name)
