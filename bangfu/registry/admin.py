"""Django admin of the hardship registry.

* Code lists (`CodeItem`) are configuration: system administrators add entries, rename them and
  switch them off (`registry.view/add/change_codeitem`). Entries are never deleted — archives keep
  their codes — an unused entry is made inactive instead.
* Household archives: the admin site is for system administrators, who hold no business role and
  so may not read archives (`validate_role_combination`); the household changelist is therefore
  shown only to a superuser (a break-glass account made with `createsuperuser`, never a role),
  read-only, limited to the subtree of the superuser's org (the same prefix match as
  `restrict()`), with masked and coded columns only, and each opened archive is written to the
  access log. It exists as the benchmark's baseline (`bench/registry_list.py`): Django admin's own
  way of listing the same rows as the registry's list page.
"""

from __future__ import annotations

from django.contrib import admin

from bangfu import audit
from bangfu.orgs.admin import RolePermissionAdmin
from bangfu.registry.models import CodeItem, Household
from bangfu.registry.models.codes import forget_code_labels


@admin.register(CodeItem)
class CodeItemAdmin(RolePermissionAdmin):
    role_view = "registry.view_codeitem"
    role_add = "registry.add_codeitem"
    role_change = "registry.change_codeitem"
    role_delete = None  # archives reference codes: switch an entry off instead
    list_display = ["code_list", "code", "name_zh", "name_en", "sort_order", "is_active"]
    list_display_links = ["code"]
    list_filter = ["code_list", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["code_list", "sort_order", "code"]
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        # The list and the code identify an entry in stored archives: fixed once created.
        return ["code_list", "code"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_code_labels()


@admin.register(Household)
class HouseholdAdmin(RolePermissionAdmin):
    role_view = None
    role_add = None
    role_change = None  # archives change through the registry's pages and write functions only
    list_display = [
        "archive_number", "head_name_masked", "category", "state", "org", "division", "household_size",
        "need_score", "review_due_on",
    ]
    list_filter = ["category", "common_level", "state", "is_temporary_relief"]
    search_fields = ["=archive_number", "^head_name_initials"]
    list_select_related = ["org", "division"]
    list_per_page = 25
    ordering = ["-updated_at", "-id"]
    # Masked and coded fields only: the encrypted columns (address, bank account) are not shown.
    fields = [
        "archive_number", "archive_level", "org", "state", "is_temporary_relief", "division",
        "head_name_masked", "household_size", "scheme", "category", "common_level", "need_score",
        "applied_on", "activated_on", "review_due_on", "exited_on", "exit_reason", "bank_account_last4",
        "created_at", "updated_at",
    ]
    readonly_fields = fields

    def _superuser(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def get_queryset(self, request):
        if not self._superuser(request):
            return Household.objects.none()
        return Household.objects.restrict_to_subtree(request.user).select_related("org", "division")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            audit.log_access(request, "view", object_type="registry.household", object_id=str(object_id),
                             via="admin")
        return response
