"""Forms of the payment pages. They collect and type-check input only (yuan → fen, dates, choices); every fund
rule is decided by `bangfu.funds.services.payments` / `bangfu.funds.rules`, whose breaches the views put on
the fields (`show_breaches`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import Role
from bangfu.funds.models import AidCategory, ApprovalDecision, DisbursementState, FundPolicy, FundSource
from bangfu.funds.models.policy import STATUTORY_LIVING_MULTIPLE, STATUTORY_SCHOOL_MONTHS
from bangfu.funds.money import MoneyError, format_yuan, to_fen
from bangfu.registry.forms import FILE_ACCEPT, BootstrapMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A sanity bound of the input, not a fund rule: beyond it a typo (or a pasted number) would overflow nothing but
# make no sense; the caps and the balance are checked by the rules.
MAX_AMOUNT_FEN = 100_000_000_00
# The longest approval chain an org may define. The inbox finds "my step" in SQL with one clause per position.
MAX_CHAIN_STEPS = 10
# Roles that may decide a step of an approval chain.
# Roles that hold funds.approve_disbursement (a case worker applies, never decides a step).
CHAIN_ROLES = (Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)


def yuan_to_fen(value: str, *, allow_zero: bool = False) -> int | None:
    """Parse an amount typed in yuan; raise ValidationError with a message the user can act on."""
    value = (value or "").strip()
    if not value:
        return None
    if "e" in value.lower():
        # No exponents: `to_fen("1e99999")` builds a 100,000-digit integer (a second of CPU) and "1e999999"
        # overflows the decimal context; a typed amount never needs one.
        raise ValidationError(_("Enter an amount in yuan with at most two decimals, e.g. 1200 or 1200.50."),
                              code="amount")
    try:
        fen = to_fen(value)
    except MoneyError:
        raise ValidationError(_("Enter an amount in yuan with at most two decimals, e.g. 1200 or 1200.50."),
                              code="amount") from None
    if abs(fen) > MAX_AMOUNT_FEN:
        raise ValidationError(_("The amount is too large (at most %(max)s yuan).")
                              % {"max": format_yuan(MAX_AMOUNT_FEN)}, code="amount")
    if allow_zero and fen < 0:
        raise ValidationError(_("Enter zero or more."), code="amount")
    return fen


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def show_breaches(self, refused) -> None:
        """Each broken rule at its field (when the form has it), otherwise at the top of the form."""
        for breach in refused.breaches:
            field = breach.field if breach.field in self.fields else None
            self.add_error(field, breach.message)


class HouseholdLookupForm(StyledForm):
    archive_number = forms.CharField(label=_("Archive number"), max_length=32)


class PaymentForm(StyledForm):
    """A new payment to one household. `orgs` are the unions that may pay it (the household's lineage)."""

    org = forms.ModelChoiceField(label=_("Paying union"), queryset=None, empty_label=None)
    source = forms.ModelChoiceField(label=_("Source of the money"), queryset=None)
    category = forms.ChoiceField(label=_("Aid category"), choices=[("", "---------"), *AidCategory.choices])
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=24,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    # Item and period are required by the write function (one message per rule): not repeated here.
    item = forms.CharField(label=_("Item"), max_length=100, required=False,
                           help_text=_("What is paid, e.g. 'hospital stay March 2026' or 'school year 2026'."))
    period = forms.CharField(label=_("Period covered"), max_length=16, required=False,
                             help_text=_("The period the payment covers, e.g. 2026, 2026-03 or 2026-H2."))
    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
    student = forms.ModelChoiceField(label=_("Student (school aid)"), queryset=None, required=False)
    out_of_pocket = forms.CharField(label=_("Out-of-pocket medical cost (yuan)"), max_length=24, required=False,
                                    help_text=_("Medical aid only: what the patient paid after insurance."))
    receipt = forms.FileField(label=_("Receipt of the medical cost"), required=False,
                              help_text=_("Medical aid only. PDF, JPEG or PNG; if the form is shown again, "
                                          "choose the file again."),
                              widget=forms.ClearableFileInput(attrs=FILE_ACCEPT))
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, orgs, household, initial_org=None, **kwargs):
        year = timezone.localdate().year
        kwargs.setdefault("initial", {}).update({"year": year, "period": str(year), "org": initial_org})
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda org: org.name
        self.fields["source"].queryset = FundSource.objects.filter(is_active=True)
        students = household.members.filter(is_student=True).order_by("birth_date", "id")
        self.fields["student"].queryset = students
        self.fields["student"].label_from_instance = lambda m: " · ".join(
            part for part in (m.name_masked, str(m.birth_date.year), m.school_stage) if part)

    def clean_amount(self):
        fen = yuan_to_fen(self.cleaned_data["amount"])
        if fen is None:
            raise ValidationError(_("Enter the amount."), code="required")
        return fen

    def clean_out_of_pocket(self):
        return yuan_to_fen(self.cleaned_data["out_of_pocket"], allow_zero=True)


class DecisionForm(StyledForm):
    """The decision of one approval step (meeting fields only where the step is a leadership decision)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=ApprovalDecision.choices, widget=forms.RadioSelect,
                                 initial=ApprovalDecision.APPROVE)
    comment = forms.CharField(label=_("Comment (the reason, if rejected)"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    meeting_date = forms.DateField(label=_("Meeting date"), required=False, widget=DATE)
    minutes_ref = forms.CharField(label=_("Minutes number"), max_length=64, required=False)
    minutes = forms.CharField(label=_("Meeting minutes (extract)"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, step: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not (step or {}).get("requires_minutes"):
            for name in ("meeting_date", "minutes_ref", "minutes"):
                del self.fields[name]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("decision", "comment", "meeting_date", "minutes_ref", "minutes")
                if key in data}


class CancelForm(StyledForm):
    # The write function refuses an empty reason with its own message.
    reason = forms.CharField(label=_("Reason of the cancellation"), max_length=200, required=False)


class BulkApproveForm(StyledForm):
    """Approve my step of several payments at once; meeting fields for a leadership step decided in one meeting."""

    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False)
    meeting_date = forms.DateField(label=_("Meeting date"), required=False, widget=DATE)
    minutes_ref = forms.CharField(label=_("Minutes number"), max_length=64, required=False)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"decision": ApprovalDecision.APPROVE, "comment": data["comment"]}
        if data.get("meeting_date") or data.get("minutes_ref"):
            kwargs.update(meeting_date=data.get("meeting_date"), minutes_ref=data.get("minutes_ref") or "")
        return kwargs


class PaymentFilterForm(StyledForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *DisbursementState.choices])
    category = forms.ChoiceField(label=_("Aid category"), required=False,
                                 choices=[("", _("All")), *AidCategory.choices])
    year = forms.IntegerField(label=_("Budget year"), required=False, min_value=2000, max_value=2100)
    org = forms.ModelChoiceField(label=_("Paying union (and its lower unions)"), required=False, queryset=None,
                                 empty_label=_("All"))
    archive = forms.CharField(label=_("Archive number"), required=False, max_length=32)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda org: org.name


class NoticeFilterForm(StyledForm):
    org = forms.ModelChoiceField(label=_("Paying union"), queryset=None, empty_label=None)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda org: org.name


# --- the rules of paying -------------------------------------------------------------------------------


class ChainStepForm(StyledForm):
    order = forms.IntegerField(label=_("Step"), min_value=1, max_value=99)
    # An empty first choice, so that the blank extra row is left out rather than read as a case worker's step.
    role = forms.ChoiceField(label=_("Role that decides"),
                             choices=[("", "---------"), *((r.value, r.label) for r in CHAIN_ROLES)])
    min_amount = forms.CharField(label=_("Applies from (yuan)"), max_length=24, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    requires_minutes = forms.BooleanField(label=_("Meeting minutes required"), required=False)
    label = forms.CharField(label=_("Name of the step"), max_length=64, required=False)

    def clean_min_amount(self):
        return yuan_to_fen(self.cleaned_data["min_amount"], allow_zero=True) or 0


class BaseChainFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        steps = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not steps:
            raise ValidationError(_("A chain needs at least one step."))
        orders = [s["order"] for s in steps]
        if len(set(orders)) != len(orders):
            raise ValidationError(_("Each step needs its own number: %(orders)s appear more than once.")
                                  % {"orders": ", ".join(str(o) for o in sorted({o for o in orders
                                                                                 if orders.count(o) > 1}))})
        if not any(s["min_amount"] == 0 for s in steps):
            # Otherwise a small payment would get an empty route and pass without any decision.
            raise ValidationError(_("At least one step must apply from 0 yuan, so that every payment is decided "
                                    "by someone."))

    def steps(self) -> list[dict]:
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        return sorted(({"order": r["order"], "role": r["role"], "min_amount_fen": r["min_amount"],
                        "requires_minutes": r["requires_minutes"], "label": r["label"].strip()} for r in rows),
                      key=lambda s: s["order"])


ChainFormSet = forms.formset_factory(ChainStepForm, formset=BaseChainFormSet, extra=1, can_delete=True,
                                     max_num=MAX_CHAIN_STEPS, validate_max=True, absolute_max=MAX_CHAIN_STEPS + 5)


class FundPolicyForm(StyledForm):
    """A new row of the org's fund rules from a date on (rows already in force are never edited)."""

    effective_from = forms.DateField(label=_("Effective from"), widget=DATE)
    living_aid_line_multiple = forms.IntegerField(
        label=FundPolicy._meta.get_field("living_aid_line_multiple").verbose_name, min_value=1,
        max_value=STATUTORY_LIVING_MULTIPLE)
    school_aid_months = forms.IntegerField(
        label=FundPolicy._meta.get_field("school_aid_months").verbose_name, min_value=1,
        max_value=STATUTORY_SCHOOL_MONTHS)
    household_yearly_max = forms.CharField(
        label=_("Yearly maximum per household (yuan)"), max_length=24, required=False,
        help_text=FundPolicy._meta.get_field("household_yearly_max_fen").help_text)
    living_aid_payments_per_year = forms.IntegerField(
        label=FundPolicy._meta.get_field("living_aid_payments_per_year").verbose_name, min_value=1, max_value=52,
        required=False, help_text=FundPolicy._meta.get_field("living_aid_payments_per_year").help_text)
    notice_required = forms.BooleanField(label=FundPolicy._meta.get_field("notice_required").verbose_name,
                                         required=False)
    notice_days = forms.IntegerField(label=FundPolicy._meta.get_field("notice_days").verbose_name,
                                     min_value=0, max_value=60)
    source = forms.CharField(label=_("Source of these rules (document)"), max_length=200, required=False)

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_household_yearly_max(self):
        return yuan_to_fen(self.cleaned_data["household_yearly_max"], allow_zero=True)

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < timezone.localdate():
            # A back-dated row would change which rules past payments were checked against.
            raise ValidationError(_("Rules take effect from today or a later date; past rules are never changed."))
        if FundPolicy.objects.filter(org=self.org, effective_from=day).exists():
            raise ValidationError(_("This union already has rules from %(date)s.") % {"date": day.isoformat()})
        return day

    def row_values(self) -> dict:
        data = self.cleaned_data
        return {
            "effective_from": data["effective_from"],
            "living_aid_line_multiple": data["living_aid_line_multiple"],
            "school_aid_months": data["school_aid_months"],
            "household_yearly_max_fen": data["household_yearly_max"],
            "living_aid_payments_per_year": data["living_aid_payments_per_year"],
            "notice_required": data["notice_required"],
            "notice_days": data["notice_days"],
            "source": data["source"].strip(),
        }

    @staticmethod
    def initial_from(policy: FundPolicy) -> dict:
        yearly = policy.household_yearly_max_fen
        return {
            "effective_from": timezone.localdate(),
            "living_aid_line_multiple": policy.living_aid_line_multiple,
            "school_aid_months": policy.school_aid_months,
            "household_yearly_max": format_yuan(yearly).replace(",", "") if yearly is not None else "",
            "living_aid_payments_per_year": policy.living_aid_payments_per_year,
            "notice_required": policy.notice_required,
            "notice_days": policy.notice_days,
        }
