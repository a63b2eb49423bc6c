"""The ledger (台账) pages: transactions with their entries, one transaction, and its correction.

Who sees a transaction: the union whose action it was and its subtree, and also any union of the user's
subtree that one of its entries touches — so a county sees the allocation its city sent it, like the
allocations list does (`LedgerTransaction.objects.restrict`, the same for the API). Another union's
transaction answers 404. Correcting one (`reverse_transaction`) needs `funds.reverse_ledgertransaction`
on the transaction itself, i.e. in the subtree of the union that made it.

The list pages by keyset on the id (newest first, `before`/`after` cursors, no OFFSET) and counts at most
`COUNT_BOUND` rows; the entries of a page come in one prefetch query.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.funds.forms_budgets import LedgerFilterForm, ReverseForm, show_refusal
from bangfu.funds.models import FundSource, LedgerEntry, LedgerTransaction, TransactionKind
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.budgets import reverse_transaction
from bangfu.funds.views_budgets import org_options, require, scope_orgs

PAGE_SIZE = 25
COUNT_BOUND = 1000


def scoped_transactions(user):
    """Transactions this user may read (see the module docstring)."""
    return LedgerTransaction.objects.restrict(user, "view")


def _entries():
    return Prefetch("entries", queryset=LedgerEntry.objects.select_related("org", "source", "household")
                    .only("id", "transaction_id", "org__id", "org__name", "org__short_name", "source__id",
                          "source__name", "year",
                          "category", "bucket", "amount_fen", "posted_on", "household__id",
                          "household__archive_number").order_by("id"))


def filtered(queryset, values: dict):
    """Apply the ledger filters. Entry-level ones (union, source, category, dates) are one EXISTS: the
    entries of a transaction share source, category and posting date."""
    if "year" in values:
        queryset = queryset.filter(year=values["year"])
    if "kind" in values:
        queryset = queryset.filter(kind=values["kind"])
    entry = {}
    if "org" in values:
        entry["org__path__startswith"] = values["org"].path
    if "source" in values:
        entry["source"] = values["source"]
    if "category" in values:
        entry["category"] = values["category"]
    if "posted_from" in values:
        entry["posted_on__gte"] = values["posted_from"]
    if "posted_to" in values:
        entry["posted_on__lte"] = values["posted_to"]
    if entry:
        queryset = queryset.filter(Exists(LedgerEntry.objects.filter(transaction=OuterRef("pk"), **entry)))
    return queryset


def _cursor(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


@login_required
def ledger(request):
    user = request.user
    require(user, "funds.view_ledgertransaction")
    orgs = scope_orgs(user)
    form = LedgerFilterForm(request.GET, orgs=orgs)
    values = form.values()
    queryset = filtered(scoped_transactions(user), values)
    before, after = _cursor(request.GET.get("before")), _cursor(request.GET.get("after"))
    page_qs = queryset.select_related("org", "created_by", "disbursement").prefetch_related(_entries())
    if after and not before:
        rows = list(page_qs.filter(pk__gt=after).order_by("pk")[: PAGE_SIZE + 1])
        newer_exists = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        older_exists = bool(rows)
    else:
        if before:
            page_qs = page_qs.filter(pk__lt=before)
        rows = list(page_qs.order_by("-pk")[: PAGE_SIZE + 1])
        older_exists = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        newer_exists = bool(before)
    for row in rows:
        row.moved = _moved(row)
    total = queryset.order_by().values("pk")[: COUNT_BOUND + 1].count()
    keep = {k: v for k, v in request.GET.items() if k not in ("before", "after") and v}
    base = reverse("funds:ledger")
    return render(request, "funds/ledger/list.html", {
        "form": form, "rows": rows, "total": min(total, COUNT_BOUND), "total_capped": total > COUNT_BOUND,
        "org_options": org_options(orgs, values.get("org")), "kinds": TransactionKind.choices,
        "sources": list(FundSource.objects.all()),
        "older_url": f"{base}?{urlencode(keep | {'before': rows[-1].pk})}" if rows and older_exists else None,
        "newer_url": f"{base}?{urlencode(keep | {'after': rows[0].pk})}" if rows and newer_exists else None,
        "first_url": f"{base}?{urlencode(keep)}" if before or after else None,
        "filtered": bool(values),
        "crumbs": [(_("Assistance funds"), reverse("funds:home")), (_("Ledger"), "")],
    })


def _transaction(user, pk):
    txn = (scoped_transactions(user).filter(pk=pk)
           .select_related("org", "created_by", "reverses", "reversed_by", "disbursement", "budget__org",
                           "allocation__from_org", "allocation__to_org")
           .prefetch_related(_entries()).first())
    if txn is None:
        raise Http404
    return txn


def _linked(txn) -> dict:
    """What the transaction is the record of, and its correction (reverse one-to-ones, selected with it)."""
    linked = {}
    for name in ("budget", "allocation", "reversed_by"):
        try:
            linked[name] = getattr(txn, name)
        except ObjectDoesNotExist:
            linked[name] = None
    return linked


def _moved(txn) -> int:
    """The amount a transaction moves: the sum of its positive entries (its entries sum to zero)."""
    return sum(e.amount_fen for e in txn.entries.all() if e.amount_fen > 0)


@login_required
def transaction_detail(request, pk):
    user = request.user
    txn = _transaction(user, pk)  # 404 also without the permission: objects never answer 403
    linked = _linked(txn)
    # The page shows a payment's household (archive number): its read is recorded like the payment's own.
    audit.log_access(request, "view", obj=txn, kind=txn.kind)
    can_reverse = (
        user.has_role_permission("funds.reverse_ledgertransaction")
        and LedgerTransaction.objects.restrict(user, "reverse").filter(pk=txn.pk).exists()
        and txn.kind != TransactionKind.REVERSAL and not txn.disbursement_id and linked["reversed_by"] is None
    )
    return render(request, "funds/ledger/detail.html", {
        "txn": txn, **linked, "can_reverse": can_reverse,
        "total_in": _moved(txn),
        "crumbs": [(_("Assistance funds"), reverse("funds:home")), (_("Ledger"), reverse("funds:ledger")),
                   (_("Transaction #%(number)s") % {"number": txn.pk}, "")],
    })


@login_required
def transaction_reverse(request, pk):
    user = request.user
    # In the subtree of the union that made it, with funds.reverse_ledgertransaction; else 404.
    txn = get_scoped_or_404(LedgerTransaction, user, "reverse", pk=pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = reverse_transaction(txn, actor=user, reason=form.cleaned_data["reason"])
        except FundsRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Transaction #%(number)s was reversed by correction #%(correction)s.")
                             % {"number": txn.pk, "correction": correction.pk})
            return redirect("funds:transaction_detail", pk=correction.pk)
    txn = _transaction(user, pk)
    return render(request, "funds/ledger/reverse.html", {
        "txn": txn, "form": form, **_linked(txn), "total_in": _moved(txn),
        "crumbs": [(_("Assistance funds"), reverse("funds:home")), (_("Ledger"), reverse("funds:ledger")),
                   (_("Transaction #%(number)s") % {"number": txn.pk},
                    reverse("funds:transaction_detail", args=[txn.pk])), (_("Correct by a reversing entry"), "")],
    })
