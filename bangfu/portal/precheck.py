"""The eligibility pre-check of the portal: a short form turned into the body of `POST /api/v1/eligibility-check`
and run through the very same serializer and engine (`bangfu.registry.api_eligibility`), so the portal never
classifies on its own. Nothing is saved."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import BootstrapMixin
from bangfu.core.months import month_starts
from bangfu.registry import api_eligibility
from bangfu.registry.models import Category, CommonLevel
from bangfu.registry.models.codes import CodeList, code_choices

MAX_OTHER_MEMBERS = 8
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PrecheckForm(BootstrapMixin, forms.Form):
    division = forms.CharField(label=_("District code where the family lives"), max_length=6, min_length=6,
                               help_text=_("Six digits, e.g. 440106. Filled in from your archive when there is one."),
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    head_birth_date = forms.DateField(label=_("Your birth date"), widget=DATE)
    head_work_status = forms.ChoiceField(label=_("Your work status"), required=False)
    others = forms.CharField(
        label=_("Birth dates of the other members of the household"), required=False,
        help_text=_("One per line as YYYY-MM-DD; add “student” after a student's date, e.g. 2012-09-01 student."),
        widget=forms.Textarea(attrs={"rows": 3}))
    monthly_income = forms.DecimalField(label=_("Income of the whole household per month (yuan, last 12 months "
                                                "on average)"), min_value=0, max_digits=12, decimal_places=2)
    medical_costs = forms.DecimalField(label=_("Medical costs paid yourselves in the last 12 months (yuan)"),
                                       min_value=0, max_digits=12, decimal_places=2, required=False)
    education_costs = forms.DecimalField(label=_("School costs in the last 12 months (yuan)"), min_value=0,
                                         max_digits=12, decimal_places=2, required=False)
    on_minimum_living_roster = forms.BooleanField(label=_("The family receives minimum-living aid (低保)"),
                                                  required=False)
    main_cause = forms.ChoiceField(label=_("Main cause of hardship"))
    secondary_causes = forms.MultipleChoiceField(
        label=_("Other causes (up to three)"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head_work_status"].choices = [("", "—")] + code_choices(CodeList.WORK_STATUS)
        causes = code_choices(CodeList.CAUSE)
        self.fields["main_cause"].choices = [("", "—")] + causes
        self.fields["secondary_causes"].choices = causes

    def clean_others(self):
        rows = []
        for number, line in enumerate((self.cleaned_data.get("others") or "").splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                born = dt.date.fromisoformat(parts[0])
            except ValueError:
                raise forms.ValidationError(_("Line %(n)d: write the date as YYYY-MM-DD.") % {"n": number}) from None
            rows.append({"birth_date": born.isoformat(), "is_student": any("student" in p.lower() or "学生" in p
                                                                            for p in parts[1:])})
        if len(rows) > MAX_OTHER_MEMBERS:
            raise forms.ValidationError(_("At most %(n)d other members.") % {"n": MAX_OTHER_MEMBERS})
        return rows

    def body(self, on: dt.date | None = None) -> dict:
        """The eligibility-check API's request body for these answers."""
        data = self.cleaned_data
        on = on or timezone.localdate()
        head = {"birth_date": data["head_birth_date"].isoformat(), "work_status": data["head_work_status"] or ""}
        expenses = [{"kind": kind, "date": (on - dt.timedelta(days=30)).isoformat(), "amount": str(amount)}
                    for kind, amount in (("medical", data.get("medical_costs")),
                                         ("education", data.get("education_costs"))) if amount]
        months = month_starts(on, 12)
        return {
            "division": data["division"], "on": on.isoformat(),
            "members": [head, *data["others"]],
            "incomes": [{"member": 0, "month": f"{m:%Y-%m}", "income_type": "wage",
                         "amount": str(data["monthly_income"])} for m in months] if data["monthly_income"] else [],
            "expenses": expenses,
            "on_minimum_living_roster": data["on_minimum_living_roster"],
            "main_cause": data["main_cause"], "secondary_causes": list(data["secondary_causes"]),
        }


def run(form: PrecheckForm) -> dict | None:
    """Validate the body with the API's serializer and classify it with the API's function; the API's field paths
    become errors of the form. None when refused."""
    from bangfu.registry.panels.classification import category_label, plain_lines

    serializer = api_eligibility.EligibilityRequestSerializer(data=form.body())
    if not serializer.is_valid():
        for path, messages in api_eligibility.flatten_errors(serializer.errors).items():
            field = path.split(".")[0]
            target = {"members": None, "incomes": "monthly_income", "expenses": None}.get(field, field)
            for message in messages:
                form.add_error(target if target in form.fields else None, message)
        return None
    result = api_eligibility.check(serializer.validated_data)
    level = result.common_level
    return {
        "category": result.category, "category_label": category_label(result.category),
        "eligible": result.category not in ("", Category.NOT_ELIGIBLE) and level != CommonLevel.NONE,
        "reasons": plain_lines(result.explanation),
        "formula_version": result.formula_version,
    }
