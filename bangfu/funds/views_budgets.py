"""The funds overview, the budgets and allocations page, and the forms that record them.

Figures come from the cached sums the ledger keeps (`Balance`, written by `ledger.post` only) and from
grouped queries over budgets and allocations — a handful of set-based queries per page, whatever the size
of the subtree. Writing goes through `bangfu.funds.services.budgets` (`record_budget`, `allocate`): the
forms parse, the write functions decide and their refusals are shown field by field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.funds.forms_budgets import AllocationForm, BudgetFilterForm, BudgetForm, show_refusal
from bangfu.funds.models import (
    AidCategory,
    Allocation,
    Balance,
    Bucket,
    Budget,
    Disbursement,
    DisbursementState,
    FundSource,
    LedgerTransaction,
)
from bangfu.funds.money import format_yuan
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import notice_over, waiting_for_batch
from bangfu.funds.services.budgets import allocate, record_budget
from bangfu.funds.views_approvals import waiting_for_decision
from bangfu.orgs.models import Org

ORG_OPTIONS_LIMIT = 300  # unions offered in a select; deeper ones are reached through the children table
PAGE_SIZE = 25


def require(user, *permissions: str) -> None:
    """Funds pages are for union staff holding one of `permissions` (403 otherwise, like the registry's forms)."""
    if user.kind != "staff" or not user.org_id or not any(user.has_role_permission(p) for p in permissions):
        raise PermissionDenied


def scope_orgs(user):
    """Active unions of the user's subtree, in tree order."""
    return Org.objects.restrict(user, "view").filter(is_active=True).order_by("path")


def org_options(orgs, chosen=None) -> list:
    """The unions a select offers (at most ORG_OPTIONS_LIMIT, plus the chosen one), each with `indented`:
    its name indented by its depth below the first (the user's own union)."""
    options = list(orgs.only("id", "name", "depth", "path")[:ORG_OPTIONS_LIMIT])
    if chosen is not None and all(o.pk != chosen.pk for o in options):
        options.append(chosen)
    top = min((o.depth for o in options), default=1)
    for option in options:
        option.indented = "\u3000" * (option.depth - top) + option.name
    return options


def _reversed():
    """Annotation: the record's ledger transaction was reversed (a correction undid it)."""
    return Exists(LedgerTransaction.objects.filter(reverses_id=OuterRef("transaction_id")))


def _bucket_sums(prefix: str = "", extra: Q | None = None) -> dict:
    extra = extra or Q()
    return {f"{prefix}{bucket}": Sum("amount_fen", filter=extra & Q(bucket=bucket))
            for bucket in (Bucket.AVAILABLE, Bucket.RESERVED, Bucket.PAID)}


# --- what the pages compute -------------------------------------------------------------------------------


def source_overview(user, org, year: int) -> tuple[list[dict], dict]:
    """Per source: available / reserved / paid of `org` itself and of its whole subtree (one grouped query)."""
    rows = (Balance.objects.restrict(user).filter(org__path__startswith=org.path, year=year)
            .values("source_id").annotate(**_bucket_sums("own_", Q(org=org)), **_bucket_sums("sub_")).order_by())
    sources = {s.pk: s for s in FundSource.objects.all()}
    result = []
    for row in rows:
        row = {k: v or 0 for k, v in row.items()}
        if any(v for k, v in row.items() if k != "source_id"):
            result.append({**row, "source": sources[row["source_id"]]})
    result.sort(key=lambda r: (r["source"].sort_order, r["source"].code))
    totals = {key: sum(r[key] for r in result) for key in (result[0] if result else {}) if key != "source"}
    return result, totals


def work_counts(user) -> dict:
    """The home page's to-do counts, each only for users who can act on it."""
    # The same querysets as the approvals inbox and the batch page, so the counts match what they list.
    counts = {}
    if user.has_role_permission("funds.approve_disbursement"):
        counts["awaiting"] = waiting_for_decision(user).count()
    if user.has_role_permission("funds.batch_disbursement"):
        counts["to_batch"] = waiting_for_batch(user).aggregate(
            n=Count("id"), payable=Count("id", filter=notice_over()), total=Sum("amount_fen"))
    if user.has_role_permission("funds.view_disbursement"):
        counts["failed"] = (Disbursement.objects.restrict(user, "view").filter(state=DisbursementState.FAILED)
                            .aggregate(n=Count("id"), total=Sum("amount_fen")))
    return counts


QUICK_LINKS = [
    ("funds.add_disbursement", "funds:payment_new", "plus-circle", gettext_lazy("New payment")),
    ("funds.view_disbursement", "funds:payments", "cash-coin", gettext_lazy("Payments")),
    ("funds.approve_disbursement", "funds:approvals_inbox", "check2-square", gettext_lazy("My approvals")),
    ("funds.view_disbursement", "funds:payment_notices", "megaphone", gettext_lazy("Public notice of payments")),
    ("funds.add_budget", "funds:budget_new", "box-arrow-in-down", gettext_lazy("Record a budget received")),
    ("funds.add_allocation", "funds:allocation_new", "diagram-3", gettext_lazy("Allocate to a lower union")),
    ("funds.view_budget", "funds:budgets", "wallet2", gettext_lazy("Budgets and allocations")),
    ("funds.view_ledgertransaction", "funds:ledger", "journal-text", gettext_lazy("Ledger")),
    ("funds.view_paymentbatch", "funds:batches", "bank", gettext_lazy("Bank batches")),
    ("funds.view_campaign", "funds:campaigns", "gift", gettext_lazy("Campaigns")),
    ("funds.view_budget", "funds:reports", "bar-chart", gettext_lazy("Reports")),
    ("funds.view_fundpolicy", "funds:rules", "sliders", gettext_lazy("Rules of paying")),
]


def quick_links(user) -> list[dict]:
    links = []
    for permission, name, icon, title in QUICK_LINKS:
        if not user.has_role_permission(permission):
            continue
        try:
            links.append({"url": reverse(name), "icon": icon, "title": title, "name": name})
        except NoReverseMatch:  # a page of another part of the funds app not built yet
            continue
    return links


def balance_rows(org, year: int, source=None, sources=None) -> tuple[list[dict], dict]:
    """Per source × category of `org` and `year`: received, allocations in and out, available, reserved, paid.

    Received is what left the outside world into this union (minus the `source` bucket: the ledger's own
    figure, so a reversed budget no longer counts); allocations count unless reversed. Two grouped queries.
    """
    filters = {"year": year} | ({"source": source} if source else {})
    balances = (Balance.objects.filter(org=org, **filters).values("source_id", "category")
                .annotate(received=Sum("amount_fen", filter=Q(bucket=Bucket.SOURCE)), **_bucket_sums()).order_by())
    moves = (Allocation.objects.filter(Q(from_org=org) | Q(to_org=org), **filters).filter(~_reversed())
             .values("source_id", "category")
             .annotate(allocated_out=Sum("amount_fen", filter=Q(from_org=org)),
                       allocated_in=Sum("amount_fen", filter=Q(to_org=org))).order_by())
    table: dict[tuple, dict] = {}
    for row in list(balances) + list(moves):
        key = (row.pop("source_id"), row.pop("category"))
        table.setdefault(key, {}).update({k: v or 0 for k, v in row.items()})
    sources = {s.pk: s for s in (sources if sources is not None else FundSource.objects.all())}
    categories = {value: (i, label) for i, (value, label) in enumerate(AidCategory.choices)}
    columns = ("received", "allocated_in", "allocated_out", "available", "reserved", "paid")
    rows = []
    for (source_id, category), values in table.items():
        row = {c: values.get(c, 0) for c in columns}
        row["received"] = -row["received"]
        if any(row.values()):
            rows.append({**row, "source": sources[source_id], "category": categories[category][1],
                         "order": (sources[source_id].sort_order, sources[source_id].code, categories[category][0])})
    rows.sort(key=lambda r: r["order"])
    totals = {c: sum(r[c] for r in rows) for c in columns}
    return rows, totals


def children_rows(org, year: int, source=None) -> list[dict]:
    """Each child union of `org` with its own available money and its whole branch's (one grouped query:
    balances of the subtree grouped by the path prefix of the child they sit under)."""
    children = list(Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
                    .only("id", "name", "path", "depth", "is_active"))
    if not children:
        return []
    filters = {"year": year} | ({"source": source} if source else {})
    sums = (Balance.objects.filter(org__path__startswith=org.path, org__depth__gt=org.depth, **filters)
            .annotate(branch=Substr("org__path", 1, len(org.path) + org.steplen)).values("branch")
            .annotate(own_available=Sum("amount_fen", filter=Q(org__depth=org.depth + 1, bucket=Bucket.AVAILABLE)),
                      **_bucket_sums()).order_by())
    by_branch = {row.pop("branch"): {k: v or 0 for k, v in row.items()} for row in sums}
    empty = {"own_available": 0, "available": 0, "reserved": 0, "paid": 0}
    return [{"org": child, **by_branch.get(child.path, empty)} for child in children]


# --- pages ----------------------------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    require(user, "funds.view_budget", "funds.view_disbursement")
    year = timezone.localdate().year
    sources, totals = source_overview(user, user.org, year)
    return render(request, "funds/home.html", {
        "org": user.org, "year": year, "sources": sources, "totals": totals, "counts": work_counts(user),
        "links": quick_links(user), "crumbs": [(_("Assistance funds"), "")],
    })


@login_required
def budgets(request):
    user = request.user
    require(user, "funds.view_budget")
    orgs = scope_orgs(user)
    filters = BudgetFilterForm(request.GET, orgs=orgs)
    chosen = filters.values()
    org = chosen.get("org") or user.org
    year = chosen.get("year") or timezone.localdate().year
    source = chosen.get("source")
    sources = list(FundSource.objects.all())
    rows, totals = balance_rows(org, year, source, sources)
    scoped = {"year": year} | ({"source": source} if source else {})
    budget_list = (Budget.objects.restrict(user).filter(org__path__startswith=org.path, **scoped)
                   .select_related("org", "source", "created_by").annotate(is_reversed=_reversed())
                   .order_by("-received_on", "-id"))
    allocation_list = (Allocation.objects.restrict(user)
                       .filter(Q(from_org__path__startswith=org.path) | Q(to_org=org), **scoped)
                       .select_related("from_org", "to_org", "source").annotate(is_reversed=_reversed())
                       .order_by("-created_at", "-id"))
    years = set(Balance.objects.restrict(user).values_list("year", flat=True).distinct().order_by())
    query = {"org": org.pk, "year": year} | ({"source": source.pk} if source else {})
    return render(request, "funds/budgets/list.html", {
        "org": org, "year": year, "source": source, "rows": rows, "totals": totals,
        "children": children_rows(org, year, source),
        "budgets_page": Paginator(budget_list, PAGE_SIZE).get_page(request.GET.get("bp")),
        "allocations_page": Paginator(allocation_list, PAGE_SIZE).get_page(request.GET.get("ap")),
        "org_options": org_options(orgs, org), "years": sorted(years | {timezone.localdate().year}, reverse=True),
        "sources": sources, "query": urlencode(query),
        "can_add_budget": user.has_role_permission("funds.add_budget"),
        "can_allocate": user.has_role_permission("funds.add_allocation") and org.numchild > 0,
        "crumbs": [(_("Assistance funds"), reverse("funds:home")), (_("Budgets and allocations"), "")],
    })


def _budgets_url(org, year) -> str:
    return f"{reverse('funds:budgets')}?{urlencode({'org': org.pk, 'year': year})}"


@login_required
def budget_new(request):
    user = request.user
    require(user, "funds.add_budget")
    orgs = scope_orgs(user)
    form = BudgetForm(request.POST or None, orgs=orgs, user_org=user.org, options=org_options(orgs, user.org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            budget = record_budget(org=data["org"], source=data["source"], year=data["year"],
                                   category=data["category"], amount_fen=data["amount"], actor=user,
                                   document_ref=data["document_ref"].strip(), received_on=data["received_on"],
                                   note=data["note"].strip())
        except FundsRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("The budget of %(amount)s yuan was recorded for %(union)s.")
                             % {"amount": format_yuan(budget.amount_fen), "union": budget.org.name})
            return redirect(_budgets_url(budget.org, budget.year))
    return render(request, "funds/budgets/budget_form.html", {
        "form": form, "source_categories": _source_categories(),
        "crumbs": [(_("Assistance funds"), reverse("funds:home")),
                   (_("Budgets and allocations"), reverse("funds:budgets")), (_("Record a budget received"), "")],
    })


def _source_categories() -> dict:
    """{source pk: categories it may pay}, for the form's script that greys out the others."""
    return {str(s.pk): list(s.allowed_categories or []) for s in FundSource.objects.filter(is_active=True)}


def _giving_org(request, givers):
    """The union the money leaves (`from` in the query or the form), among `givers`; default the user's own."""
    raw = request.POST.get("from") if request.method == "POST" else request.GET.get("from")
    if raw:
        try:
            org = givers.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            org = None
        if org is None:
            raise Http404  # a union outside the user's scope, or one with no lower unions
        return org
    return givers.filter(pk=request.user.org_id).first() or givers.first()


@login_required
def allocation_new(request):
    user = request.user
    require(user, "funds.add_allocation")
    orgs = scope_orgs(user)
    givers = orgs.filter(numchild__gt=0)
    from_org = _giving_org(request, givers)
    crumbs = [(_("Assistance funds"), reverse("funds:home")),
              (_("Budgets and allocations"), reverse("funds:budgets")), (_("Allocate to a lower union"), "")]
    if from_org is None:
        return render(request, "funds/budgets/allocation_form.html", {"form": None, "crumbs": crumbs})
    children = list(orgs.filter(path__startswith=from_org.path, depth=from_org.depth + 1))
    form = AllocationForm(request.POST or None, scope_orgs=orgs, from_org=from_org, children=children,
                          initial={"to_org": request.GET.get("to")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            allocation = allocate(from_org=from_org, to_org=data["to_org"], source=data["source"], year=data["year"],
                                  category=data["category"], amount_fen=data["amount"], actor=user,
                                  document_ref=data["document_ref"].strip(), note=data["note"].strip())
        except FundsRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("%(amount)s yuan were allocated from %(from)s to %(to)s.") % {
                "amount": format_yuan(allocation.amount_fen), "from": from_org.name, "to": allocation.to_org.name})
            return redirect(_budgets_url(from_org, allocation.year))
    held = (Balance.objects.filter(org=from_org, bucket=Bucket.AVAILABLE, amount_fen__gt=0)
            .select_related("source").order_by("-year", "source__sort_order", "category"))
    return render(request, "funds/budgets/allocation_form.html", {
        "form": form, "from_org": from_org, "givers": org_options(givers, from_org), "held": held,
        "source_categories": _source_categories(), "crumbs": crumbs,
    })

