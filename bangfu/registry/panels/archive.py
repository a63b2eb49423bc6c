"""The archive panel of the archive page: the household's data, masked, grouped in cards, with edit
links for users who may change the archive (and it is not closed) and reveal buttons for users with
`registry.reveal_household`. Parts the user's role may not read (e.g. a worker: files and consents)
are left out."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from bangfu.registry.models import (
    CLOSED_STATES,
    AssetDeclaration,
    Attachment,
    Consent,
    Expense,
    ExpenseGroup,
    Household,
    MonthlyIncome,
)
from bangfu.registry.models.codes import CodeList, codes_with_flag
from bangfu.registry.services.archive import income_months, is_under, missing_consents
from bangfu.registry.services.evidence import evidence_checklist


def _can(user, permission: str) -> bool:
    return bool(getattr(user, "has_role_permission", None)) and user.has_role_permission(permission)


def context(request, household) -> dict:
    user = request.user
    can_change = (
        household.state not in CLOSED_STATES
        and Household.objects.restrict(user, "change").filter(pk=household.pk).exists()
    )
    members = list(household.members.all())
    for member in members:
        member.is_minor_under_14 = is_under(member.birth_date, 14)
    causes = list(household.causes.all())
    data = {
        "members": members,
        "main_cause": next((c for c in causes if c.is_main), None),
        "secondary_causes": [c for c in causes if not c.is_main],
        "can_edit": can_change,
        "can_remove_member": can_change and _can(user, "registry.delete_member"),
        "can_reveal": Household.objects.restrict(user, "reveal").filter(pk=household.pk).exists(),
        "archive_closed": household.state in CLOSED_STATES,
        "max_mb": settings.BANGFU_MAX_UPLOAD_MB,
    }
    if _can(user, "registry.view_monthlyincome"):
        months = income_months(count=12)
        per_member = dict(
            MonthlyIncome.objects.filter(household=household, month__in=months)
            .values_list("member_id").annotate(total=Sum("amount")).order_by()
        )
        total = sum(per_member.values(), Decimal(0))
        size = max(household.household_size or len(members) or 1, 1)
        # Amounts the classification does not count (e.g. the basic residents' pension), so the figure
        # here and the explanation's per-capita income can be told apart.
        not_counted = MonthlyIncome.objects.filter(household=household, month__in=months).exclude(
            income_type__in=codes_with_flag(CodeList.INCOME_TYPE, "counts")
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        data["incomes"] = {
            "from": months[0], "to": months[-1], "total": total, "not_counted": not_counted,
            "per_capita_month": (total / 12 / size).quantize(Decimal("0.01")),
            "rows": [(m, per_member.get(m.pk, Decimal(0))) for m in members],
            "recorded": bool(per_member),
        }
    if _can(user, "registry.view_expense"):
        sums = defaultdict(Decimal)
        for group, amount in (
            Expense.objects.filter(household=household).values_list("group").annotate(total=Sum("amount")).order_by()
        ):
            sums[group] = amount
        data["expense_sums"] = [(label, sums.get(value, Decimal(0))) for value, label in ExpenseGroup.choices]
        data["expense_count"] = Expense.objects.filter(household=household).count()
    if _can(user, "registry.view_assetdeclaration"):
        data["assets"] = AssetDeclaration.objects.filter(household=household).first()
    if _can(user, "registry.view_consent"):
        data["consent_checklist"] = missing_consents(household)
        data["consents"] = list(Consent.objects.filter(household=household).select_related("member"))
    if _can(user, "registry.view_attachment"):
        data["checklist"] = evidence_checklist(household)
        data["attachments"] = list(Attachment.objects.filter(household=household).select_related("member"))
    return data
