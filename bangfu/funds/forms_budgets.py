"""Forms of the budget, allocation and ledger pages.

Forms only parse what a person typed (yuan to fen, dates, choices within the user's scope); every fund
rule (positive amount, source may pay the category, one level down, enough money held, reason of a
correction) is checked by the write functions of `bangfu.funds.services.budgets`, whose refusals are
shown on the form by `show_refusal`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.funds.models import AidCategory, FundSource, TransactionKind
from bangfu.funds.money import MoneyError, to_fen
from bangfu.funds.services import FundsRefused
from bangfu.registry.forms import BootstrapMixin

# Bounds of what can be typed as an amount: far above any budget, far below what a BIGINT holds.
MAX_FEN = 10**14
YEAR_MIN, YEAR_MAX = 2000, 2100


class YuanField(forms.Field):
    """An amount in yuan as people type it ("1,234.50", "１２３"), cleaned to whole fen (int)."""

    default_error_messages = {
        "invalid": _("Enter an amount in yuan with at most two decimals, e.g. 1234.50."),
        "too_large": _("This amount is too large."),
    }
    max_chars = 24

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off",
                "maxlength": str(self.max_chars)}

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if len(str(value)) > self.max_chars:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        try:
            fen = to_fen(value)
        except MoneyError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if abs(fen) >= MAX_FEN:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return fen


class OrgChoiceField(forms.ModelChoiceField):
    """A union of the user's subtree, shown indented by its depth below the user's own union."""

    def __init__(self, *args, base_depth: int = 1, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - self.base_depth, 0) + obj.name


def _year_field(label=None):
    return forms.IntegerField(label=label or _("Budget year"), min_value=YEAR_MIN, max_value=YEAR_MAX,
                              initial=lambda: timezone.localdate().year)


def _sources():
    return FundSource.objects.filter(is_active=True)


class BudgetForm(BootstrapMixin, forms.Form):
    org = OrgChoiceField(queryset=None, label=_("Union that received it"))
    source = forms.ModelChoiceField(queryset=None, label=_("Source"))
    category = forms.ChoiceField(choices=AidCategory.choices, label=_("Aid category"))
    year = _year_field()
    amount = YuanField(label=_("Amount (yuan)"))
    document_ref = forms.CharField(label=_("Document number"), max_length=64, required=False,
                                   help_text=_("E.g. the number of the allocation notice (文号)."))
    received_on = forms.DateField(label=_("Received on"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, orgs, user_org=None, options=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["org"]
        field.queryset = orgs
        field.base_depth = user_org.depth if user_org else 1
        if user_org is not None:
            field.initial = user_org.pk
        if options is not None:
            # A bounded list of options for big subtrees; any union of the scope is still accepted.
            field.choices = [("", field.empty_label)] + [(o.pk, field.label_from_instance(o)) for o in options]
        self._style()
        self.fields["source"].queryset = _sources()


class AllocationForm(BootstrapMixin, forms.Form):
    """An allocation from `from_org` (fixed by the page) to a union of the user's scope.

    The select offers the direct children of `from_org` only; a posted union further down is accepted
    by the form (it is in scope) and refused by `allocate` with the one-level-down rule's message.
    """

    to_org = OrgChoiceField(queryset=None, label=_("To the lower union"))
    source = forms.ModelChoiceField(queryset=None, label=_("Source"))
    category = forms.ChoiceField(choices=AidCategory.choices, label=_("Aid category"))
    year = _year_field()
    amount = YuanField(label=_("Amount (yuan)"))
    document_ref = forms.CharField(label=_("Document number"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, scope_orgs, from_org, children, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_org"]
        field.queryset = scope_orgs.exclude(pk=from_org.pk)
        field.base_depth = from_org.depth + 1
        # Rendered options only (validation uses the queryset): the children of the giving union.
        field.choices = [("", field.empty_label)] + [(child.pk, child.name) for child in children]
        self.fields["source"].queryset = _sources()
        self._style()


class ReverseForm(BootstrapMixin, forms.Form):
    # Not required here: "a correction needs its reason" is the write function's rule (and message).
    reason = forms.CharField(label=_("Reason of the correction"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=1000, required=False,
                             help_text=_("Say what was wrong; the reason is kept with the correction for ever."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class LedgerFilterForm(forms.Form):
    """Filters of the ledger list (GET). Invalid values are ignored field by field, never an error page."""

    org = forms.ModelChoiceField(queryset=None, required=False, label=_("Union"))
    year = forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label=_("Budget year"))
    kind = forms.ChoiceField(choices=[("", "")] + list(TransactionKind.choices), required=False, label=_("Kind"))
    source = forms.ModelChoiceField(queryset=None, required=False, label=_("Source"))
    category = forms.ChoiceField(choices=[("", "")] + list(AidCategory.choices), required=False,
                                 label=_("Aid category"))
    posted_from = forms.DateField(required=False, label=_("Posted from"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    posted_to = forms.DateField(required=False, label=_("Posted to"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["source"].queryset = FundSource.objects.all()

    def values(self) -> dict:
        """The valid filters (a bad value drops that filter only)."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value not in (None, "") and name not in self.errors}


def show_refusal(form: forms.Form, error: FundsRefused) -> None:
    """Each broken rule as an error of the field it names (or of the whole form)."""
    for breach in error.breaches:
        form.add_error(breach.field if breach.field in form.fields else None, breach.message)


class BudgetFilterForm(forms.Form):
    """Which union, year and source the budgets page shows (GET); bad values fall back to the defaults."""

    org = forms.ModelChoiceField(queryset=None, required=False, label=_("Union"))
    year = forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label=_("Budget year"))
    source = forms.ModelChoiceField(queryset=None, required=False, label=_("Source"))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["source"].queryset = FundSource.objects.all()

    def values(self) -> dict:
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value not in (None, "") and name not in self.errors}
