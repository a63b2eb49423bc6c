"""The payments panel of the archive page and the payment rows of the household's timeline."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.funds.models import AidCategory, Disbursement, DisbursementState
from bangfu.funds.money import format_yuan

PANEL_ROWS = 20


def panel_context(request, household):
    """The household's payments this user may see (None when the user may see none)."""
    if not request.user.has_role_permission("funds.view_disbursement"):
        return None
    payments = (Disbursement.objects.restrict(request.user, "view").filter(household=household)
                .select_related("org", "source").order_by("-id"))
    paid = {row["year"]: row["total"] for row in payments.filter(state=DisbursementState.PAID)
            .values("year").annotate(total=Sum("amount_fen")).order_by()}
    return {"funds_payments": list(payments[:PANEL_ROWS]), "funds_paid_by_year": sorted(paid.items(), reverse=True),
            "funds_payment_count": payments.count()}


def _describe(detail: dict) -> str:
    parts = []
    if detail.get("category") in AidCategory.values:
        parts.append(str(AidCategory(detail["category"]).label))
    if detail.get("amount_fen") is not None:
        parts.append(gettext("%(amount)s yuan") % {"amount": format_yuan(detail["amount_fen"])})
    if detail.get("reason"):
        parts.append(str(detail["reason"]))
    return " · ".join(parts)


TIMELINE_KINDS = {
    "payment_created": _("Payment applied for"),
    "payment_approved": _("Payment approved"),
    "payment_rejected": _("Payment rejected"),
    "payment_cancelled": _("Payment cancelled"),
    "payment_paid": _("Payment paid by the bank"),
    "payment_failed": _("Payment failed at the bank"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "funds/panel_payments.html")
    for kind, label in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=_describe, needs="funds.view_disbursement", group="payments")
