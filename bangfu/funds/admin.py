"""Django admin of the funds app: only the fund sources (configuration of system administrators).

The ledger, balances, budgets, allocations and payments are deliberately not in the admin: the ledger has
no update or delete path anywhere (corrections are reversing entries on the funds pages), and money moves
only through the write functions of `bangfu.funds.services`, which check the rules and write the audit.
"""

from django import forms
from django.contrib import admin

from bangfu.funds.models import AidCategory, FundSource
from bangfu.orgs.admin import RolePermissionAdmin


class FundSourceForm(forms.ModelForm):
    allowed_categories = forms.MultipleChoiceField(
        choices=AidCategory.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label=FundSource._meta.get_field("allowed_categories").verbose_name,
    )

    class Meta:
        model = FundSource
        fields = ["code", "name", "kind", "allowed_categories", "is_active", "sort_order"]


@admin.register(FundSource)
class FundSourceAdmin(RolePermissionAdmin):
    form = FundSourceForm
    role_view = "funds.view_fundsource"
    role_add = "funds.add_fundsource"
    role_change = "funds.change_fundsource"
    role_delete = None  # ledger rows point at sources: switch one off instead
    list_display = ["code", "name", "kind", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []
