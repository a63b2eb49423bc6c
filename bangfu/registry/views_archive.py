"""Pages that enter and edit an archive: create (draft), household facts, members, causes, incomes,
expenses, assets, consents, evidence files; the audited reveal and the scoped, audited download.

Views stay thin: they find the household in the user's scope (`get_scoped_or_404`: another union's
archive is a 404), hand the form's data to a write function of `bangfu.registry.services`, and show its
field-level errors. Editing needs the `change` permission on the household (404 otherwise).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org
from bangfu.registry import forms
from bangfu.registry.models import (
    CLOSED_STATES,
    AssetDeclaration,
    Attachment,
    CodeList,
    Consent,
    Expense,
    MonthlyIncome,
)
from bangfu.registry.models.codes import code_choices, code_label
from bangfu.registry.services import archive as services
from bangfu.registry.services.evidence import attachment_add, evidence_checklist
from bangfu.registry.views_detail import household_for_page

MEMBER_GROUPS = ("PERSON", "HEALTH", "WORK", "SCHOOL", "HEAD_ONLY")


def _editable(request, pk):
    """The household for an edit page: in scope with `change`, and not closed."""
    household = household_for_page(request, pk, "change")
    if household.state in CLOSED_STATES:
        messages.error(request, _("This archive is closed and read-only: it can no longer be changed."))
        return household, redirect("registry:detail", pk=household.pk)
    return household, None


def _crumbs(household, label):
    return [(household.archive_number, reverse("registry:detail", args=[household.pk])), (label, "")]


def _page(request, template, household, title, **context):
    context.update(household=household, title=title, crumbs=_crumbs(household, title))
    return render(request, f"registry/archive/{template}", context)


# --- create and household facts ----------------------------------------------------------------------


@login_required
def household_create(request):
    user = request.user
    if not user.has_role_permission("registry.add_household"):
        raise PermissionDenied
    orgs = Org.objects.restrict(user, "view").filter(is_active=True).order_by("path")
    form = forms.CreateForm(request.POST or None, orgs=orgs, user=user, prefix="hh")
    head = forms.MemberForm(request.POST or None, is_head=True, prefix="head")
    if request.method == "POST" and form.is_valid() & head.is_valid():
        org = form.cleaned_data["org"]  # among the orgs of the user's subtree (the field's queryset)
        data = form.service_data()
        data["archive_level"] = form.cleaned_data["archive_level"]
        try:
            household = services.household_create(user, org, data, head.service_data())
        except ValidationError as error:
            _split_errors(error, form, head)
        else:
            messages.success(
                request,
                _("Archive %(number)s was created as a draft. Complete it now or come back later.")
                % {"number": household.archive_number},
            )
            return redirect("registry:detail", pk=household.pk)
    return render(request, "registry/archive/create.html", {
        "form": form, "head": head, "title": _("New household archive"),
        "crumbs": [(_("New household archive"), "")],
    })


def _split_errors(error: ValidationError, household_form, member_form) -> None:
    """Send each field's errors to the form that has the field."""
    if not hasattr(error, "error_dict"):
        household_form.apply_errors(error)
        return
    for field, messages_ in error.message_dict.items():
        target = member_form if field in member_form.fields else household_form
        for message in messages_:
            target.add_error(field if field in target.fields else None, message)


@login_required
def household_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    form = forms.HouseholdForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(request.user, household, form.service_data())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The household facts were saved."))
            return redirect("registry:detail", pk=household.pk)
    return _page(request, "household_form.html", household, _("Household facts"), form=form)


# --- members ------------------------------------------------------------------------------------------


@login_required
def member_add(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    form = forms.MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(request.user, household, form.service_data())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The member was added."))
            return redirect(reverse("registry:detail", args=[household.pk]) + "#members")
    return _page(request, "member_form.html", household, _("Add a member"), form=form)


def _member(household, member_pk):
    return get_object_or_404(household.members.all(), pk=member_pk)


@login_required
def member_edit(request, pk, member_pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    member = _member(household, member_pk)
    form = forms.MemberForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(request.user, member, form.service_data())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The member was saved."))
            return redirect(reverse("registry:detail", args=[household.pk]) + "#members")
    return _page(request, "member_form.html", household, _("Edit member %(name)s") % {"name": member.name_masked},
                 form=form, member=member)


@login_required
def member_remove(request, pk, member_pk):
    household = household_for_page(request, pk, "change")
    member = get_object_or_404(household.members.all(), pk=member_pk)
    if not request.user.has_role_permission("registry.delete_member"):
        raise Http404
    form = forms.RemoveForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.member_remove(request.user, member, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The member was removed."))
            return redirect(reverse("registry:detail", args=[household.pk]) + "#members")
    return _page(request, "member_remove.html", household, _("Remove member %(name)s") % {
        "name": member.name_masked}, form=form, member=member, error=error)


# --- causes, incomes, expenses, assets ---------------------------------------------------------------


@login_required
def causes_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    causes = list(household.causes.all())
    initial = {"main": next((c.code for c in causes if c.is_main), ""),
               "secondary": [c.code for c in causes if not c.is_main]}
    form = forms.CausesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.causes_set(household, form.cleaned_data["main"], form.cleaned_data["secondary"],
                                actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The causes were saved."))
            return redirect(reverse("registry:detail", args=[household.pk]) + "#causes")
    return _page(request, "causes_form.html", household, _("Causes of hardship"), form=form)


@login_required
def incomes_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    types = code_choices(CodeList.INCOME_TYPE)
    valid_types = {code for code, _label in types}
    income_type = request.GET.get("type") or "wage"
    if income_type not in valid_types:
        income_type = "wage"
    page = 1 if request.GET.get("page") == "1" else 0
    months = forms.income_window(page)
    members = list(household.members.all())
    existing = {
        (row.member_id, row.month): _plain(row.amount)
        for row in MonthlyIncome.objects.filter(household=household, income_type=income_type, month__in=months)
    }
    form = forms.IncomeGridForm(request.POST or None, members=members, months=months, existing=existing)
    if request.method == "POST" and form.is_valid():
        try:
            services.incomes_set(household, form.service_rows(income_type), actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The incomes were saved."))
            return redirect(f"{reverse('registry:incomes', args=[household.pk])}?type={income_type}&page={page}")
    totals = dict(_income_totals(household))
    type_rows = [(code, label, totals.get(code)) for code, label in types]
    return _page(request, "incomes_form.html", household, _("Incomes"), form=form, types=type_rows,
                 income_type=income_type, income_type_label=code_label(CodeList.INCOME_TYPE, income_type),
                 page=page, months=months)


def _plain(amount):
    """1800.00 -> "1800", 1800.50 -> "1800.5": short enough for the grid's narrow cells."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _income_totals(household):
    from django.db.models import Sum

    months = services.income_months(count=12)
    rows = (MonthlyIncome.objects.filter(household=household, month__in=months)
            .values_list("income_type").annotate(total=Sum("amount")).order_by())
    return list(rows)


@login_required
def expenses_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    form = forms.ExpenseForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.expense_add(household, form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The expense was added."))
            return redirect("registry:expenses", pk=household.pk)
    expenses = Expense.objects.filter(household=household).select_related("member").order_by("-incurred_on", "-id")
    return _page(request, "expenses_form.html", household, _("Expenses and accident costs"), form=form,
                 expenses=expenses)


@login_required
@require_POST
def expense_remove(request, pk, expense_pk):
    household = household_for_page(request, pk, "change")
    expense = get_object_or_404(Expense.objects.filter(household=household), pk=expense_pk)
    try:
        services.expense_remove(expense, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The expense was removed."))
    return redirect("registry:expenses", pk=household.pk)


@login_required
def assets_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    declaration = AssetDeclaration.objects.filter(household=household).first()
    form = forms.AssetsForm(request.POST or None, declaration=declaration)
    if request.method == "POST" and form.is_valid():
        try:
            services.assets_set(household, form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The assets declaration was saved."))
            return redirect(reverse("registry:detail", args=[household.pk]) + "#assets")
    return _page(request, "assets_form.html", household, _("Assets declaration"), form=form)


# --- consents and evidence ---------------------------------------------------------------------------


@login_required
def consents_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    form = forms.ConsentForm(request.POST or None, request.FILES or None, household=household)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        scan = data.pop("scan", None)
        try:
            services.consent_record(household, data, actor=request.user, scan=scan)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("registry:consents", pk=household.pk)
    consents = Consent.objects.filter(household=household).select_related("member", "scan")
    return _page(request, "consents_form.html", household, _("Consents"), form=form, consents=consents,
                 missing=services.missing_consents(household))


@login_required
def attachments_edit(request, pk):
    household, closed = _editable(request, pk)
    if closed:
        return closed
    initial = {"kind": request.GET.get("kind", "")}
    form = forms.AttachmentForm(request.POST or None, request.FILES or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            attachment_add(household, form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                           actor=request.user, member=form.cleaned_data["member"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The file was uploaded."))
            return redirect("registry:attachments", pk=household.pk)
    attachments = Attachment.objects.filter(household=household).select_related("member")
    return _page(request, "attachments_form.html", household, _("Evidence files"), form=form,
                 attachments=attachments, checklist=evidence_checklist(household), can_edit=True,
                 max_mb=settings.BANGFU_MAX_UPLOAD_MB)


@login_required
def attachment_download(request, pk, attachment_pk):
    """The only way to a stored file: scoped (404 for another union), audited, never rendered inline."""
    household = household_for_page(request, pk, "view")
    attachment = get_scoped_or_404(Attachment.objects.filter(household=household), request.user, "view",
                                   pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    audit.log_access(request, "view", obj=attachment, what="download", sha256=attachment.sha256)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- reveal -------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_POST
def reveal(request, pk):
    """Show one full identity number (`member` = id) or the bank account (`field=bank_account`), audited."""
    household = household_for_page(request, pk, "reveal")
    field = request.POST.get("field", "identity_number")
    if field == "bank_account":
        value = household.bank_account
        subject, obj = _("Bank account"), household
    elif field == "identity_number":
        member_id = request.POST.get("member", "")
        if not member_id.isdigit():
            raise Http404
        member = get_object_or_404(household.members.all(), pk=int(member_id))
        value = member.identity_number
        subject, obj = member.name_masked, member
    else:
        raise Http404
    audit.log_access(request, "reveal", obj=obj, field=field)
    return _page(request, "reveal.html", household, _("Revealed value"), value=value, subject=subject,
                 field=field)
