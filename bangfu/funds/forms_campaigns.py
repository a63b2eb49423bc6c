"""Forms of the campaign pages. They only parse what was typed (yuan → fen, ticks → lists); every rule
about criteria, amounts and payments is checked by `bangfu.funds.services.campaigns`."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.funds.models import Campaign, FundSource
from bangfu.funds.money import MoneyError, to_fen, to_yuan
from bangfu.funds.services.campaigns import CATEGORIES, DEFAULT_AMOUNTS, LEVELS, RULE_KEY
from bangfu.orgs.models import Org
from bangfu.registry.models import Category, CommonLevel
from bangfu.registry.models.codes import code_choices

Kind = Campaign.Kind
AMOUNT_ERROR = _("Enter an amount in yuan, such as 800 or 800.50.")


def parse_yuan(text):
    """Typed yuan → fen; '' → None; raises MoneyError for anything that is not a number."""
    text = (text or "").strip()
    return None if not text else to_fen(text)


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Campaign name"), max_length=100)
    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
    period = forms.CharField(label=_("Period covered"), max_length=16,
                             help_text=_("The period the payments cover, e.g. 2027春节 or 2026秋季."))
    org = forms.ModelChoiceField(label=_("Paying union"), queryset=Org.objects.none())
    source = forms.ModelChoiceField(label=_("Fund source"), queryset=FundSource.objects.filter(is_active=True))
    levels = forms.MultipleChoiceField(label=_("Common levels"), required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=[(c, CommonLevel(c).label) for c in LEVELS])
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(c, Category(c).label) for c in CATEGORIES], help_text=_("None ticked: any category."))
    causes = forms.MultipleChoiceField(label=_("Causes of hardship"), required=False,
                                       widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any cause."))
    cause_scope = forms.ChoiceField(label=_("Cause is"), widget=forms.RadioSelect, initial="main",
                                    choices=[("main", _("the main cause")), ("any", _("any of the causes"))])
    school_stages = forms.MultipleChoiceField(label=_("School stages"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    exclude_paid = forms.BooleanField(
        label=_("Leave out those already paid aid of this category this year"), required=False, initial=True,
        help_text=_("Festive aid: households; school aid: students."))

    def __init__(self, *args, user, campaign: Campaign | None = None, kind: str = Kind.FESTIVE, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Org.objects.restrict(user, "view").filter(is_active=True).order_by("path")
        top = getattr(user.org, "depth", 1) if getattr(user, "org_id", None) else 1  # indent below the user's own union
        self.fields["org"].label_from_instance = lambda org: f"{'—' * max(org.depth - top, 0)} {org.name}".strip()
        self.fields["causes"].choices = code_choices("cause")
        self.fields["school_stages"].choices = code_choices("school_stage")
        self.stage_codes = [code for code, _label in self.fields["school_stages"].choices]
        for code in (*LEVELS, *self.stage_codes):
            self.fields[f"amount_{code}"] = forms.CharField(label=_("Amount (yuan)"), required=False, max_length=20)
        for name, field in self.fields.items():
            if not isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select)
                                              else "form-control")
            if name.startswith("amount_"):
                field.widget.attrs.update({"inputmode": "decimal", "class": "form-control form-control-sm text-end"})
        self.initial.update(self._initial(campaign, kind, user))

    def _initial(self, campaign, kind, user) -> dict:
        if campaign is not None:
            criteria, rule = campaign.criteria or {}, (campaign.amount_rule or {}).get(RULE_KEY[campaign.kind], {})
            initial = {"kind": campaign.kind, "name": campaign.name, "year": campaign.year, "period": campaign.period,
                       "org": campaign.org_id, "source": campaign.source_id, **criteria}
            initial.update({f"amount_{code}": to_yuan(fen) for code, fen in rule.items()})
            return initial
        kind = kind if kind in Kind.values else Kind.FESTIVE
        year = timezone.localdate().year
        own = self.fields["org"].queryset.filter(pk=user.org_id).values_list("pk", flat=True).first()
        source = next((s.pk for s in self.fields["source"].queryset if s.may_pay(Campaign.CATEGORY[kind])), None)
        initial = {"kind": kind, "year": year, "org": own, "source": source}
        # Both kinds' ticks and illustrative amounts, so that switching the kind on the form shows sensible ones.
        initial["school_stages"] = [c for c in DEFAULT_AMOUNTS[Kind.SCHOOL] if c in self.stage_codes]
        if kind == Kind.FESTIVE:
            initial.update(name=f"{year}年两节送温暖", period=f"{year + 1}春节", levels=list(LEVELS))
        else:
            initial.update(name=f"{year}年金秋助学", period=f"{year}秋季")
        for amounts in DEFAULT_AMOUNTS.values():
            initial.update({f"amount_{code}": to_yuan(fen) for code, fen in amounts.items()})
        return initial

    def clean(self):
        data = super().clean()
        for code in (*LEVELS, *self.stage_codes):
            name = f"amount_{code}"
            try:
                data[name] = parse_yuan(data.get(name))
            except MoneyError:
                self.add_error(name, AMOUNT_ERROR)
        return data

    def settings(self) -> dict:
        """The keyword arguments of `save_campaign` (criteria and amount rule built from the ticks)."""
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        paid_for = data["levels"] if kind == Kind.FESTIVE else data["school_stages"]
        criteria = {key: data[key] for key in ("levels", "categories", "causes", "cause_scope", "exclude_paid")}
        if kind == Kind.SCHOOL:
            criteria["school_stages"] = data["school_stages"]
        return {"org": data["org"], "kind": kind, "name": data["name"], "year": data["year"],
                "period": data["period"], "source": data["source"], "criteria": criteria,
                "amount_rule": {RULE_KEY[kind]: {code: data.get(f"amount_{code}") for code in paid_for}}}

    def level_rows(self):
        """(tick box, amount field) per common level, for the table of the form."""
        return [(box, self[f"amount_{box.data['value']}"]) for box in self["levels"]]

    def stage_rows(self):
        return [(box, self[f"amount_{box.data['value']}"]) for box in self["school_stages"]]


class ApproveAllForm(forms.Form):
    """Optional meeting facts for a leadership step (the services refuse a leadership step without them)."""

    meeting_date = forms.DateField(label=_("Meeting date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    minutes_ref = forms.CharField(label=_("Minutes number"), required=False, max_length=64,
                                  widget=forms.TextInput(attrs={"class": "form-control"}))

    def decision(self) -> dict:
        data = self.cleaned_data
        return {k: v for k, v in (("meeting_date", data.get("meeting_date")),
                                  ("minutes_ref", (data.get("minutes_ref") or "").strip())) if v}


def row_key(row: dict) -> str:
    return f"{row['household_id']}-{row.get('student_id') or 0}"


def chosen_rows(post, proposal: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """The ticked proposal rows with the amounts typed beside them: ([{household_id, student_id,
    amount_fen}], {row key: error}). Ticks that are not rows of the proposal are passed on as they are
    (the service refuses them)."""
    by_key = {row_key(r): r for r in proposal}
    rows, errors = [], {}
    for key in post.getlist("row"):
        household_id, _sep, student_id = key.partition("-")
        row = by_key.get(key)
        try:
            amount = parse_yuan(post.get(f"amount-{key}", ""))
        except MoneyError:
            errors[key] = str(AMOUNT_ERROR)
            continue
        if row is None:
            rows.append({"household_id": household_id, "student_id": student_id, "amount_fen": amount})
        else:
            rows.append({"household_id": row["household_id"], "student_id": row.get("student_id"),
                         "amount_fen": amount})
    return rows, errors
