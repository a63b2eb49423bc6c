"""Pages of bank batches: list, new batch, detail, the bank payment file, reconciliation, the payment roster.

Who may do what (bangfu/accounts/roles.py): every fund role sees the batches of its subtree; a fund
manager (`funds.batch_disbursement`) makes batches, reconciles them and prints the roster; only
`funds.export_paymentbatch` gets the bank file with full account numbers. A batch outside the user's
subtree, or an action the user's roles lack, answers 404 — as the registry's export and print do —
and the page hides the button.

The bank file flow: POST export → the service writes the encrypted ZIP and records the export; the
response page shows the one-time password (never stored) and a download link. The ZIP waits under
MEDIA_ROOT (outside the web root) behind a random token kept in the user's session, for one download
within `BANGFU_BANK_FILE_TTL_MINUTES` (default 10). Reloading the page posts again: a new file, a new
password, a new audit entry.
"""

from __future__ import annotations

import datetime as dt
import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.masking import mask_name
from bangfu.core.scoping import get_scoped_or_404
from bangfu.funds import bankfiles
from bangfu.funds.models import AidCategory, DisbursementState, PaymentBatch
from bangfu.funds.money import capital_amount
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import (
    create_batch,
    export_batch,
    notice_over,
    reconcile_batch,
    remove_from_batch,
    waiting_for_batch,
    with_totals,
)
from bangfu.orgs.models import Org

BATCH_PERMISSION = "funds.batch_disbursement"
SESSION_KEY = "funds_bank_files"
LIST_PAGE = 50
DETAIL_PAGE = 200
NEW_BATCH_ROWS = 2000
State = DisbursementState


def _staff(request) -> None:
    if getattr(request.user, "kind", "") != "staff":
        raise Http404


def _batch_for(request, pk, permission: str | None = None, action: str = "view") -> PaymentBatch:
    """The batch if it is in the user's subtree and the user holds `permission`; otherwise 404."""
    _staff(request)
    batch = get_scoped_or_404(PaymentBatch.objects.select_related("org", "created_by", "exported_by"),
                              request.user, action, pk=pk)
    if permission and not request.user.has_role_permission(permission):
        raise Http404
    return batch


def _crumbs(*items) -> list:
    return [(_("Bank batches"), reverse("funds:batches")), *items]


def _refusal_messages(request, refused: FundsRefused) -> None:
    for breach in refused.breaches:
        messages.error(request, breach.message)


# --- list and new batch ----------------------------------------------------------------------------------


@login_required
def batch_list(request):
    _staff(request)
    user = request.user
    if not user.has_role_permission("funds.view_paymentbatch"):
        raise Http404
    state = request.GET.get("state", "")
    batches = PaymentBatch.objects.restrict(user, "view")
    if state in PaymentBatch.State.values:
        batches = batches.filter(state=state)
    batches = with_totals(batches).select_related("org").order_by("-id")
    page = Paginator(batches, LIST_PAGE).get_page(request.GET.get("page"))
    can_batch = user.has_role_permission(BATCH_PERMISSION)
    ready = waiting_for_batch(user).filter(notice_over()).count() if can_batch else 0
    return render(request, "funds/batches/list.html", {
        "page": page, "state": state, "states": PaymentBatch.State.choices, "can_batch": can_batch,
        "ready_count": ready, "crumbs": [(_("Bank batches"), "")],
    })


class NewBatchForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 18]


@login_required
def batch_new(request):
    """Choose the paying union, tick its payable payments, make an open batch (`create_batch`)."""
    _staff(request)
    user = request.user
    if not user.has_role_permission(BATCH_PERMISSION):
        raise Http404
    waiting = waiting_for_batch(user)
    over = notice_over()
    unions = list(
        waiting.values("org", "org__name", "org__path")
        .annotate(ready=Count("pk", filter=over), ready_fen=Sum("amount_fen", filter=over),
                  in_notice=Count("pk", filter=~over))
        .order_by("org__path")
    )
    org_id = request.POST.get("org") or request.GET.get("org") or (str(unions[0]["org"]) if len(unions) == 1 else "")
    org = get_scoped_or_404(Org, user, "view", pk=org_id) if org_id else None
    form = NewBatchForm(request.POST or None)
    errors: list[str] = []
    chosen: set[int] | None = None
    if request.method == "POST" and org is not None and form.is_valid():
        chosen = set(_ids(request.POST.getlist("payments")))
        try:
            batch = create_batch(org=org, payments=sorted(chosen), actor=user, note=form.cleaned_data["note"])
        except FundsRefused as refused:
            errors = [b.message for b in refused.breaches]
        else:
            messages.success(request, _("Batch %(number)s was made with %(count)s payments. Check it, then export "
                                        "the bank file.") % {"number": batch.number, "count": len(chosen)})
            return redirect("funds:batch_detail", pk=batch.pk)
    rows, in_notice = [], []
    if org is not None:
        columns = ("pk", "household_id", "household__archive_number", "payee_name", "category", "item", "period",
                   "amount_fen", "approved_at", "notice_until")
        for row in waiting.filter(org=org).order_by("pk").values(*columns)[:NEW_BATCH_ROWS]:
            row["payee"] = mask_name(row.pop("payee_name"))
            row["category_label"] = AidCategory(row["category"]).label if row["category"] in AidCategory.values else ""
            ready = row["notice_until"] is None or row["notice_until"] < timezone.localdate()
            row["checked"] = chosen is None or row["pk"] in chosen
            (rows if ready else in_notice).append(row)
    return render(request, "funds/batches/new.html", {
        "unions": unions, "org": org, "rows": rows, "in_notice": in_notice, "form": form, "errors": errors,
        "limit": NEW_BATCH_ROWS, "crumbs": _crumbs((_("New batch"), "")),
    })


# --- detail and removing a payment -----------------------------------------------------------------------


@login_required
def batch_detail(request, pk):
    batch = _batch_for(request, pk)
    user = request.user
    payments = batch.disbursements.order_by("pk")
    by_state = {row["state"]: row for row in payments.values("state").annotate(n=Count("pk"), fen=Sum("amount_fen"))
                .order_by()}
    columns = ("pk", "household_id", "household__archive_number", "payee_name", "payee_account_last4", "category",
               "item", "period", "amount_fen", "state", "failure_reason", "bank_reference", "paid_on")
    page = Paginator(payments.values(*columns), DETAIL_PAGE).get_page(request.GET.get("page"))
    states, categories = dict(State.choices), dict(AidCategory.choices)
    for row in page.object_list:
        row["payee"] = mask_name(row.pop("payee_name"))
        row["state_label"] = states.get(row["state"], row["state"])
        row["category_label"] = categories.get(row["category"], row["category"])
    live = [row for state, row in by_state.items() if state not in {State.CANCELLED, State.REJECTED}]
    totals = {
        "count": sum(r["n"] for r in live), "fen": sum(r["fen"] for r in live),
        "states": [(states.get(s, s), r["n"], r["fen"], s) for s, r in sorted(by_state.items())],
        "cancelled": by_state.get(State.CANCELLED, {}).get("n", 0),
        "waiting": by_state.get(State.IN_BATCH, {}).get("n", 0),
    }
    can_batch = user.has_role_permission(BATCH_PERMISSION)
    audit.log_access(request, "view", obj=batch, page=page.number)
    return render(request, "funds/batches/detail.html", {
        "batch": batch, "page": page, "totals": totals,
        "imports": batch.result_imports.select_related("uploaded_by"),
        "can_batch": can_batch, "can_export": user.has_role_permission("funds.export_paymentbatch"),
        "crumbs": _crumbs((batch.number, "")),
    })


@login_required
@require_POST
def batch_remove(request, pk):
    batch = _batch_for(request, pk, BATCH_PERMISSION, action="change")
    payment_id = request.POST.get("payment", "")
    try:
        remove_from_batch(batch, int(payment_id) if payment_id.isdigit() else 0, actor=request.user)
    except FundsRefused as refused:
        _refusal_messages(request, refused)
    else:
        messages.success(request, _("Payment #%(number)s was taken out of the batch; it stays approved.")
                         % {"number": payment_id})
    return redirect("funds:batch_detail", pk=batch.pk)


# --- the bank payment file -------------------------------------------------------------------------------


def _pending(request) -> dict:
    """This session's files waiting for their one download (expired ones dropped)."""
    now = time.time()
    return {token: entry for token, entry in request.session.get(SESSION_KEY, {}).items() if entry["expires"] > now}


@never_cache
@login_required
def batch_export(request, pk):
    """POST: export (see the module docstring). GET ?file=<token>: the one download of that file."""
    batch = _batch_for(request, pk, action="export")
    if request.method == "GET":
        return _download(request, batch)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        export = export_batch(batch, actor=request.user)
    except FundsRefused as refused:
        _refusal_messages(request, refused)
        return redirect("funds:batch_detail", pk=batch.pk)
    file = export.file
    token = bankfiles.stash(file.content)
    pending = _pending(request)
    expires = time.time() + bankfiles.download_ttl_seconds()
    pending[token] = {"batch": batch.pk, "name": file.zip_name, "sha256": file.sha256, "expires": expires}
    request.session[SESSION_KEY] = pending
    return render(request, "funds/batches/export_done.html", {
        "batch": export.batch, "file": file, "first": export.first,
        "download_url": reverse("funds:batch_export", args=[batch.pk]) + f"?file={token}",
        "expires_at": timezone.localtime() + dt.timedelta(seconds=bankfiles.download_ttl_seconds()),
        "crumbs": _crumbs((batch.number, reverse("funds:batch_detail", args=[batch.pk])), (_("Bank file"), "")),
    })  # never_cache: the password must not stay in any cache


def _download(request, batch):
    token = request.GET.get("file", "")
    if not token:
        return redirect("funds:batch_detail", pk=batch.pk)
    pending = _pending(request)
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    handle = bankfiles.take(token) if entry is not None and entry["batch"] == batch.pk else None
    if handle is None:
        messages.error(request, _("This download link was used already or has expired. Export the file again: "
                                  "it gets a new password."))
        return redirect("funds:batch_detail", pk=batch.pk)
    audit.log_access(request, "export", obj=batch, what="bank_payment_file_download", sha256=entry["sha256"])
    response = FileResponse(handle, as_attachment=True, filename=entry["name"], content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- reconciliation --------------------------------------------------------------------------------------


class ResultFileForm(forms.Form):
    # Empty files reach the service, which refuses them with the other file problems (and logs the refusal).
    file = forms.FileField(label=gettext_lazy("Bank result file (CSV or XLSX)"), allow_empty_file=True)


@login_required
def batch_reconcile(request, pk):
    batch = _batch_for(request, pk, BATCH_PERMISSION, action="change")
    form = ResultFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        # One byte over the limit is enough for the service to refuse the size; never read a huge upload.
        data = uploaded.read(bankfiles.MAX_RESULT_BYTES + 1)
        try:
            imported = reconcile_batch(batch, data=data, name=uploaded.name, actor=request.user)
        except FundsRefused as refused:
            problems = [b.message for b in refused.breaches]
        else:
            batch.refresh_from_db()
            message = _("Result file read: %(paid)s paid, %(failed)s failed (the failed amounts are back in the "
                        "balance).") % {"paid": imported.paid_count, "failed": imported.failed_count}
            if batch.state == PaymentBatch.State.RECONCILED:
                message += " " + _("Every payment has its result: the batch is reconciled.")
            messages.success(request, message)
            return redirect("funds:batch_detail", pk=batch.pk)
    waiting = batch.disbursements.filter(state=State.IN_BATCH).aggregate(n=Count("pk"), fen=Sum("amount_fen"))
    return render(request, "funds/batches/reconcile.html", {
        "batch": batch, "form": form, "problems": problems, "waiting": waiting,
        "max_mb": bankfiles.MAX_RESULT_BYTES // 1024 // 1024,
        "crumbs": _crumbs((batch.number, reverse("funds:batch_detail", args=[batch.pk])),
                          (_("Bank result file"), "")),
    })


# --- the payment roster ----------------------------------------------------------------------------------


@login_required
def batch_roster(request, pk):
    """The printed 发放花名册: full names (recipients sign it), masked cards, amounts in figures and 大写."""
    batch = _batch_for(request, pk, BATCH_PERMISSION)
    listed = batch.disbursements.exclude(state__in=[State.CANCELLED, State.REJECTED, State.FAILED])
    categories = dict(AidCategory.choices)
    rows = list(listed.order_by("pk").values("pk", "payee_name", "payee_account_last4", "household__archive_number",
                                             "category", "amount_fen", "state"))
    for row in rows:
        row["category_label"] = categories.get(row["category"], row["category"])
        row["capital"] = capital_amount(row["amount_fen"])
    total_fen = sum(row["amount_fen"] for row in rows)
    sources = list(listed.order_by("source__sort_order").values_list("source__name", flat=True).distinct())
    used = sorted({row["category"] for row in rows}, key=lambda c: AidCategory.values.index(c)
                  if c in AidCategory.values else 99)
    failed = batch.disbursements.filter(state=State.FAILED).count()
    audit.log_access(request, "print", obj=batch, form="roster", rows=len(rows))
    return render(request, "funds/batches/roster.html", {
        "batch": batch, "rows": rows, "total_fen": total_fen, "total_capital": capital_amount(total_fen),
        "sources": sources, "categories": [categories.get(c, c) for c in used], "failed": failed,
        "printed_at": timezone.localtime(), "title": _("Payment roster"),
    })

