"""Campaign pages: list, new/edit form, the campaign page with its proposal, and its four actions.

Thin views: the forms parse, `bangfu.funds.services.campaigns` decides and writes; a refusal
(`FundsRefused`) is shown with each rule's message. Campaigns are looked up through `restrict(...)`
only, so another union's campaign answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.scoping import assert_in_scope, get_scoped_or_404
from bangfu.funds.forms_campaigns import ApproveAllForm, CampaignForm, chosen_rows, row_key
from bangfu.funds.models import COMMITTED_STATES, Campaign, Disbursement, DisbursementState
from bangfu.funds.money import to_yuan
from bangfu.funds.services import FundsRefused
from bangfu.funds.services import campaigns as service
from bangfu.registry.models import Category, CommonLevel
from bangfu.registry.models.codes import code_choices, code_label

MAX_MESSAGES = 20  # refusals listed one by one; beyond this, a count (the proposal table shows every row)


def _require(request, permission: str) -> None:
    # Like the scoping chokepoint: what a user may not do does not exist for them (404, never 403).
    if not request.user.has_role_permission(permission):
        raise Http404


def _crumbs(campaign=None, last=None):
    crumbs = [(_("Campaigns"), reverse("funds:campaigns"))]
    if campaign is not None:
        crumbs.append((campaign.name, reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})))
    if last:
        crumbs.append((last, None))
    return crumbs


@login_required
def campaign_list(request):
    _require(request, "funds.view_campaign")
    committed = Q(disbursements__state__in=COMMITTED_STATES)
    campaigns = (Campaign.objects.restrict(request.user, "view").select_related("org", "source")
                 .annotate(payments=Count("disbursements", filter=committed),
                           committed_fen=Sum("disbursements__amount_fen", filter=committed)))
    page = Paginator(campaigns.order_by("-year", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "funds/campaigns/list.html", {
        "page": page, "crumbs": [(_("Campaigns"), None)],
        "can_add": request.user.has_role_permission("funds.add_campaign"),
    })


def _show_refusal(form, refusal: FundsRefused) -> None:
    for breach in refusal.breaches:
        form.add_error(breach.field if breach.field in form.fields else None, breach.message)


def _edit(request, campaign=None):
    form = CampaignForm(request.POST or None, user=request.user, campaign=campaign, kind=request.GET.get("kind", ""))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = service.save_campaign(campaign=campaign, actor=request.user, **form.settings())
                assert_in_scope(saved, request.user, "change")
        except FundsRefused as refusal:
            _show_refusal(form, refusal)
        else:
            messages.success(request, _("Campaign saved. Propose the households when the criteria are right."))
            return redirect("funds:campaign_detail", pk=saved.pk)
    title = _("Edit campaign") if campaign else _("New campaign")
    return render(request, "funds/campaigns/form.html", {
        "form": form, "campaign": campaign, "title": title, "crumbs": _crumbs(campaign, title),
    })


@login_required
def campaign_new(request):
    _require(request, "funds.add_campaign")
    return _edit(request)


@login_required
def campaign_edit(request, pk):
    campaign = get_scoped_or_404(Campaign.objects.select_related("org", "source"), request.user, "change", pk=pk)
    if not service.is_editable(campaign):
        messages.warning(request, _("This campaign already has payments; its settings can no longer change."))
        return redirect("funds:campaign_detail", pk=campaign.pk)
    return _edit(request, campaign)


def describe(campaign: Campaign) -> list[str]:
    """The selection criteria in words, one sentence each, for the campaign page."""
    c, school = campaign.criteria or {}, campaign.kind == Campaign.Kind.SCHOOL
    lines = [_("Active archives of %(union)s and the unions below it.") % {"union": campaign.org.name}]
    levels = [str(CommonLevel(x).label) for x in c.get("levels", []) if x in service.LEVELS]
    if levels:
        lines.append(_("Common level: %(levels)s.") % {"levels": "、".join(levels)})
    categories = [str(Category(x).label) for x in c.get("categories", []) if x in service.CATEGORIES]
    if categories:
        lines.append(_("Category: %(categories)s.") % {"categories": "、".join(categories)})
    causes = "、".join(code_label("cause", x) for x in c.get("causes", []))
    if causes:
        lines.append((_("Main cause of hardship: %(causes)s.") if c.get("cause_scope", "main") == "main"
                      else _("Any cause of hardship among: %(causes)s.")) % {"causes": causes})
    if school:
        stages = "、".join(code_label("school_stage", x) for x in c.get("school_stages", []))
        lines.append(_("One payment per student at school (stage: %(stages)s).") % {"stages": stages or "—"})
    if c.get("exclude_paid"):
        left_out = (_("Students already paid school aid in %(year)s are left out.") if school
                    else _("Households already paid festive aid in %(year)s are left out."))
        lines.append(left_out % {"year": campaign.year})
    return lines


def amount_rows(campaign: Campaign) -> list[tuple[str, int]]:
    """(level or stage, fen) of the amount rule, in the order of the levels / the school-stage code list
    (PostgreSQL's jsonb does not keep the order the keys were written in)."""
    amounts = service.amounts_of(campaign)
    if campaign.kind == Campaign.Kind.FESTIVE:
        order = list(CommonLevel.values)
    else:
        order = [code for code, _label in code_choices("school_stage")]
    ranked = sorted(amounts, key=lambda code: (order.index(code) if code in order else len(order), code))
    return [(_basis_label(campaign, code), amounts[code]) for code in ranked]


def _basis_label(campaign, code: str) -> str:
    if campaign.kind == Campaign.Kind.FESTIVE:
        return str(CommonLevel(code).label) if code in CommonLevel.values else code
    return code_label("school_stage", code)


def _proposal_rows(campaign, states: dict, posted=None, errors=None) -> list[dict]:
    """The proposal as table rows: tick and amount (as posted after a refusal, else the proposed ones)."""
    labels = dict(DisbursementState.choices)
    chosen = set(posted.getlist("row")) if posted is not None else None
    rows = []
    for row in campaign.proposal or []:
        key = row_key(row)
        payment_id = row.get("payment_id")
        state = states.get(payment_id)
        amount = posted.get(f"amount-{key}", "") if posted is not None else to_yuan(row.get("amount_fen") or 0)
        rows.append({
            **row, "key": key, "basis_label": _basis_label(campaign, row.get("basis", "")),
            "checked": (key in chosen) if chosen is not None else (not row["breaches"] and not payment_id),
            "amount": amount, "error": (errors or {}).get(key, ""), "payment_state": labels.get(state, ""),
            # A row whose payment was rejected or cancelled may be tried again.
            "open": not payment_id or state in {DisbursementState.REJECTED, DisbursementState.CANCELLED},
        })
    return rows


def _detail(request, campaign, *, posted=None, row_errors=None, errors=()):
    user = request.user
    payments = Disbursement.objects.filter(campaign=campaign)
    labels = dict(DisbursementState.choices)
    by_state = [{**r, "label": labels.get(r["state"], r["state"])} for r in
                payments.values("state").annotate(n=Count("id"), total=Sum("amount_fen")).order_by("state")]
    states = dict(payments.values_list("pk", "state")) if by_state else {}
    rows = _proposal_rows(campaign, states, posted, row_errors)
    can_approve = user.has_role_permission("funds.approve_disbursement")
    can_batch = user.has_role_permission("funds.batch_disbursement")
    return render(request, "funds/campaigns/detail.html", {
        "campaign": campaign, "crumbs": _crumbs(campaign), "criteria_lines": describe(campaign),
        "amount_rows": amount_rows(campaign),
        "by_state": by_state, "payment_count": sum(r["n"] for r in by_state),
        "payment_total": sum(r["total"] or 0 for r in by_state), "rows": rows,
        "rows_with_breaches": sum(1 for r in rows if r["breaches"] and r["open"]),
        "open_rows": sum(1 for r in rows if r["open"]),
        "proposed_total": sum(r.get("amount_fen") or 0 for r in campaign.proposal or [] if not r.get("payment_id")),
        "row_errors": errors,
        "can_change": user.has_role_permission("funds.change_campaign"),
        "can_pay": user.has_role_permission("funds.add_disbursement"),
        "can_approve": can_approve, "can_batch": can_batch,
        "editable": service.is_editable(campaign) if user.has_role_permission("funds.change_campaign") else False,
        "awaiting_me": len(service.awaiting_step_of(campaign, user)) if can_approve and by_state else 0,
        "needs_minutes": "leadership" in user.role_set, "approve_form": ApproveAllForm(),
        "payable_count": service.payable_of(campaign, user).count() if can_batch and by_state else 0,
        "in_notice": service.in_notice(campaign) if can_batch and by_state else None,
        "batches": list(payments.filter(batch__isnull=False).values_list("batch_id", "batch__number").distinct()
                        .order_by("batch_id")) if by_state else [],
    })


def _campaign(request, pk, action="view"):
    return get_scoped_or_404(Campaign.objects.select_related("org", "source", "created_by"), request.user, action,
                             pk=pk)


@login_required
def campaign_detail(request, pk):
    campaign = _campaign(request, pk)
    # The proposal shows archive numbers and masked names: the read is logged like an archive's.
    audit.log_access(request, "view", obj=campaign)
    return _detail(request, campaign)


def _report(request, outcome, done_message: str) -> None:
    if outcome.done:
        messages.success(request, done_message % {"count": len(outcome.done)})
    for label, breaches in outcome.refused[:MAX_MESSAGES]:
        messages.error(request, f"{label}: " + " ".join(b.message for b in breaches))
    if len(outcome.refused) > MAX_MESSAGES:
        messages.error(request, _("%(count)s more refused; see the table.") % {
            "count": len(outcome.refused) - MAX_MESSAGES})


@require_POST
@login_required
def campaign_propose(request, pk):
    campaign = _campaign(request, pk, "change")
    try:
        campaign = service.propose(campaign, request.user)
    except FundsRefused as refusal:
        for breach in refusal.breaches:
            messages.error(request, breach.message)
    else:
        flagged = sum(1 for row in campaign.proposal if row["breaches"])
        messages.success(request, _("%(count)s proposed; %(flagged)s of them break a rule (shown in red).") % {
            "count": len(campaign.proposal), "flagged": flagged})
    return redirect("funds:campaign_detail", pk=campaign.pk)


@require_POST
@login_required
def campaign_create_payments(request, pk):
    _require(request, "funds.add_disbursement")
    campaign = _campaign(request, pk, "change")
    rows, row_errors = chosen_rows(request.POST, campaign.proposal or [])
    errors = []
    if not row_errors:
        try:
            outcome = service.create_payments(campaign, request.user, rows)
        except FundsRefused as refusal:
            for breach in refusal.breaches:
                key = breach.field.removeprefix("amount-") if breach.field.startswith("amount-") else ""
                if key:
                    row_errors[key] = breach.message
                else:
                    errors.append(breach.message)
        else:
            _report(request, outcome, _("%(count)s payments created and submitted for approval."))
            return redirect("funds:campaign_detail", pk=campaign.pk)
    # Nothing was created: show the page again with the ticks and amounts as typed, and the problems.
    return _detail(request, campaign, posted=request.POST, row_errors=row_errors,
                   errors=errors or [_("Nothing was created; correct the amounts marked below.")])


@require_POST
@login_required
def campaign_approve(request, pk):
    _require(request, "funds.approve_disbursement")
    campaign = _campaign(request, pk)
    form = ApproveAllForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the meeting date as a date."))
        return redirect("funds:campaign_detail", pk=campaign.pk)
    try:
        outcome = service.approve_all(campaign, request.user, **form.decision())
    except FundsRefused as refusal:
        for breach in refusal.breaches:
            messages.warning(request, breach.message)
    else:
        audit.log_access(request, "approve", obj=campaign, decided=len(outcome.done), refused=len(outcome.refused))
        _report(request, outcome, _("Your step is decided for %(count)s payments."))
    return redirect("funds:campaign_detail", pk=campaign.pk)


@require_POST
@login_required
def campaign_batch(request, pk):
    _require(request, "funds.batch_disbursement")
    campaign = _campaign(request, pk)
    try:
        batch = service.send_to_bank(campaign, request.user)
    except FundsRefused as refusal:
        for breach in refusal.breaches:
            messages.error(request, breach.message)
        return redirect("funds:campaign_detail", pk=campaign.pk)
    messages.success(request, _("Bank batch %(number)s created with %(count)s payments.") % {
        "number": batch.number, "count": batch.disbursements.count()})
    try:
        return redirect(reverse("funds:batch_detail", kwargs={"pk": batch.pk}))
    except NoReverseMatch:  # the batch pages are another module's; until they exist, stay here
        return redirect("funds:campaign_detail", pk=campaign.pk)
