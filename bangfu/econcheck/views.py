"""Pages of economic-check requests: the list, a new request (select authorised households), a request (its
persons, the request file, sending, cancelling), the result import, and one household's results with the
completion of its economic-check step.

Views stay thin: requests and households come through `restrict(...)` / `get_scoped_or_404` (another union's
request or household is a 404, as is a role without the permission); `bangfu.econcheck.services` decides and its
field errors are shown on the page with nothing saved.

The request file flow is the bank file's: POST → the service writes the encrypted ZIP and records the export; the
answer shows the one-time password (never stored) and a link; the ZIP waits outside the web root for one download.
"""

from __future__ import annotations

import datetime as dt
import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.econcheck import resultfile, services
from bangfu.econcheck.centre import get_backend
from bangfu.econcheck.forms import CancelForm, CompleteForm, ExportForm, NewRequestForm, ResultFileForm
from bangfu.econcheck.indicators import note_for, summarise
from bangfu.econcheck.models import CheckRequest, CheckRequestItem, RequestState
from bangfu.econcheck.panel import household_results
from bangfu.funds import bankfiles
from bangfu.registry import lifecycle
from bangfu.registry.models import Household, State

PAGE_SIZE = 25
CANDIDATES_SHOWN = 500
SESSION_KEY = "econcheck_files"


def _crumbs(*items):
    return [(_("Economic checks"), reverse("econcheck:list")), *items]


def _request(request, pk, action="view") -> CheckRequest:
    queryset = CheckRequest.objects.select_related("org", "created_by", "sent_by")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _field_errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages_ in error.message_dict.values() for m in messages_]
    return list(error.messages)


# --- the list -----------------------------------------------------------------------------------------------


@staff_page("econcheck.view_checkrequest")
def request_list(request):
    state = request.GET.get("state", "")
    requests = (CheckRequest.objects.restrict(request.user, "view").select_related("org", "created_by")
                .annotate(persons=Count("items", distinct=True), answered=Count("results", distinct=True))
                .order_by("-created_at", "-id"))
    if state in RequestState.values:
        requests = requests.filter(state=state)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "econcheck/list.html", {
        "page": page, "state": state, "states": RequestState.choices, "crumbs": _crumbs(),
        "may_add": request.user.has_role_permission("econcheck.add_checkrequest"),
    })


# --- a new request ---------------------------------------------------------------------------------------------


@staff_page("econcheck.add_checkrequest")
def request_new(request):
    user = request.user
    scope = request.GET.get("scope") or request.POST.get("scope") or "economic_check"
    if scope not in ("economic_check", "open"):
        scope = "economic_check"
    form = NewRequestForm(request.POST or None)
    errors: list[str] = []
    chosen: set[int] = set()
    if request.method == "POST":
        raw_ids = request.POST.getlist("households")
        chosen = {int(v) for v in raw_ids if v.isdigit()}
        if form.is_valid():
            try:
                created = services.create_request(user, household_ids=raw_ids, items=form.cleaned_data["items"],
                                                  note=form.cleaned_data["note"])
            except ValidationError as error:
                form.apply_errors(error)
                errors = list(getattr(error, "message_dict", {}).get("households", []))
            else:
                messages.success(request, _("Request %(number)s was made with %(count)s persons. Download the "
                                            "request file or send it to the check centre.")
                                 % {"number": created.number, "count": created.items.count()})
                return redirect("econcheck:detail", pk=created.pk)
    households = list(services.candidates(user, scope=scope)[:CANDIDATES_SHOWN + 1])
    return render(request, "econcheck/new.html", {
        "form": form, "scope": scope, "households": households[:CANDIDATES_SHOWN],
        "more": len(households) > CANDIDATES_SHOWN, "limit": CANDIDATES_SHOWN, "chosen": chosen,
        "household_errors": errors, "crumbs": _crumbs((_("New request"), "")),
    })


# --- one request ---------------------------------------------------------------------------------------------------


def _render_detail(request, check_request, *, cancel_form=None, status=200):
    user = request.user
    items = list(CheckRequestItem.objects.restrict(user, "view").filter(request=check_request)
                 .select_related("household", "result").order_by("seq"))
    audit.log_access(request, "view", obj=check_request, rows=len(items))
    may_change = CheckRequest.objects.restrict(user, "change").filter(pk=check_request.pk).exists()
    may_send = (user.has_role_permission("econcheck.add_checkrequest")
                and check_request.state != RequestState.CANCELLED)
    return render(request, "econcheck/detail.html", {
        "req": check_request, "items": items, "answered": sum(1 for i in items if hasattr(i, "result")),
        "households": len({i.household_id for i in items}),
        "may_send": may_send, "connected": get_backend().connected,
        "may_import": may_change and check_request.state in (RequestState.SENT, RequestState.PARTLY),
        "may_cancel": may_change and check_request.state in (RequestState.DRAFT, RequestState.SENT),
        "export_form": ExportForm(), "cancel_form": cancel_form or CancelForm(),
        "crumbs": _crumbs((check_request.number, "")),
    }, status=status)


@staff_page("econcheck.view_checkrequest")
def request_detail(request, pk):
    return _render_detail(request, _request(request, pk))


def _pending(request) -> dict:
    now = time.time()
    return {token: entry for token, entry in request.session.get(SESSION_KEY, {}).items() if entry["expires"] > now}


@never_cache
@staff_page("econcheck.add_checkrequest")
@require_POST
def request_file(request, pk):
    """POST format=csv|xlsx: produce the encrypted request file (the first time, the request becomes sent).
    POST file=<token>: its one download. Both change something (the request's state, the one-time download),
    so neither is a GET: a link preview or prefetch cannot send a request or use up its download."""
    check_request = _request(request, pk, "add")
    if "file" in request.POST:
        return _download(request, check_request)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose CSV or XLSX."))
        return redirect("econcheck:detail", pk=check_request.pk)
    try:
        file, first = services.export_request_file(check_request, actor=request.user, fmt=form.cleaned_data["format"])
    except ValidationError as error:
        for message in _field_errors(error):
            messages.error(request, message)
        return redirect("econcheck:detail", pk=check_request.pk)
    token = bankfiles.stash(file.content)
    pending = _pending(request)
    pending[token] = {"request": check_request.pk, "name": file.zip_name, "sha256": file.sha256,
                      "expires": time.time() + bankfiles.download_ttl_seconds()}
    request.session[SESSION_KEY] = pending
    check_request.refresh_from_db()
    return render(request, "econcheck/file_done.html", {
        "req": check_request, "file": file, "first": first,
        "download_url": reverse("econcheck:file", args=[check_request.pk]), "download_token": token,
        "expires_at": timezone.localtime() + dt.timedelta(seconds=bankfiles.download_ttl_seconds()),
        "crumbs": _crumbs((check_request.number, reverse("econcheck:detail", args=[check_request.pk])),
                          (_("Request file"), "")),
    })


def _download(request, check_request):
    token = request.POST.get("file", "")
    if not token:
        return redirect("econcheck:detail", pk=check_request.pk)
    pending = _pending(request)
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    handle = bankfiles.take(token) if entry is not None and entry["request"] == check_request.pk else None
    if handle is None:
        messages.error(request, _("This download link was used already or has expired. Produce the file again: it "
                                  "gets a new password."))
        return redirect("econcheck:detail", pk=check_request.pk)
    audit.log_access(request, "export", obj=check_request, what="econcheck_request_file_download",
                     sha256=entry["sha256"])
    response = FileResponse(handle, as_attachment=True, filename=entry["name"], content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_page("econcheck.add_checkrequest")
@require_POST
def request_send(request, pk):
    check_request = _request(request, pk, "add")
    try:
        payload, receipt = services.send_request(check_request, actor=request.user)
    except ValidationError as error:
        for message in _field_errors(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Request %(number)s was handed to the check centre's system (%(count)s persons).")
                         % {"number": check_request.number, "count": len(payload["persons"])})
    return redirect("econcheck:detail", pk=check_request.pk)


@staff_page("econcheck.change_checkrequest")
@require_POST
def request_cancel(request, pk):
    check_request = _request(request, pk, "change")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_request(check_request, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The request was cancelled; its households may be requested again."))
            return redirect("econcheck:detail", pk=check_request.pk)
    return _render_detail(request, _request(request, pk), cancel_form=form, status=400)


# --- results -----------------------------------------------------------------------------------------------------


@staff_page("econcheck.change_checkrequest")
def request_import(request, pk):
    check_request = _request(request, pk, "change")
    form = ResultFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                imported = services.import_results(
                    check_request, data=uploaded.read(resultfile.MAX_BYTES + 1), name=uploaded.name,
                    actor=request.user)
            except ValidationError as error:
                problems = _field_errors(error)
                status = 400
            else:
                messages.success(request, _("%(count)s results were imported and attached to the households' "
                                            "economic-check step.") % {"count": imported.rows})
                return redirect("econcheck:detail", pk=check_request.pk)
        else:
            status = 400
    return render(request, "econcheck/import.html", {
        "req": check_request, "form": form, "problems": problems, "columns": resultfile.TEMPLATE_HEADERS,
        "crumbs": _crumbs((check_request.number, reverse("econcheck:detail", args=[check_request.pk])),
                          (_("Import results"), "")),
    }, status=status)


@staff_page("econcheck.view_checkrequest")
def result_template(request):
    response = HttpResponse(resultfile.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="economic-check-results-template.csv"'
    return response


@staff_page("econcheck.view_checkresult")
def household_results_page(request, household_pk):
    """One household's results per person, the exclusion indicators, and completing the economic-check step."""
    user = request.user
    household = get_scoped_or_404(Household.objects.select_related("org", "division"), user, "view",
                                  pk=household_pk)
    results = household_results(user, household)
    summary = summarise(household, results) if results else None
    numbers = sorted({r.request.number for r in (summary.results if summary else [])})
    may_complete = False
    if household.state == State.ECONOMIC_CHECK:
        try:
            lifecycle.check("economic_check_complete", user, household)
            may_complete = True
        except ValidationError:
            may_complete = False
    form = None
    if may_complete:
        if request.method == "POST":
            form = CompleteForm(request.POST)
            if form.is_valid():
                from bangfu.registry.services.lifecycle import economic_check_complete

                try:
                    economic_check_complete(household, actor=user, note=form.cleaned_data["note"])
                except ValidationError as error:
                    form.apply_errors(error)
                else:
                    messages.success(request, _("The economic check was completed; the archive goes on to the "
                                                "public notice."))
                    return redirect("registry:detail", pk=household.pk)
        else:
            form = CompleteForm(initial={"note": note_for(summary, numbers) if summary else ""})
    elif request.method == "POST":
        raise Http404
    audit.log_access(request, "view", obj=household, what="econcheck_results", rows=len(results))
    return render(request, "econcheck/household.html", {
        "household": household, "summary": summary, "results": results, "form": form, "numbers": numbers,
        "crumbs": [(household.archive_number, reverse("registry:detail", args=[household.pk])),
                   (_("Economic-check results"), "")],
    })
