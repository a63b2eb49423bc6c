"""Payment pages: the list, a new payment, a payment's page and its actions (submit, decide a step, cancel).

Views stay thin: objects come through `restrict(...)` / `get_scoped_or_404` (another union's payment is a
404), the forms type-check input, and `bangfu.funds.services.payments` decides; each refused rule is shown
with its message at its field or at the top, and a refusal changes nothing. These are staff pages: workers
(who may read their own household's payments elsewhere) get the platform's 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.accounts.roles import Role
from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.funds import ledger
from bangfu.funds.forms_payments import CancelForm, DecisionForm, HouseholdLookupForm, PaymentFilterForm, PaymentForm
from bangfu.funds.models import AidCategory, Disbursement, DisbursementState, route_for
from bangfu.funds.money import format_yuan
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.payments import approve_payment, cancel_payment, create_payment, submit_payment
from bangfu.orgs.models import Org
from bangfu.registry.models import Household
from bangfu.registry.services.evidence import attachment_add

State = DisbursementState
PAGE_SIZE = 25
ORG_OPTIONS_DEPTH = 2  # filter selects list the user's org and two levels below (like the archive list)




def url_or_none(name: str, *args) -> str | None:
    """The URL of a funds page that another module may not have built yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def crumbs(*items) -> list:
    return [(_("Assistance funds"), url_or_none("funds:home")), *items]


def org_options(user):
    """Orgs for filter selects: the user's subtree, down to two levels below the user's org."""
    return (Org.objects.restrict(user, "view").filter(depth__lte=user.org.depth + ORG_OPTIONS_DEPTH)
            .order_by("path"))


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def next_step_text(payment: Disbursement, today) -> str:
    """What happens next to a payment, in words (from the row alone: no query)."""
    if payment.state == State.DRAFT:
        return _("To be submitted for approval")
    if payment.state == State.SUBMITTED:
        step = payment.next_step
        if step is None:
            return "—"
        return _("%(role)s decides (step %(step)s of %(steps)s)") % {
            "role": role_label(step["role"]), "step": payment.current_step + 1, "steps": len(payment.route)}
    if payment.state == State.APPROVED:
        if payment.notice_until and payment.notice_until >= today:
            return _("Public notice until %(date)s") % {"date": payment.notice_until.isoformat()}
        return _("Waiting for a bank batch")
    if payment.state == State.IN_BATCH:
        return _("Waiting for the bank's result")
    if payment.state == State.FAILED:
        return _("Re-examine: %(reason)s") % {"reason": payment.failure_reason or "—"}
    return "—"


# --- the list -------------------------------------------------------------------------------------------

LIST_FIELDS = ("id", "state", "category", "amount_fen", "period", "year", "payee_name", "route", "current_step",
               "notice_until", "failure_reason", "household__id", "household__archive_number",
               "org__id", "org__name", "org__short_name")


@staff_page("funds.view_disbursement")
def payment_list(request):
    user = request.user
    form = PaymentFilterForm(request.GET or None, orgs=org_options(user))
    payments = (Disbursement.objects.restrict(user, "view").select_related("household", "org")
                .only(*LIST_FIELDS).order_by("-id"))
    if form.is_bound and not form.is_valid():
        payments = payments.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["state"]:
            payments = payments.filter(state=data["state"])
        if data["category"]:
            payments = payments.filter(category=data["category"])
        if data["year"]:
            payments = payments.filter(year=data["year"])
        if data["org"]:
            payments = payments.filter(org__path__startswith=data["org"].path)
        if data["archive"].strip():
            payments = payments.filter(household__archive_number__startswith=data["archive"].strip())
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"payment": p, "next": next_step_text(p, today)} for p in page.object_list]
    audit.log_access(request, "view", object_type="funds.disbursement", rows=len(rows),
                     filters={k: str(v) for k, v in (form.cleaned_data.items() if form.is_bound and form.is_valid()
                                                     else []) if v not in (None, "")})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funds/payments/list.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "can_add": user.has_role_permission("funds.add_disbursement"),
        "crumbs": crumbs((_("Payments"), "")),
    })


# --- a new payment --------------------------------------------------------------------------------------


def paying_orgs(user, household):
    """Unions that may pay this household: its union and the unions above it, among the user's own org, its
    ancestors and its subtree (the household must lie in the paying union's subtree). Nearest first."""
    path = household.org.path
    lineage = [path[:i] for i in range(len(path), 0, -Org.steplen)]
    user_path = user.org.path
    user_lineage = [user_path[:i] for i in range(len(user_path), 0, -Org.steplen)]
    return (Org.objects.filter(path__in=lineage, is_active=True)
            .filter(Q(path__startswith=user_path) | Q(path__in=user_lineage)).order_by("-depth"))


def _lookup_household(request):
    """GET ?archive_number=… finds an archive in the user's scope and comes back with ?household=<id>."""
    form = HouseholdLookupForm(request.GET if "archive_number" in request.GET else None)
    if form.is_valid():
        found = (Household.objects.restrict(request.user, "view")
                 .filter(archive_number=form.cleaned_data["archive_number"].strip()).values_list("pk", flat=True)
                 .first())
        if found:
            return redirect(f"{reverse('funds:payment_new')}?household={found}")
        form.add_error("archive_number", _("No archive with this number in your unions."))
    return render(request, "funds/payments/choose_household.html", {
        "form": form, "crumbs": crumbs((_("Payments"), reverse("funds:payments")), (_("New payment"), "")),
    })


@staff_page("funds.add_disbursement")
def payment_new(request):
    user = request.user
    household_id = request.GET.get("household")
    if not household_id:
        return _lookup_household(request)
    household = get_scoped_or_404(
        Household.objects.select_related("org").defer("address", "bank_account"), user, "view", pk=household_id)
    orgs = paying_orgs(user, household)
    org_list = list(orgs)
    initial_org = next((o for o in org_list if o.pk == user.org_id), org_list[0] if org_list else None)
    form = PaymentForm(request.POST or None, request.FILES or None, orgs=orgs, household=household,
                       initial_org=initial_org)
    chosen = None
    if request.method == "POST":
        valid = form.is_valid()
        chosen = dict(form.cleaned_data)  # before a refusal takes fields out of cleaned_data
    if chosen is not None and valid:
        payment = _create(request, form, household)
        if payment is not None:
            if payment.state == State.DRAFT:
                messages.success(request, _("Payment #%(number)s was saved as a draft.") % {"number": payment.pk})
            else:
                messages.success(request, _("Payment #%(number)s was submitted for approval.")
                                 % {"number": payment.pk})
            return redirect("funds:payment_detail", pk=payment.pk)
    head = next((m for m in household.members.all() if m.is_head), None)
    return render(request, "funds/payments/new.html", {
        "form": form, "household": household, "head": head, "balance": _balance(chosen),
        "crumbs": crumbs((_("Payments"), reverse("funds:payments")), (_("New payment"), "")),
    })


def _create(request, form, household):
    """Receipt and payment in one transaction: a refused payment leaves no attachment row (and its file is
    removed from the storage, which does not roll back)."""
    data = form.cleaned_data
    medical = data["category"] == AidCategory.MEDICAL
    receipt = None
    try:
        with transaction.atomic():
            if medical and data["receipt"]:
                receipt = attachment_add(household, data["receipt"], kind="medical_receipts", actor=request.user)
            return create_payment(
                org=data["org"], household=household, source=data["source"], category=data["category"],
                amount_fen=data["amount"], item=data["item"], period=data["period"], year=data["year"],
                student=data["student"] if data["category"] == AidCategory.SCHOOL else None,
                out_of_pocket_fen=data["out_of_pocket"] if medical else None, receipt=receipt, note=data["note"],
                actor=request.user, submit=request.POST.get("action") != "draft",
            )
    except FundsRefused as refused:
        form.show_breaches(refused)
    except ValidationError as error:  # the receipt file (size, type)
        messages_ = error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}
        for key, texts in messages_.items():
            for text in texts:
                form.add_error("receipt" if key == "file" else None, text)
    if receipt is not None:
        receipt.file.storage.delete(receipt.file.name)
    return None


def _balance(data: dict | None) -> dict | None:
    """After a refusal: what the chosen account holds (the paying union's source, category and year)."""
    if not data:
        return None
    org, source, category, year = (data.get(k) for k in ("org", "source", "category", "year"))
    if not (org and source and category and year):
        return None
    return {"org": org, "source": source, "category": dict(AidCategory.choices)[category], "year": year,
            "fen": ledger.balance_of(org.pk, source.pk, year, category)}


# --- a payment's page and its actions -------------------------------------------------------------------


def _payment(request, pk, action: str = "view") -> Disbursement:
    queryset = (Disbursement.objects.select_related("org", "household__org", "source", "student", "created_by",
                                                    "batch", "receipt", "campaign")
                .defer("payee_account", "household__address", "household__bank_account"))
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _in_scope(user, payment, action: str) -> bool:
    return Disbursement.objects.restrict(user, action).filter(pk=payment.pk).exists()


def _may_submit(user, payment) -> bool:
    # The paying union's subtree changes payments (queryset scoping); the creator may also submit their own
    # draft (a grassroots case worker's draft paid by the county), which is the second half of creating it.
    if payment.state != State.DRAFT:
        return False
    own = payment.created_by_id == user.pk and user.has_role_permission("funds.add_disbursement")
    return own or _in_scope(user, payment, "change")


def _may_cancel(user, payment) -> bool:
    # The creator may withdraw their own payment until it is approved; after that the money is reserved and
    # only the paying union's subtree may release it.
    if payment.state not in {State.DRAFT, State.SUBMITTED, State.APPROVED}:
        return False
    own = (payment.created_by_id == user.pk and payment.state != State.APPROVED
           and user.has_role_permission("funds.add_disbursement"))
    return own or _in_scope(user, payment, "change")


def _decision_state(user, payment, approvals) -> tuple[bool, str]:
    """(may decide the next step, why not — shown to a user who holds the role but may not decide)."""
    step = payment.next_step
    if step is None or step["role"] not in user.role_set or not user.has_role_permission("funds.approve_disbursement"):
        return False, ""
    if payment.created_by_id == user.pk:
        return False, _("You created this payment; its creator can never approve it.")
    if any(a.decided_by_id == user.pk for a in approvals):
        return False, _("You decided an earlier step of this payment; another person decides this one.")
    if not _in_scope(user, payment, "approve"):
        return False, _("The paying union %(union)s decides this step.") % {"union": payment.org.name}
    return True, ""


def _render_detail(request, pk, *, decision_form=None, cancel_form=None, refusal=None):
    user = request.user
    payment = _payment(request, pk)
    approvals = list(payment.approvals.select_related("decided_by").order_by("step"))
    by_step = {a.step: a for a in approvals}
    route = payment.route or route_for(payment.org, payment.amount_fen)
    steps = [{"number": i, "role": role_label(s["role"]), "min_amount_fen": s.get("min_amount_fen", 0),
              "requires_minutes": s.get("requires_minutes"), "label": s.get("label", ""),
              "decision": by_step.get(i),
              "current": payment.state == State.SUBMITTED and i == payment.current_step + 1}
             for i, s in enumerate(route, start=1)]
    may_decide, why_not = _decision_state(user, payment, approvals)
    may_cancel = _may_cancel(user, payment)
    # A refused action whose form is not on the page (the payment moved on meanwhile): its messages on top.
    refusal = list(refusal or [])
    for form, shown in ((decision_form, may_decide), (cancel_form, may_cancel)):
        if form is not None and form.errors and not shown:
            refusal += [message for errors in form.errors.values() for message in errors]
    transactions = []
    if user.has_role_permission("funds.view_ledgertransaction"):
        # The payment's own ledger rows, read through the payment (already in the user's scope).
        transactions = list(payment.transactions.annotate(
            amount=Sum("entries__amount_fen", filter=Q(entries__amount_fen__gt=0))).order_by("id"))
    can_link_ledger = payment.org.path.startswith(user.org.path)
    today = timezone.localdate()
    audit.log_access(request, "view", obj=payment)
    return render(request, "funds/payments/detail.html", {
        "payment": payment, "household": payment.household, "steps": steps, "planned_route": not payment.route,
        "may_decide": may_decide, "why_not": why_not,
        # Whoever decides the last step reserves the money: show what the account holds.
        "last_step_available": ledger.balance_of(payment.org_id, payment.source_id, payment.year, payment.category)
        if may_decide and payment.current_step + 1 == len(payment.route) else None,
        "decision_form": decision_form or (DecisionForm(step=payment.next_step) if may_decide else None),
        "may_submit": _may_submit(user, payment),
        "may_cancel": may_cancel, "cancel_form": cancel_form or CancelForm(),
        "refusal": refusal, "transactions": transactions, "can_link_ledger": can_link_ledger,
        "next_step": next_step_text(payment, today), "notice_running": bool(
            payment.notice_until and payment.notice_until >= today and payment.state == State.APPROVED),
        "crumbs": crumbs((_("Payments"), reverse("funds:payments")),
                         (_("Payment #%(number)s") % {"number": payment.pk}, "")),
    })


@staff_page("funds.view_disbursement")
def payment_detail(request, pk):
    return _render_detail(request, pk)


@require_POST
@staff_page("funds.approve_disbursement")
def payment_approve(request, pk):
    payment = _payment(request, pk, "approve")
    form = DecisionForm(request.POST, step=payment.next_step)
    if form.is_valid():
        try:
            payment = approve_payment(payment, request.user, **form.service_kwargs())
        except FundsRefused as refused:
            form.show_breaches(refused)
        else:
            messages.success(request, _decided_message(payment))
            return redirect("funds:payment_detail", pk=payment.pk)
    return _render_detail(request, pk, decision_form=form)


def _decided_message(payment) -> str:
    number = payment.pk
    if payment.state == State.REJECTED:
        return _("Payment #%(number)s was rejected.") % {"number": number}
    if payment.state == State.APPROVED:
        if payment.notice_until:
            return _("Payment #%(number)s is approved: %(amount)s yuan are reserved; public notice until %(date)s.") % {
                "number": number, "amount": format_yuan(payment.amount_fen), "date": payment.notice_until.isoformat()}
        return _("Payment #%(number)s is approved: %(amount)s yuan are reserved.") % {
            "number": number, "amount": format_yuan(payment.amount_fen)}
    return _("Your decision was recorded; next: %(next)s.") % {"next": next_step_text(payment, timezone.localdate())}


@require_POST
@staff_page("funds.view_disbursement")
def payment_submit(request, pk):
    payment = _payment(request, pk)
    if not _may_submit(request.user, payment):
        raise Http404
    try:
        submit_payment(payment, request.user)
    except FundsRefused as refused:
        return _render_detail(request, pk, refusal=[breach.message for breach in refused.breaches])
    messages.success(request, _("Payment #%(number)s was submitted for approval.") % {"number": payment.pk})
    return redirect("funds:payment_detail", pk=payment.pk)


@require_POST
@staff_page("funds.view_disbursement")
def payment_cancel(request, pk):
    payment = _payment(request, pk)
    if not _may_cancel(request.user, payment):
        raise Http404
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cancel_payment(payment, request.user, reason=form.cleaned_data["reason"])
        except FundsRefused as refused:
            form.show_breaches(refused)
        else:
            messages.success(request, _("Payment #%(number)s was cancelled.") % {"number": payment.pk})
            return redirect("funds:payment_detail", pk=payment.pk)
    return _render_detail(request, pk, cancel_form=form)
