"""The audit pages: change log and access log, for audit administrators only.

Everyone else gets 404 (not 403), exactly as for a record of another union. Each read of the audit
log is itself written to the access log, with the filters used.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bangfu.audit.access import log_access
from bangfu.audit.forms import AccessFilterForm, ChangeFilterForm
from bangfu.audit.models import AccessLogEntry, ChangeLogEntry, Job
from bangfu.audit.pagination import keyset_page
from bangfu.core.scoping import get_scoped_or_404, permission_name


def _require(user, model):
    if not user.has_role_permission(permission_name(model, "view")):
        raise Http404


def _log_list(request, model, form, rows):
    log_access(request, AccessLogEntry.Action.AUDIT_READ, object_type=model._meta.label_lower,
               filters=form.summary(), valid=not form.errors, rows=len(rows))


def _list(request, model, form_class, template, title):
    _require(request.user, model)
    form = form_class(request.GET or None, user=request.user)
    queryset = model.objects.restrict(request.user, "view").select_related("org")
    if model is ChangeLogEntry:
        queryset = queryset.select_related("content_type")
    if form.is_bound:
        # Invalid filters show their errors and no rows, rather than silently listing everything.
        queryset = form.apply(queryset) if form.is_valid() else queryset.none()
    page = keyset_page(queryset, request.GET)
    _log_list(request, model, form, page.rows)
    return render(request, template, {"form": form, "page": page, "crumbs": [(_("Audit"), None), (title, None)]})


@login_required
def change_list(request):
    return _list(request, ChangeLogEntry, ChangeFilterForm, "audit/change_list.html", _("Change log"))


@login_required
def access_list(request):
    return _list(request, AccessLogEntry, AccessFilterForm, "audit/access_list.html", _("Access log"))


@login_required
def change_detail(request, pk: int):
    _require(request.user, ChangeLogEntry)
    entry = get_scoped_or_404(ChangeLogEntry.objects.select_related("org", "content_type"), request.user, pk=pk)
    ref = entry.job_ref
    job = Job.objects.filter(pk=int(ref)).first() if ref.isascii() and ref.isdigit() else None
    log_access(request, AccessLogEntry.Action.AUDIT_READ, obj=entry)
    crumbs = [(_("Audit"), None), (_("Change log"), reverse("audit:changes")), (f"#{entry.pk}", None)]
    return render(request, "audit/change_detail.html", {"entry": entry, "job": job, "crumbs": crumbs})


@login_required
def access_detail(request, pk: int):
    _require(request.user, AccessLogEntry)
    entry = get_scoped_or_404(AccessLogEntry.objects.select_related("org"), request.user, pk=pk)
    log_access(request, AccessLogEntry.Action.AUDIT_READ, obj=entry)
    crumbs = [(_("Audit"), None), (_("Access log"), reverse("audit:access")), (f"#{entry.pk}", None)]
    return render(request, "audit/access_detail.html", {"entry": entry, "crumbs": crumbs})
