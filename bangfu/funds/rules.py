"""The rules a payment must pass (DOMAIN.md §5), in one place for the form, the API and campaigns.

`check_payment()` returns every rule a payment breaks, each as a `RuleBreach` with a code (stable, for
the API and tests) and a message in the user's language that names the rule and its numbers — the cap,
what was already paid or committed, and by how much this payment would exceed it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.masking import mask_name
from bangfu.funds.models import COMMITTED_STATES, AidCategory, Disbursement, FundPolicy
from bangfu.funds.money import format_yuan, yuan_of_decimal
from bangfu.orgs.models import living_line
from bangfu.registry.models import State

MEDICAL_RECEIPT_KIND = "medical_receipts"  # the evidence code of out-of-pocket medical receipts


@dataclass(frozen=True)
class RuleBreach:
    code: str
    message: str
    field: str = ""


def _committed(household_id: int, year: int, *, exclude_pk=None, **filters):
    rows = Disbursement.objects.filter(household_id=household_id, year=year, state__in=COMMITTED_STATES, **filters)
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    return rows.aggregate(total=Sum("amount_fen"), n=Count("id"))


def _head(household):
    cached = getattr(household, "_prefetched_objects_cache", {}).get("members")
    if cached is not None:
        return next((m for m in cached if m.is_head), None)
    return household.members.filter(is_head=True).only("id", "name", "household_id", "is_head").first()


def _line_fen(household, year: int) -> tuple[int | None, object]:
    """The monthly minimum-living line (fen) in force for the household on the reference day of `year`."""
    today = timezone.localdate()
    on = today if today.year == year else dt.date(year, 12, 31) if year < today.year else dt.date(year, 1, 1)
    row = living_line(household.division, on)
    return (yuan_of_decimal(row.amount) if row else None), row


def check_payment(payment: Disbursement, *, policy: FundPolicy | None = None) -> list[RuleBreach]:
    """Every rule `payment` (saved or not) breaks, given what is already committed to its household."""
    breaches: list[RuleBreach] = []
    household = payment.household
    org = payment.org
    money = format_yuan

    # Archive first, help after (先建档、后帮扶): only an active archive receives money.
    if household.state == State.EXITED:
        breaches.append(RuleBreach("household_exited", _(
            "The household exited on %(date)s; an exited household receives no payment."
        ) % {"date": household.exited_on or "—"}))
    elif household.state != State.ACTIVE:
        breaches.append(RuleBreach("household_not_active", _(
            "The archive is not approved (state: %(state)s): archive first, help after."
        ) % {"state": household.get_state_display()}))
    if not household.org.path.startswith(org.path):
        breaches.append(RuleBreach("household_outside_union", _(
            "The household belongs to %(union)s, outside the paying union %(payer)s."
        ) % {"union": household.org.name, "payer": org.name}))

    source = payment.source
    if not source.may_pay(payment.category):
        breaches.append(RuleBreach("source_category", _(
            "%(source)s may not pay %(category)s; it may pay: %(allowed)s."
        ) % {"source": source.name, "category": payment.get_category_display(),
             "allowed": "、".join(source.allowed_category_labels) or "—"}, "source"))

    # Real name: the head's own card (only the head's name is read: loading members decrypts every one).
    head = _head(household)
    if not household.bank_account or not household.bank_account_last4:
        breaches.append(RuleBreach("no_bank_account", _(
            "The archive has no bank account; record the head's real-name card first.")))
    elif head is None or household.bank_account_holder.strip() != head.name.strip():
        breaches.append(RuleBreach("account_not_head", _(
            "The bank account on file is in the name of %(holder)s, not of the head %(head)s: payments go only "
            "to a real-name card of the head."
        ) % {"holder": mask_name(household.bank_account_holder) or "—", "head": head.name_masked if head else "—"}))

    if payment.amount_fen is None or payment.amount_fen <= 0:
        breaches.append(RuleBreach("amount", _("The amount must be more than zero."), "amount"))
        return breaches
    breaches.extend(_cap_breaches(payment, policy or FundPolicy.in_force(org, timezone.localdate()), money))

    duplicate = Disbursement.objects.filter(
        household_id=household.pk, category=payment.category, item=payment.item, period=payment.period,
        state__in=COMMITTED_STATES,
    ).exclude(pk=payment.pk).first()
    if duplicate is not None:
        breaches.append(RuleBreach("duplicate", _(
            "Payment #%(number)s already pays this item for this period; no duplicate payment."
        ) % {"number": duplicate.pk}, "item"))
    return breaches


def _cap_breaches(payment, policy, money) -> list[RuleBreach]:
    breaches = []
    household, year, amount = payment.household, payment.year, payment.amount_fen
    category = payment.category
    if category == AidCategory.LIVING:
        line, _row = _line_fen(household, year)
        if line is None:
            breaches.append(RuleBreach("no_line", _(
                "No minimum-living line is recorded for %(division)s; the living-aid cap cannot be computed."
            ) % {"division": household.division}))
        else:
            cap = policy.living_aid_line_multiple * line
            done = _committed(household.pk, year, exclude_pk=payment.pk, category=category)
            already = done["total"] or 0
            if already + amount > cap:
                breaches.append(RuleBreach("cap_living", _(
                    "Living-aid cap for %(year)s: %(cap)s yuan (%(multiple)s × the line of %(line)s yuan); already "
                    "paid or committed: %(already)s yuan; this payment of %(amount)s yuan exceeds the cap by "
                    "%(over)s yuan."
                ) % {"year": year, "cap": money(cap), "multiple": policy.living_aid_line_multiple,
                     "line": money(line), "already": money(already), "amount": money(amount),
                     "over": money(already + amount - cap)}, "amount"))
            limit = policy.living_aid_payments_per_year
            if limit is not None and done["n"] >= limit:
                breaches.append(RuleBreach("living_once", _(
                    "The local rules allow %(limit)s living-aid payment(s) per household a year; this household "
                    "already has %(count)s in %(year)s."
                ) % {"limit": limit, "count": done["n"], "year": year}))
    elif category == AidCategory.MEDICAL:
        receipt = payment.receipt
        if payment.out_of_pocket_fen is None or receipt is None:
            breaches.append(RuleBreach("medical_receipt", _(
                "Medical aid needs the out-of-pocket cost and its receipt."), "out_of_pocket"))
        elif receipt.household_id != household.pk or receipt.kind != MEDICAL_RECEIPT_KIND:
            breaches.append(RuleBreach("medical_receipt", _(
                "The receipt must be a medical receipt filed in this household's archive."), "receipt"))
        else:
            # The cap is per receipt: every payment against the same receipt counts, whatever its item says.
            already = (Disbursement.objects.filter(receipt_id=receipt.pk, state__in=COMMITTED_STATES)
                       .exclude(pk=payment.pk).aggregate(total=Sum("amount_fen"))["total"] or 0)
            if already + amount > payment.out_of_pocket_fen:
                breaches.append(RuleBreach("cap_medical", _(
                    "Medical aid may not exceed the out-of-pocket cost of %(cost)s yuan on the receipt; already "
                    "paid or committed against it: %(already)s yuan; this payment is %(amount)s yuan."
                ) % {"cost": money(payment.out_of_pocket_fen), "already": money(already), "amount": money(amount)},
                    "amount"))
    elif category == AidCategory.SCHOOL:
        student = payment.student
        if student is None or student.household_id != household.pk or not student.is_student:
            breaches.append(RuleBreach("school_student", _(
                "School aid is paid for a student of this household; choose the student."), "student"))
        else:
            line, _row = _line_fen(household, year)
            if line is None:
                breaches.append(RuleBreach("no_line", _(
                    "No minimum-living line is recorded for %(division)s; the school-aid cap cannot be computed."
                ) % {"division": household.division}))
            else:
                cap = policy.school_aid_months * line
                already = _committed(household.pk, year, exclude_pk=payment.pk, category=category,
                                     student_id=student.pk)["total"] or 0
                if already + amount > cap:
                    breaches.append(RuleBreach("cap_school", _(
                        "School-aid cap for %(student)s in %(year)s: %(cap)s yuan (%(months)s months × %(line)s "
                        "yuan); already paid or committed: %(already)s yuan; this payment of %(amount)s yuan "
                        "exceeds the cap by %(over)s yuan."
                    ) % {"student": student.name_masked, "year": year, "cap": money(cap),
                         "months": policy.school_aid_months, "line": money(line), "already": money(already),
                         "amount": money(amount), "over": money(already + amount - cap)}, "amount"))
    if policy.household_yearly_max_fen is not None:
        cap = policy.household_yearly_max_fen
        already = _committed(household.pk, year, exclude_pk=payment.pk)["total"] or 0
        if already + amount > cap:
            breaches.append(RuleBreach("cap_household_year", _(
                "Local cap of %(cap)s yuan per household in %(year)s: already paid or committed %(already)s yuan; "
                "this payment of %(amount)s yuan exceeds it by %(over)s yuan."
            ) % {"cap": money(cap), "year": year, "already": money(already), "amount": money(amount),
                 "over": money(already + amount - cap)}, "amount"))
    return breaches
