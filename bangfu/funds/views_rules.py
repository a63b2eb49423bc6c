"""The rules of paying in force for a union: its approval chain and its fund rules (caps, public notice),
each with the union it comes from (its own, inherited from a higher union, or the platform's default).

Fund managers of a union define its own chain and add a new row of fund rules from a date on; rows already
in force are never edited. Both models are in the field-level change log (`bangfu.funds.audit_registration`),
so every change here is logged with its actor, org and request.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.decorators import staff_page
from bangfu.funds.forms_payments import ChainFormSet, FundPolicyForm, NoticeFilterForm
from bangfu.funds.models import ApprovalRule, FundPolicy, approval_chain
from bangfu.funds.money import format_yuan
from bangfu.funds.views_payments import crumbs, org_options, role_label

CHAIN_PERMISSIONS = ("funds.add_approvalrule", "funds.change_approvalrule", "funds.delete_approvalrule")
POLICY_PERMISSIONS = ("funds.add_fundpolicy", "funds.change_fundpolicy")


def set_chain(org, steps: list[dict]) -> None:
    """Make `steps` the org's own approval chain, row by row (so the change log shows each step's change).

    Payments already submitted keep the route fixed at their submission.
    """
    with transaction.atomic():
        existing = {rule.order: rule for rule in ApprovalRule.objects.select_for_update().filter(org=org)}
        wanted = {step["order"] for step in steps}
        for order, rule in existing.items():
            if order not in wanted:
                rule.delete()
        for step in steps:
            values = {"role": step["role"], "min_amount_fen": step["min_amount_fen"],
                      "requires_minutes": step["requires_minutes"], "label": step["label"]}
            rule = existing.get(step["order"])
            if rule is None:
                ApprovalRule.objects.create(org=org, order=step["order"], **values)
            elif any(getattr(rule, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(rule, key, value)
                rule.save()


def drop_chain(org) -> int:
    """Remove the org's own chain: the chain of the nearest higher union (or the default) applies again."""
    with transaction.atomic():
        rules = list(ApprovalRule.objects.select_for_update().filter(org=org))
        for rule in rules:
            rule.delete()
    return len(rules)


def _chain_initial(steps) -> list[dict]:
    return [{"order": s["order"], "role": s["role"], "requires_minutes": s["requires_minutes"],
             "label": s.get("label", ""),
             "min_amount": format_yuan(s["min_amount_fen"]).replace(",", "") if s["min_amount_fen"] else "0"}
            for s in steps]


@staff_page("funds.view_approvalrule")
def rules(request):
    user = request.user
    today = timezone.localdate()
    chooser = NoticeFilterForm(request.GET or None, orgs=org_options(user), initial={"org": user.org})
    org = chooser.cleaned_data["org"] if chooser.is_bound and chooser.is_valid() else user.org
    steps, chain_org = approval_chain(org)
    policy = FundPolicy.in_force(org, today)
    # Only the user's own union is edited here (a union's fund managers set their own rules).
    own = org.pk == user.org_id
    may_chain = own and all(user.has_role_permission(p) for p in CHAIN_PERMISSIONS)
    may_policy = own and all(user.has_role_permission(p) for p in POLICY_PERMISSIONS)
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not (may_chain if action in ("chain", "inherit") else may_policy):
        messages.error(request, _("You may not change the rules of this union."))
        return redirect("funds:rules")

    # Initial rows only on the unbound form: bound to a POST, an initial row would make the blank extra row
    # look "changed" (and be validated as a step).
    chain_formset = (ChainFormSet(request.POST, prefix="step") if action == "chain"
                     else ChainFormSet(prefix="step", initial=_chain_initial(steps)))
    policy_form = FundPolicyForm(request.POST if action == "policy" else None, org=org,
                                 initial=FundPolicyForm.initial_from(policy))
    if action == "chain" and chain_formset.is_valid():
        set_chain(org, chain_formset.steps())
        messages.success(request, _("The approval chain of %(union)s was saved; it applies to payments submitted "
                                    "from now on.") % {"union": org.name})
        return redirect("funds:rules")
    if action == "inherit":
        if drop_chain(org):
            messages.success(request, _("%(union)s now follows the approval chain of the higher union.")
                             % {"union": org.name})
        return redirect("funds:rules")
    if action == "policy" and policy_form.is_valid():
        try:
            with transaction.atomic():
                FundPolicy.objects.create(org=org, **policy_form.row_values())
        except IntegrityError:  # the same date saved meanwhile by someone else
            policy_form.add_error("effective_from", _("This union already has rules from this date."))
        else:
            messages.success(request, _("New fund rules of %(union)s take effect on %(date)s.") % {
                "union": org.name, "date": policy_form.cleaned_data["effective_from"].isoformat()})
            return redirect("funds:rules")

    history = list(FundPolicy.objects.restrict(user, "view").filter(org=org).order_by("-effective_from"))
    return render(request, "funds/payments/rules.html", {
        "org": org, "chooser": chooser, "today": today,
        "steps": [{**s, "role_label": role_label(s["role"])} for s in steps], "chain_org": chain_org,
        "chain_own": chain_org is not None and chain_org.pk == org.pk,
        "policy": policy, "policy_org": None if policy.is_default else policy.org,
        "policy_own": not policy.is_default and policy.org_id == org.pk, "history": history,
        "may_chain": may_chain, "may_policy": may_policy, "chain_formset": chain_formset, "policy_form": policy_form,
        "open_chain": action == "chain", "open_policy": action == "policy",
        "crumbs": crumbs((_("Rules of paying"), "")),
    })
