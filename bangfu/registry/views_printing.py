"""Printed forms of an archive (A4, print CSS): the archive card, the application, home-visit and approval
forms, and the public-notice poster (DOMAIN.md §2–3, §9).

One view, `print_form(request, pk, form)`: the household is fetched through the scoping chokepoint
(404 outside the user's subtree), only staff print (workers and providers get 404), and every print is
written to the access log with the form's name. Identity numbers are printed masked (first 6 + last 4),
bank accounts as their last 4 digits and phones 3+4; the notice poster shows masked names and the
category only — never an identity number, health data or an address.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Max, Sum
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu import audit
from bangfu.orgs.models import Org
from bangfu.registry.models import (
    Category,
    CodeItem,
    CodeList,
    HomeVisit,
    Household,
    LevelOpinion,
    MonthlyIncome,
    PublicNotice,
    State,
)
from bangfu.registry.models.codes import code_label
from bangfu.registry.views_detail import household_for_page

# form name -> (template, title). The titles are the documents' standard names.
FORMS = {
    "card": ("registry/print/card.html", gettext_lazy("Archive card of a worker household in hardship")),
    "application": ("registry/print/application.html", gettext_lazy("Application for a hardship archive")),
    "visit": ("registry/print/visit.html", gettext_lazy("Home-visit survey form")),
    "approval": ("registry/print/approval.html", gettext_lazy("Approval form of a hardship archive")),
    "notice": ("registry/print/notice.html", gettext_lazy("Public notice")),
}

# States from which the archive has passed its public notice (the notice result is known).
_AFTER_NOTICE = {State.APPROVAL, State.ACTIVE, State.EXITED}


def may_print(user) -> bool:
    """Staff who may print archives (`registry.print_household`: not helpers/volunteers, workers or providers)."""
    return (
        getattr(user, "is_authenticated", False)
        and getattr(user, "kind", "") == "staff"
        and user.has_role_permission("registry.print_household")
    )


@login_required
def print_form(request, pk, form):
    if form not in FORMS or not may_print(request.user):
        raise Http404
    household = household_for_page(request, pk)
    template, title = FORMS[form]
    context = {"household": household, "form": form, "title": title, "printed_at": timezone.localtime()}
    builder = _BUILDERS[form]
    context.update(builder(request, household) if form == "notice" else builder(household))
    audit.log_access(request, "print", obj=household, form=form)
    return render(request, template, context)


# --- context builders -----------------------------------------------------------------------------------


def _head_rows(household, head) -> dict:
    """The head's facts with code-list labels (Chinese by default), masked where DOMAIN.md §9 says so."""
    if head is None:
        return {"head": None}
    disability = ""
    if head.disability_type:
        disability = code_label(CodeList.DISABILITY_TYPE, head.disability_type)
        if head.disability_grade:
            disability += " " + _("grade %(grade)s") % {"grade": head.disability_grade}
    return {
        "head": head,
        "head_labels": {
            "ethnicity": code_label(CodeList.ETHNICITY, head.ethnicity),
            "political": code_label(CodeList.POLITICAL, head.political_status),
            "health": code_label(CodeList.HEALTH, head.health),
            "disability": disability,
            "work_status": code_label(CodeList.WORK_STATUS, head.work_status),
            "model_worker": code_label(CodeList.MODEL_WORKER, head.model_worker_level),
            "industry": code_label(CodeList.INDUSTRY, head.industry),
            "marital": code_label(CodeList.MARITAL, head.marital_status),
            "hukou": code_label(CodeList.HUKOU, head.hukou_type),
            "employer_type": code_label(CodeList.EMPLOYER_TYPE, head.employer_type),
            "medical_insurance": code_label(CodeList.MEDICAL_INSURANCE, head.medical_insurance),
        },
        "housing_label": code_label(CodeList.HOUSING, household.housing_type),
    }


def _members(household) -> list[dict]:
    rows = []
    for member in household.members.all():
        if member.is_student and member.school_stage:
            activity = code_label(CodeList.SCHOOL_STAGE, member.school_stage)
        else:
            activity = code_label(CodeList.WORK_STATUS, member.work_status)
        rows.append({
            "member": member,
            "relation": code_label(CodeList.RELATION, member.relation),
            "health": code_label(CodeList.HEALTH, member.health),
            "activity": activity,
            "medical_insurance": code_label(CodeList.MEDICAL_INSURANCE, member.medical_insurance),
        })
    return rows


def _causes(household) -> tuple[str, list[str]]:
    main, secondary = "", []
    for cause in household.causes.all():
        label = code_label(CodeList.CAUSE, cause.code)
        if cause.is_main:
            main = label
        else:
            secondary.append(label)
    return main, secondary


def _incomes(household, head) -> dict:
    """Monthly averages over the 12 months ending with the latest month on record (counted types only)."""
    counted = list(
        CodeItem.objects.of(CodeList.INCOME_TYPE).filter(flags__counts=True).values_list("code", flat=True)
    )
    incomes = MonthlyIncome.objects.filter(household=household, income_type__in=counted)
    latest = incomes.aggregate(latest=Max("month"))["latest"]
    if latest is None:
        head_declared = head.monthly_income_declared if head else Decimal("0")
        return {"head_income": head_declared, "other_income": None, "income_months": None}
    year, month = latest.year, latest.month - 11
    if month <= 0:
        year, month = year - 1, month + 12
    start = dt.date(year, month, 1)
    window = incomes.filter(month__gte=start, month__lte=latest)
    head_total = window.filter(member__is_head=True).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    other_total = window.filter(member__is_head=False).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    size = household.household_size or 1
    all_total = head_total + other_total
    return {
        "head_income": (head_total / 12).quantize(Decimal("0.01")),
        "other_income": (other_total / 12).quantize(Decimal("0.01")),
        "income_months": (start, latest),
        "per_capita_income": (all_total / 12 / size).quantize(Decimal("0.01")),
    }


def _level_orgs(household) -> list:
    """The responsible union and the two levels above it (at most up to the provincial federation)."""
    orgs = [household.org]
    org = household.org
    prefixes = [org.path[:end] for end in range(org.steplen, len(org.path), org.steplen)]
    ancestors = list(Org.objects.filter(path__in=prefixes).order_by("-depth"))
    for org in ancestors[:2]:
        if org.level >= 1:
            orgs.append(org)
    return orgs


def _opinions(household) -> list[dict]:
    """One block per level (the responsible union and the two above it, then any other union that gave an
    opinion, e.g. before a transfer): the opinions it recorded, oldest first, and the latest signatory/date."""
    by_org: dict[int, list] = {}
    for opinion in LevelOpinion.objects.filter(household=household).select_related("org").order_by("on", "id"):
        by_org.setdefault(opinion.org_id, []).append(opinion)
    orgs = _level_orgs(household)
    known = {org.pk for org in orgs}
    for opinions in by_org.values():
        if opinions[0].org_id not in known:
            orgs.append(opinions[0].org)
            known.add(opinions[0].org_id)
    blocks = []
    for org in orgs:
        opinions = by_org.get(org.pk, [])
        blocks.append({"org": org, "opinions": opinions, "last": opinions[-1] if opinions else None})
    return blocks


def _notice(household):
    """The current (latest) public notice of the archive, or None."""
    return PublicNotice.objects.filter(household=household).order_by("-starts_on", "-id").first()


def _common(household) -> dict:
    head = household.head
    main, secondary = _causes(household)
    members = _members(household)
    context = {"members": members, "main_cause": main, "secondary_causes": secondary,
               # The standard form has at least four member rows; empty ones are filled in by hand.
               "blank_member_rows": range(max(0, 4 - len(members)))}
    context.update(_head_rows(household, head))
    context.update(_incomes(household, head))
    return context


def _card(household) -> dict:
    context = _common(household)
    context["opinions"] = _opinions(household)
    context["notice"] = _notice(household)
    context["notice_passed"] = household.state in _AFTER_NOTICE
    return context


def _application(household) -> dict:
    return _common(household)


def _visit(household) -> dict:
    context = _common(household)
    context["visit"] = HomeVisit.objects.filter(household=household).order_by("-visited_on", "-id").first()
    return context


def _approval(household) -> dict:
    context = _common(household)
    context["opinions"] = _opinions(household)
    context["notice"] = _notice(household)
    return context


def _poster(request, household) -> dict:
    """The poster of the current notice: every household of the same union noticed for the same period at
    the same place (the notice board shows them together), within the user's scope. Only what a notice may
    show: the masked name and the category recorded on the notice — never ID, health or address."""
    notice = _notice(household)
    if notice is None:
        return {"notice": None, "rows": [], "union": household.org}
    in_scope = Household.objects.restrict(request.user, "view").filter(org_id=household.org_id)
    notices = (
        PublicNotice.objects.filter(
            household__in=in_scope, starts_on=notice.starts_on, ends_on=notice.ends_on, place=notice.place
        )
        .order_by("household_id", "-id")
        .values_list("household_id", "name_masked", "category")
    )
    rows, seen = [], set()
    for household_id, name_masked, category in notices:
        if household_id in seen:
            continue
        seen.add(household_id)
        label = Category(category).label if category in Category.values else ""
        rows.append({"name": name_masked, "category": label})
    return {"notice": notice, "rows": rows, "union": household.org}


_BUILDERS = {
    "card": _card,
    "application": _application,
    "visit": _visit,
    "approval": _approval,
    "notice": _poster,
}
