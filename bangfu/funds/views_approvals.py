"""The approver's inbox ("waiting for my decision", with bulk approval) and the public-notice list (公示) of
approved payments, printed and posted by the paying union."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.funds.forms_payments import MAX_CHAIN_STEPS, BulkApproveForm, NoticeFilterForm
from bangfu.funds.models import Approval, Disbursement, DisbursementState
from bangfu.funds.services.payments import approve_many
from bangfu.funds.views_payments import crumbs, org_options, role_label
from bangfu.registry.models import Consent, ConsentKind

INBOX_PAGE_SIZE = 50


def waiting_for_decision(user):
    """Submitted payments whose next step this user may decide: in the user's approve scope (the paying
    union's subtree), the step's role held by the user, not created by the user, no earlier step decided
    by the user.

    Entirely in SQL: the step's role is `route[current_step].role`, matched with one JSON clause per
    position (chains have at most `MAX_CHAIN_STEPS` steps, see the rules form), so pagination and counts
    stay exact on any number of payments.
    """
    roles = sorted(user.role_set)
    if not roles:
        return Disbursement.objects.none()
    my_step = Q()
    for position in range(MAX_CHAIN_STEPS):
        my_step |= Q(current_step=position, **{f"route__{position}__role__in": roles})
    decided_by_me = Approval.objects.filter(disbursement=OuterRef("pk"), decided_by=user)
    return (Disbursement.objects.restrict(user, "approve")
            .filter(state=DisbursementState.SUBMITTED).exclude(created_by=user)
            .filter(my_step).exclude(Exists(decided_by_me)))


INBOX_FIELDS = ("id", "state", "category", "amount_fen", "item", "period", "payee_name", "route", "current_step",
                "submitted_at", "household__id", "household__archive_number", "org__id", "org__name",
                "created_by__id", "created_by__username", "created_by__full_name")


@staff_page("funds.approve_disbursement")
def approvals_inbox(request):
    user = request.user
    waiting = waiting_for_decision(user)
    form = BulkApproveForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            _approve_selected(request, waiting, form)
            return redirect("funds:approvals_inbox")
        messages.error(request, _("Nothing was decided: please correct the fields below."))
    totals = waiting.order_by().aggregate(count=Count("id"), total=Sum("amount_fen"))
    rows_qs = (waiting.select_related("household", "org", "created_by").only(*INBOX_FIELDS)
               .order_by("submitted_at", "id"))
    page = Paginator(rows_qs, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for payment in page.object_list:
        step = payment.next_step or {}
        rows.append({"payment": payment, "role": role_label(step.get("role", "")), "label": step.get("label", ""),
                     "minutes": bool(step.get("requires_minutes")), "step": payment.current_step + 1,
                     "steps": len(payment.route)})
    audit.log_access(request, "view", object_type="funds.disbursement", rows=len(rows), page="approvals_inbox")
    return render(request, "funds/payments/inbox.html", {
        "page": page, "rows": rows, "count": totals["count"], "total_fen": totals["total"] or 0, "form": form,
        "any_minutes": any(r["minutes"] for r in rows),
        "crumbs": crumbs((_("Waiting for my decision"), "")),
    })


def _approve_selected(request, waiting, form) -> None:
    """approve_many over the ticked payments that are still waiting for this user; each refusal reported."""
    wanted = {int(v) for v in request.POST.getlist("payment") if v.isascii() and v.isdigit() and len(v) <= 18}
    if not wanted:
        messages.warning(request, _("Tick the payments to approve."))
        return
    payments = list(waiting.filter(pk__in=wanted).order_by("id"))
    gone = sorted(wanted - {p.pk for p in payments})
    decided, refused = approve_many(payments, request.user, **form.service_kwargs())
    if decided:
        messages.success(request, _("%(count)s payment(s) approved at your step.") % {"count": len(decided)})
    for payment, error in refused:
        messages.error(request, _("Payment #%(number)s was not approved: %(rules)s") % {
            "number": payment.pk, "rules": " ".join(b.message for b in error.breaches)})
    if gone:
        messages.warning(request, _("No longer waiting for your decision: %(numbers)s.") % {
            "numbers": ", ".join(f"#{n}" for n in gone)})


# --- the public notice ------------------------------------------------------------------------------------

NOTICE_FIELDS = ("id", "category", "amount_fen", "payee_name", "notice_until", "approved_at",
                 "household__id", "household__org__id", "household__org__name")


@staff_page("funds.view_disbursement")
def payment_notices(request):
    """Approved payments of one paying union whose public notice runs now or later (notice_until ≥ today).

    Shows only what the notice board may show (DOMAIN.md §9): masked name (with the household's consent to the
    notice), the household's union, category, amount and the end of the notice. Meant to be printed: the read
    is audited as a print.
    """
    user = request.user
    orgs = org_options(user).filter(is_active=True)
    form = NoticeFilterForm(request.GET or None, orgs=orgs, initial={"org": user.org})
    org = form.cleaned_data["org"] if form.is_bound and form.is_valid() else user.org
    today = timezone.localdate()
    # The name (masked) is posted only for households that consented to the public notice (DOMAIN.md §9);
    # the others appear with their union, category and amount only.
    consented = Consent.objects.filter(household=OuterRef("household"), kind=ConsentKind.PUBLIC_NOTICE,
                                       withdrawn_on=None, signed_on__lte=today)
    payments = list(Disbursement.objects.restrict(user, "view")
                    .filter(org=org, state=DisbursementState.APPROVED, notice_until__gte=today)
                    .select_related("household__org").only(*NOTICE_FIELDS)
                    .annotate(name_may_show=Exists(consented))
                    .order_by("notice_until", "household__org__path", "id"))
    total = sum(p.amount_fen for p in payments)
    audit.log_access(request, "print", object_type="funds.disbursement", rows=len(payments), org=org.code,
                     page="payment_notices")
    return render(request, "funds/payments/notices.html", {
        "form": form, "org": org, "payments": payments, "total_fen": total, "today": today,
        "back_url": reverse("funds:payments"), "title": _("Public notice of assistance payments"),
    })
