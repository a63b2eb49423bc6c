"""Forms of the archive pages. They only collect and type-check input; every rule is in the write
functions of `bangfu.registry.services.archive` / `.evidence`, whose field-level errors the forms show
(`ServiceForm.apply_errors`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from bangfu.core.forms import ServiceErrorsMixin
from bangfu.core.identity import DocumentType
from bangfu.orgs.models import Division
from bangfu.registry.models import ArchiveLevel, ConsentKind, Sex
from bangfu.registry.models.codes import CodeList, code_choices
from bangfu.registry.services.archive import ASSET_FIELDS, income_months

division_code = RegexValidator(r"^\d{6}$", _("Enter a six-digit division code."))
FILE_ACCEPT = {"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
NOTICE_PLACES = [("", "---------"), ("workplace", _("Workplace")), ("community", _("Community"))]


def code_field(code_list: str, label, *, required: bool = False, help_text: str = "") -> forms.ChoiceField:
    """A select of the active entries of a code list (labels in the user's language)."""
    return forms.ChoiceField(
        label=label, required=required, help_text=help_text,
        choices=lambda: [("", "---------"), *code_choices(code_list)],
    )


class BootstrapMixin:
    """Bootstrap 5 classes on every widget."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ServiceForm(BootstrapMixin, ServiceErrorsMixin, forms.Form):
    """A form whose save goes through a write function: its ValidationErrors land on the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def add_error(self, field, error):
        # add_error removes a field from cleaned_data; the form is re-shown anyway.
        if field is not None and field not in self.fields:
            field = None
        super().add_error(field, error)


class DivisionField(forms.CharField):
    """A six-digit division code (GB/T 2260) that must be in the division table."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("validators", [division_code])
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        division = Division.objects.filter(pk=value).first()
        if division is None:
            raise ValidationError(_("Unknown division code."), code="unknown")
        return division


DATE = {"type": "date"}


class HouseholdForm(ServiceForm):
    """Household facts (create and edit)."""

    division = DivisionField(label=_("residence division (6-digit code)"),
                             help_text=_("Decides the minimum-living line, e.g. 440106."))
    registration_division = DivisionField(label=_("household-registration division"), required=False)
    address = forms.CharField(label=_("address"), required=False, max_length=200)
    housing_type = code_field(CodeList.HOUSING, _("housing type"))
    housing_area = forms.DecimalField(label=_("floor area (m²)"), required=False, min_value=0, max_digits=7,
                                      decimal_places=2)
    single_parent = forms.BooleanField(label=_("single-parent family"), required=False)
    zero_employment = forms.BooleanField(label=_("zero-employment household"), required=False)
    some_self_help_ability = forms.BooleanField(label=_("some self-help ability"), required=False)
    on_minimum_living_roster = forms.BooleanField(label=_("on the civil-affairs minimum-living roster"),
                                                  required=False)
    below_line_after_government_aid = forms.BooleanField(label=_("still below the line after government aid"),
                                                         required=False)
    is_migrant_worker = forms.BooleanField(label=_("migrant worker household"), required=False)
    urgent_care = forms.BooleanField(label=_("urgent care needed"), required=False)
    is_temporary_relief = forms.BooleanField(label=_("temporary-relief archive"), required=False)
    applied_by_union = forms.BooleanField(label=_("applied by the union on the worker's behalf"), required=False)
    bank_name = forms.CharField(label=_("bank"), required=False, max_length=64)
    bank_account = forms.CharField(
        label=_("bank account (real-name card)"), required=False, max_length=40,
        help_text=_("Leave empty to keep the account on file."),
    )
    bank_account_holder = forms.CharField(
        label=_("account holder"), required=False, max_length=64,
        help_text=_("The name on the card; assistance is paid only to a card in the head's name."),
    )
    remarks = forms.CharField(label=_("remarks"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    FLAGS = ("single_parent", "zero_employment", "some_self_help_ability", "on_minimum_living_roster",
             "below_line_after_government_aid", "is_migrant_worker", "urgent_care", "is_temporary_relief",
             "applied_by_union")

    def __init__(self, *args, household=None, **kwargs):
        if household is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "division": household.division_id, "registration_division": household.registration_division_id,
                "address": household.address, "housing_type": household.housing_type,
                "housing_area": household.housing_area, "bank_name": household.bank_name,
                "bank_account_holder": household.bank_account_holder,
                "remarks": household.remarks, **{f: getattr(household, f) for f in self.FLAGS},
            }
        super().__init__(*args, **kwargs)
        if household is not None and household.bank_account_last4:
            self.fields["bank_account"].widget.attrs["placeholder"] = household.bank_account_masked

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("bank_account"):
            data.pop("bank_account", None)  # empty: keep what is on file
        return data


class CreateForm(HouseholdForm):
    org = forms.ModelChoiceField(label=_("responsible union"), queryset=None)
    archive_level = forms.TypedChoiceField(label=_("archive level"), coerce=int, choices=ArchiveLevel.choices,
                                           help_text=_("Chosen now; not above your union's level."))

    def __init__(self, *args, orgs=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        if user is not None and user.org_id:
            self.fields["org"].initial = user.org_id
            self.fields["archive_level"].choices = [
                (value, label) for value, label in ArchiveLevel.choices if value >= user.org.level
            ]
            self.fields["archive_level"].initial = ArchiveLevel.GRASSROOTS
            self.fields["division"].initial = user.org.division_id
        self.order_fields(["org", "archive_level"])


class MemberForm(ServiceForm):
    """A person of the household; the head's extra facts are shown for the head only."""

    name = forms.CharField(label=_("name"), max_length=64)
    relation = code_field(CodeList.RELATION, _("relation to the head"), required=True)
    document_type = forms.ChoiceField(label=_("identity document"), choices=DocumentType.CHOICES,
                                      initial=DocumentType.RESIDENT_ID)
    identity_number = forms.CharField(
        label=_("identity number"), max_length=40, required=False,
        help_text=_("Full-width digits, spaces and a lower-case x are accepted."),
    )
    sex = forms.ChoiceField(label=_("sex"), required=False, choices=[("", "---------"), *Sex.choices],
                            help_text=_("Read from the ID number when left empty."))
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=forms.DateInput(attrs=DATE),
                                 help_text=_("Read from the ID number when left empty."))
    phone = forms.CharField(label=_("phone"), required=False, max_length=20)
    health = code_field(CodeList.HEALTH, _("health status"))
    diagnosis = forms.CharField(label=_("disease / diagnosis"), required=False, max_length=500)
    disability_type = code_field(CodeList.DISABILITY_TYPE, _("disability type"))
    disability_grade = forms.TypedChoiceField(
        label=_("disability grade"), required=False, coerce=int, empty_value=None,
        choices=[("", "---------"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    work_status = code_field(CodeList.WORK_STATUS, _("work status"))
    able_to_work = forms.BooleanField(label=_("able-bodied"), required=False, initial=True)
    is_student = forms.BooleanField(label=_("student"), required=False)
    school_stage = code_field(CodeList.SCHOOL_STAGE, _("school stage"))
    school_name = forms.CharField(label=_("school"), required=False, max_length=100)
    school_entry_year = forms.IntegerField(label=_("year of entry"), required=False, min_value=1900, max_value=2100)
    school_length_years = forms.IntegerField(label=_("length of study (years)"), required=False, min_value=0,
                                             max_value=12)
    evidence_of_no_income = forms.BooleanField(label=_("evidence that no minimum wage should be imputed"),
                                               required=False)
    medical_insurance = code_field(CodeList.MEDICAL_INSURANCE, _("medical insurance"))
    marital_status = code_field(CodeList.MARITAL, _("marital status"))
    hukou_type = code_field(CodeList.HUKOU, _("hukou type"))
    monthly_income_declared = forms.DecimalField(label=_("declared monthly income (yuan)"), required=False,
                                                 min_value=0, max_digits=10, decimal_places=2)
    # Head only:
    worker_number = forms.CharField(label=_("worker number"), required=False, max_length=32)
    ethnicity = code_field(CodeList.ETHNICITY, _("ethnicity"))
    political_status = code_field(CodeList.POLITICAL, _("political status"))
    model_worker_level = code_field(CodeList.MODEL_WORKER, _("model-worker level"))
    work_started_on = forms.DateField(label=_("start of work"), required=False, widget=forms.DateInput(attrs=DATE))
    industry = code_field(CodeList.INDUSTRY, _("industry"))
    employer_name = forms.CharField(label=_("employer"), required=False, max_length=128)
    employer_type = code_field(CodeList.EMPLOYER_TYPE, _("employer type"))
    is_union_member = forms.BooleanField(label=_("union member"), required=False, initial=True)
    lives_in_city = forms.BooleanField(label=_("lives in the city"), required=False, initial=True)
    labour_relation_since = forms.DateField(label=_("labour relationship since"), required=False,
                                            widget=forms.DateInput(attrs=DATE))

    HEAD_ONLY = ("worker_number", "ethnicity", "political_status", "model_worker_level", "work_started_on",
                 "industry", "employer_name", "employer_type", "is_union_member", "lives_in_city",
                 "labour_relation_since")
    PERSON = ("name", "relation", "document_type", "identity_number", "sex", "birth_date", "phone")
    HEALTH = ("health", "diagnosis", "disability_type", "disability_grade", "medical_insurance")
    WORK = ("work_status", "able_to_work", "monthly_income_declared", "marital_status", "hukou_type",
            "evidence_of_no_income")
    SCHOOL = ("is_student", "school_stage", "school_name", "school_entry_year", "school_length_years")

    def __init__(self, *args, member=None, is_head=False, **kwargs):
        self.member = member
        self.is_head = is_head or (member is not None and member.is_head)
        if member is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(member, name) for name in
                (*self.PERSON, *self.HEALTH, *self.WORK, *self.SCHOOL, *self.HEAD_ONLY)
                if name not in ("identity_number", "phone")
            }
        super().__init__(*args, **kwargs)
        if self.is_head:
            del self.fields["relation"]
        else:
            for name in self.HEAD_ONLY:
                del self.fields[name]
        if member is not None:
            self.fields["identity_number"].widget.attrs["placeholder"] = member.identity_masked
            self.fields["identity_number"].help_text = _("Leave empty to keep the number on file.")
            self.fields["phone"].widget.attrs["placeholder"] = member.phone_masked
        else:
            self.fields["identity_number"].required = True
        self.fields["identity_number"].widget.attrs["autocomplete"] = "off"

    def section(self, names):
        return [self[name] for name in names if name in self.fields]

    def sections(self):
        return [
            (_("Person"), self.section(self.PERSON)),
            (_("Health and insurance"), self.section(self.HEALTH)),
            (_("Work and income"), self.section(self.WORK)),
            (_("School"), self.section(self.SCHOOL)),
            (_("Head of household"), self.section(self.HEAD_ONLY)),
        ]

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if self.member is not None:
            if not data.get("phone"):
                data.pop("phone", None)
            if not data.get("identity_number"):
                data.pop("identity_number", None)
        for name in ("monthly_income_declared",):
            if data.get(name) is None:
                data[name] = 0
        if not data.get("sex"):
            data["sex"] = ""
        return data


class CausesForm(ServiceForm):
    main = code_field(CodeList.CAUSE, _("main cause"), required=False,
                      help_text=_("Exactly one."))
    secondary = forms.MultipleChoiceField(
        label=_("secondary causes"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: code_choices(CodeList.CAUSE), help_text=_("At most three."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secondary"].widget.attrs["class"] = "form-check-input"


class IncomeGridForm(ServiceForm):
    """Members × months for one income type; an empty cell means no income of this type that month."""

    def __init__(self, *args, members=(), months=(), existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.months = list(months)
        existing = existing or {}
        self.rows = []
        for member in self.members:
            cells = []
            for month in self.months:
                name = self.cell_name(member.pk, month)
                self.fields[name] = forms.DecimalField(
                    required=False, min_value=0, max_digits=12, decimal_places=2,
                    label=f"{member.name_masked} {month:%Y-%m}",
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end px-1",
                                                    "step": "0.01", "min": "0"}),
                    initial=existing.get((member.pk, month)),
                )
                cells.append(self[name])
            self.rows.append((member, cells))

    @staticmethod
    def cell_name(member_id: int, month: dt.date) -> str:
        return f"m{member_id}_{month:%Y%m}"

    def service_rows(self, income_type: str) -> list[dict]:
        rows = []
        for member in self.members:
            for month in self.months:
                name = self.cell_name(member.pk, month)
                rows.append({"member": member.pk, "month": month, "income_type": income_type,
                             "amount": self.cleaned_data.get(name)})
        return rows


def income_window(page: int) -> list[dt.date]:
    """Page 0: the last 12 months; page 1: the 12 before (the 24 months that may be recorded)."""
    months = income_months()
    return months[12:] if page == 0 else months[:12]


class ExpenseForm(ServiceForm):
    kind = code_field(CodeList.EXPENSE_KIND, _("kind"), required=True)
    member = forms.TypedChoiceField(label=_("member"), required=False, coerce=int, empty_value=None)
    incurred_on = forms.DateField(label=_("date"), widget=forms.DateInput(attrs=DATE))
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "---------")] + [
            (m.pk, m.name_masked) for m in household.members.all()
        ]


class AssetsForm(ServiceForm):
    residential_homes = forms.IntegerField(label=_("residential homes owned"), min_value=0, max_value=99)
    non_residential_property = forms.BooleanField(
        label=_("owns non-residential property (shop, office, parking space)"), required=False)
    business_with_employees = forms.BooleanField(label=_("runs a business that employs others"), required=False)
    high_fee_private_school = forms.BooleanField(
        label=_("a child at a high-fee private school (fees over twice the public equivalent)"), required=False)
    studying_abroad_own_cost = forms.BooleanField(label=_("a child studying abroad at own cost"), required=False)
    motor_vehicle = forms.BooleanField(
        label=_("owns or regularly uses a motor vehicle"), required=False,
        help_text=_("Disabled-mobility vehicles, motorbikes and e-bikes do not count."))
    savings = forms.DecimalField(label=_("savings (yuan)"), min_value=0, max_digits=14, decimal_places=2)
    net_investment_assets = forms.DecimalField(label=_("net investment assets (yuan)"), min_value=0,
                                               max_digits=14, decimal_places=2)
    declared_on = forms.DateField(label=_("declared on"), required=False, widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, declaration=None, **kwargs):
        if declaration is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(declaration, name) for name in ASSET_FIELDS}
        super().__init__(*args, **kwargs)


class ConsentForm(ServiceForm):
    kind = forms.ChoiceField(label=_("consent"), choices=[("", "---------"), *ConsentKind.choices])
    member = forms.TypedChoiceField(label=_("member concerned"), required=False, coerce=int, empty_value=None,
                                    help_text=_("For a guardian consent: the member under 14."))
    signed_on = forms.DateField(label=_("signed on"), widget=forms.DateInput(attrs=DATE))
    signed_by_name = forms.CharField(label=_("signed by"), max_length=64)
    notice_content = forms.CharField(label=_("what the notice may show"), required=False, max_length=200,
                                     help_text=_("For the public-notice consent: e.g. masked name and category."))
    notice_place = forms.ChoiceField(label=_("where the notice is posted"), required=False, choices=NOTICE_PLACES)
    scan = forms.FileField(label=_("scan of the signed paper"), required=False,
                           help_text=_("PDF, JPEG or PNG."), widget=forms.ClearableFileInput(attrs=FILE_ACCEPT))

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "---------")] + [
            (m.pk, m.name_masked) for m in household.members.all()
        ]


class AttachmentForm(ServiceForm):
    kind = code_field(CodeList.EVIDENCE, _("document"), required=True)
    member = forms.TypedChoiceField(label=_("member"), required=False, coerce=int, empty_value=None)
    file = forms.FileField(label=_("file"), help_text=_("PDF, JPEG or PNG."),
                           widget=forms.ClearableFileInput(attrs=FILE_ACCEPT))

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "---------")] + [
            (m.pk, m.name_masked) for m in household.members.all()
        ]


class RemoveForm(ServiceForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)
