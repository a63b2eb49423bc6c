"""Pages of the imports app: upload, job list, job page (progress, cancel, results), report, template."""

from __future__ import annotations

import datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from bangfu.audit.access import log_access
from bangfu.core.decorators import staff_page
from bangfu.core.forms import errors_to_form
from bangfu.core.scoping import get_scoped_or_404
from bangfu.imports import services, template_file
from bangfu.imports.columns import COLUMNS
from bangfu.imports.models import ImportJob


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    mode = forms.ChoiceField(label=_("Import mode"), choices=ImportJob.Mode.choices,
                             initial=ImportJob.Mode.ALL_OR_NOTHING,
                             widget=forms.RadioSelect)
    dry_run = forms.BooleanField(label=_("Dry run: check and preview only, import nothing"), required=False)


@staff_page("imports.add_importjob")
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(request.user, form.cleaned_data["file"], mode=form.cleaned_data["mode"],
                                             dry_run=form.cleaned_data["dry_run"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/upload.html", {"form": form, "columns": COLUMNS})


@staff_page("imports.view_importjob")
def job_list(request):
    jobs = ImportJob.objects.restrict(request.user, "view").select_related("created_by", "org")[:100]
    return render(request, "imports/list.html", {"jobs": jobs})


@staff_page("imports.view_importjob")
def job_detail(request, pk: int):
    job = get_scoped_or_404(ImportJob, request.user, "view", pk=pk)
    issues = job.issues.all()[:50]
    failed_on_error = job.state == ImportJob.State.FAILED and job.error not in ("", "refused")
    return render(request, "imports/job.html", {
        "job": job, "issues": issues, "preview": labelled_preview(job.preview), "stale": services.is_stale(job),
        "refused": is_refused(job), "can_rerun": services.can_rerun(job),
        "can_change": request.user.has_role_permission("imports.change_importjob"),
        # A failed job keeps its file for "run again" until then; after that the page says it must be uploaded.
        "file_kept_until": (job.finished_at + datetime.timedelta(hours=services.keep_hours())
                            if failed_on_error and job.file_available and job.finished_at else None),
        "file_gone": services.file_gone_message(job) if failed_on_error and not job.file_available else "",
    })


def labelled_preview(rows: list) -> list:
    """The preview rows with code-list values shown by their labels (the stored preview holds codes)."""
    from bangfu.registry.models import CodeItem
    from bangfu.registry.models.household import Sex

    if not rows:
        return []
    labels: dict = {}
    for item in CodeItem.objects.active().filter(code_list__in=("relation", "health", "work_status")):
        labels[(item.code_list, item.code)] = item.label
    sexes = dict(Sex.choices)
    shown = []
    for row in rows:
        row = dict(row)
        for key in ("relation", "health", "work_status"):
            row[key] = labels.get((key, row.get(key)), row.get(key, ""))
        row["sex"] = str(sexes.get(row.get("sex"), row.get("sex", "")))
        shown.append(row)
    return shown


def is_refused(job: ImportJob) -> bool:
    """All or nothing with problems: the file was refused for its rows, not stopped by a platform error."""
    return job.state == ImportJob.State.FAILED and job.error == "refused"


def status_payload(job: ImportJob) -> dict:
    return {
        "id": job.pk, "state": job.state, "state_label": str(job.get_state_display()), "percent": job.percent,
        "rows_read": job.rows_read, "rows_total": job.rows_total, "rows_rejected": job.rows_rejected,
        "households_created": job.households_created, "households_changed": job.households_changed,
        "households_unchanged": job.households_unchanged, "households_rejected": job.households_rejected,
        "issues_count": job.issues_count, "finished": job.is_finished, "cancel_requested": job.cancel_requested,
        "stale": services.is_stale(job), "refused": is_refused(job),
    }


@staff_page("imports.view_importjob")
def job_status(request, pk: int):
    job = get_scoped_or_404(ImportJob, request.user, "view", pk=pk)
    return JsonResponse(status_payload(job))


@require_POST
@staff_page("imports.change_importjob")
def job_cancel(request, pk: int):
    job = get_scoped_or_404(ImportJob, request.user, "change", pk=pk)
    try:
        services.import_job_cancel(request.user, job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:job", pk=job.pk)


@require_POST
@staff_page("imports.change_importjob")
def job_rerun(request, pk: int):
    job = get_scoped_or_404(ImportJob, request.user, "change", pk=pk)
    try:
        services.import_job_rerun(request.user, job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:job", pk=job.pk)


@staff_page("imports.view_importjob")
def job_report(request, pk: int):
    job = get_scoped_or_404(ImportJob, request.user, "view", pk=pk)
    if not job.report_file:
        raise Http404
    log_access(request, "export", job)
    path = Path(settings.MEDIA_ROOT) / job.report_file
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{job.pk}-report.xlsx")  # noqa: SIM115


@staff_page("imports.add_importjob")
def template_download(request, fmt: str):
    if fmt == "csv":
        response = HttpResponse(template_file.csv_bytes(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="archive-import-template.csv"'
        return response
    response = HttpResponse(template_file.xlsx_bytes(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="archive-import-template.xlsx"'
    return response
