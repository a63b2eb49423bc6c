"""Cross-check pages: data sources and their templates, snapshot upload/list/detail, check runs, the households
without authorisation, the findings queue with confirm / dismiss, and the rules (system admins edit them).

Thin views: objects come through `restrict(...)` / `get_scoped_or_404` (another union's object is a 404) and
`bangfu.crosscheck.services` decides; refusals are shown at the fields, nothing is saved.
"""

from __future__ import annotations

import csv
import os
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.forms import errors_to_form
from bangfu.core.scoping import get_scoped_or_404
from bangfu.crosscheck.evidence import evidence_rows
from bangfu.crosscheck.forms import FindingFilterForm, ReasonForm, RuleForm, UploadForm
from bangfu.crosscheck.models import CheckRule, CheckRun, DataSource, Finding, FindingState, RunState, Snapshot
from bangfu.crosscheck.services import (
    finding_confirm,
    finding_dismiss,
    rule_edit,
    snapshot_load,
    start_run,
    unauthorised_households,
)
from bangfu.orgs.models import Org

PAGE_SIZE = 25


# --- sources ---------------------------------------------------------------------------------------------------

@staff_page("crosscheck.view_datasource")
def sources(request):
    rows = DataSource.objects.restrict(request.user, "view").order_by("code")
    return render(request, "crosscheck/sources.html", {"sources": rows})


@staff_page("crosscheck.view_datasource")
def template(request, code):
    source = get_scoped_or_404(DataSource, request.user, "view", code=code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{source.code}.csv"'
    response.write("\ufeff")
    csv.writer(response).writerow([c.get("label_zh") or c["key"] for c in source.columns])
    return response


# --- snapshots -------------------------------------------------------------------------------------------------

@staff_page("crosscheck.view_snapshot")
def snapshots(request):
    rows = (Snapshot.objects.restrict(request.user, "view").select_related("source", "org", "loaded_by")
            .defer("rejected_rows"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crosscheck/snapshots.html", {
        "page": page, "may_add": request.user.has_role_permission("crosscheck.add_snapshot")})


@staff_page("crosscheck.add_snapshot")
def snapshot_new(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        handle, path = tempfile.mkstemp(prefix="crosscheck-", suffix=".upload")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            snapshot = snapshot_load(request.user, request.user.org, form.cleaned_data["source"], path=path,
                                     file_name=os.path.basename(upload.name), as_of=form.cleaned_data["as_of"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The data set was loaded: %(matched)s rows matched archived persons and "
                                        "were kept, the rest discarded.") % {"matched": snapshot.rows_matched})
            return redirect("crosscheck:snapshot", pk=snapshot.pk)
        finally:
            os.unlink(path)  # the raw file is never kept (data minimisation)
    return render(request, "crosscheck/snapshot_new.html", {"form": form})


@staff_page("crosscheck.view_snapshot")
def snapshot_detail(request, pk):
    snapshot = get_scoped_or_404(Snapshot.objects.select_related("source", "org", "loaded_by"), request.user,
                                 "view", pk=pk)
    audit.log_access(request, "view", obj=snapshot)
    return render(request, "crosscheck/snapshot_detail.html", {
        "snapshot": snapshot, "may_run": request.user.has_role_permission("crosscheck.add_checkrun")})


# --- runs ------------------------------------------------------------------------------------------------------

@staff_page("crosscheck.view_checkrun")
def runs(request):
    user = request.user
    if request.method == "POST":
        if not user.has_role_permission("crosscheck.add_checkrun"):
            raise Http404
        try:
            with transaction.atomic():
                run = start_run(user, user.org)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("crosscheck:runs")
        messages.success(request, _("The cross-check was started; it runs in the background."))
        return redirect("crosscheck:run", pk=run.pk)
    rows = CheckRun.objects.restrict(user, "view").select_related("org", "started_by")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crosscheck/runs.html", {
        "page": page, "may_run": user.has_role_permission("crosscheck.add_checkrun")})


@staff_page("crosscheck.view_checkrun")
def run_detail(request, pk):
    run = get_scoped_or_404(CheckRun.objects.select_related("org", "started_by"), request.user, "view", pk=pk)
    codes = list(run.rules_done or [])
    titles = dict(CheckRule.objects.filter(code__in=codes, is_current=True).values_list("code", "title"))
    return render(request, "crosscheck/run_detail.html", {
        "run": run, "rules_done": [titles.get(code, code) for code in codes],
        "in_progress": run.state in (RunState.QUEUED, RunState.RUNNING)})


@staff_page("crosscheck.view_checkrun")
def unauthorised(request):
    from bangfu.registry.models import Household

    visible = Household.objects.restrict(request.user, "view")
    rows = unauthorised_households(request.user.scope_path).filter(pk__in=visible.values("pk")).select_related("org")
    page = Paginator(rows.order_by("org__path", "archive_number"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crosscheck/unauthorised.html", {"page": page})


# --- findings --------------------------------------------------------------------------------------------------

@staff_page("crosscheck.view_finding")
def findings(request):
    user = request.user
    rules = list(CheckRule.objects.filter(is_current=True).values_list("code", "title"))
    unions = list(Org.objects.restrict(user, "view").order_by("path").values_list("pk", "name")[:500])
    form = FindingFilterForm(request.GET or {"state": FindingState.OPEN}, rules=rules, unions=unions)
    rows = (Finding.objects.restrict(user, "view").select_related("household__org", "rule", "member")
            .order_by("-opened_at", "-id"))
    if form.is_valid():
        data = form.cleaned_data
        if data["rule"]:
            rows = rows.filter(rule_code=data["rule"])
        if data["severity"]:
            rows = rows.filter(severity=data["severity"])
        if data["state"]:
            rows = rows.filter(state=data["state"])
        if data["union"]:
            union = Org.objects.restrict(user, "view").filter(pk=data["union"]).first()
            rows = rows.filter(household__org__path__startswith=union.path) if union else rows.none()
    else:
        rows = rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_access(request, "view", object_type="crosscheck.finding", rows=len(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "crosscheck/findings.html", {"form": form, "page": page, "query": query.urlencode()})


def _finding(request, pk, action="view"):
    queryset = Finding.objects.select_related("household__org", "rule", "member", "snapshot__source", "resolved_by")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _render_finding(request, finding, form=None, status=200):
    audit.log_access(request, "view", obj=finding)
    may_resolve = (finding.state == FindingState.OPEN
                   and Finding.objects.restrict(request.user, "change").filter(pk=finding.pk).exists())
    return render(request, "crosscheck/finding_detail.html", {
        "finding": finding, "evidence": evidence_rows(finding, request.user), "form": form or ReasonForm(),
        "may_resolve": may_resolve}, status=status)


@staff_page("crosscheck.view_finding")
def finding_detail(request, pk):
    return _render_finding(request, _finding(request, pk))


def _resolve(request, pk, function, done_message):
    finding = _finding(request, pk, "change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            function(request.user, finding, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, done_message)
            return redirect("crosscheck:finding", pk=finding.pk)
    return _render_finding(request, _finding(request, pk), form)


@require_POST
@staff_page("crosscheck.change_finding")
def finding_confirm_view(request, pk):
    return _resolve(request, pk, finding_confirm, _("The finding was confirmed and its action taken."))


@require_POST
@staff_page("crosscheck.change_finding")
def finding_dismiss_view(request, pk):
    return _resolve(request, pk, finding_dismiss, _("The finding was dismissed; the reason is recorded."))


# --- rules -----------------------------------------------------------------------------------------------------

@staff_page("crosscheck.view_checkrule")
def rules(request):
    rows = CheckRule.objects.restrict(request.user, "view").filter(is_current=True).order_by("code")
    return render(request, "crosscheck/rules.html", {
        "rules": rows, "may_edit": request.user.has_role_permission("crosscheck.change_checkrule")})


@staff_page("crosscheck.change_checkrule")
def rule_edit_view(request, code):
    import json

    rule = get_scoped_or_404(CheckRule, request.user, "change", code=code, is_current=True)
    initial = {"enabled": rule.enabled, "severity": rule.severity, "automatic": rule.automatic,
               "params": json.dumps(rule.params, ensure_ascii=False)}
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new = rule_edit(request.user, rule, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Version %(version)s of the rule is now in force.") % {"version": new.version})
            return redirect("crosscheck:rules")
    versions = CheckRule.objects.filter(code=code).select_related("edited_by").order_by("-version")
    return render(request, "crosscheck/rule_edit.html", {"rule": rule, "form": form, "versions": versions})
