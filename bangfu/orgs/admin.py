"""Admin for the configuration tables of the union tree: divisions, local standards and orgs.

Who may use the admin site at all is decided by the accounts app (system administrators only).
Within it, each model admin answers from the user's role permissions rather than Django's
per-user permission table, so the admin follows the same roles as the rest of the platform.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin

from bangfu.orgs.forms import OrgAdminForm
from bangfu.orgs.models import Division, LocalStandard, Org


class RolePermissionAdmin(admin.ModelAdmin):
    """Model admin whose permissions come from role permissions (`role_view` etc. name them)."""

    role_view = "core.configure"
    role_add: str | None = "core.configure"
    role_change: str | None = "core.configure"
    role_delete: str | None = None  # configuration rows are superseded by newer rows, not deleted

    def _role(self, request, permission: str | None) -> bool:
        user = request.user
        return bool(permission) and user.is_active and user.has_role_permission(permission)

    def has_module_permission(self, request):
        return self._role(request, self.role_view)

    def has_view_permission(self, request, obj=None):
        return self._role(request, self.role_view) or self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._role(request, self.role_add)

    def has_change_permission(self, request, obj=None):
        return self._role(request, self.role_change)

    def has_delete_permission(self, request, obj=None):
        return self._role(request, self.role_delete)


@admin.register(Division)
class DivisionAdmin(RolePermissionAdmin):
    """Divisions come from the public data set (`load_divisions`): browse and search, do not edit."""

    role_add = None
    role_change = None
    list_display = ["code", "name", "level", "parent", "is_current", "last_revision"]
    list_filter = ["level", "is_current"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    list_per_page = 50
    show_full_result_count = False


@admin.register(LocalStandard)
class LocalStandardAdmin(RolePermissionAdmin):
    list_display = ["division", "kind_short", "amount", "effective_from", "flag", "source_short"]
    list_filter = ["kind", "illustrative"]
    search_fields = ["division__code", "division__name", "source"]
    list_select_related = ["division"]
    autocomplete_fields = ["division"]
    date_hierarchy = "effective_from"
    ordering = ["division_id", "kind", "-effective_from"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["division", "kind", "amount", "effective_from"]}),
        (_("Where the value comes from"), {"fields": ["source", "illustrative", "created_at"]}),
    ]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_short(self, obj):
        # The full labels carry the unit and are too long for a list column.
        return {
            LocalStandard.Kind.LIVING_LINE: _("Minimum-living line"),
            LocalStandard.Kind.MINIMUM_WAGE: _("Minimum wage"),
        }.get(obj.kind, obj.kind)

    @admin.display(description=_("illustrative"), boolean=True, ordering="illustrative")
    def flag(self, obj):
        return obj.illustrative

    @admin.display(description=_("source"), ordering="source")
    def source_short(self, obj):
        return Truncator(obj.source).chars(32)


@admin.register(Org)
class OrgAdmin(TreeAdmin, RolePermissionAdmin):
    """The union tree, shown as a tree; the form places a new or moved org relative to another."""

    form = OrgAdminForm
    role_view = "orgs.view_org"
    role_add = "orgs.add_org"
    role_change = "orgs.change_org"
    list_display = ["name", "code", "level", "kind", "division", "member_count", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "short_name", "code", "division__name", "division__code"]
    list_select_related = ["division"]
    autocomplete_fields = ["division"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "code", "level", "kind", "division"]}),
        (_("Contact and size"), {"fields": ["address", "phone", "member_count", "is_active"]}),
        (_("Place in the tree"), {"fields": ["treebeard_position", "treebeard_ref_node"]}),
    ]

    def has_module_permission(self, request):
        # The tree is edited in the admin by configuration administrators only; staff browse it
        # on the union tree pages.
        return self._role(request, "core.configure")

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_queryset(self, request):
        """Only the administrator's own subtree; its top is the administrator's own org."""
        user = request.user
        top_level = getattr(request, "_treebeard_parent_id", False) is None and not self.is_filtered(request)
        if top_level and not getattr(request, "_ignore_treebeard_filters", False) and user.org_id:
            request._treebeard_parent = None
            return Org.objects.filter(pk=user.org_id)
        return super().get_queryset(request).restrict_to_subtree(user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                field = self.fields["treebeard_ref_node"]
                field.queryset = field.queryset.restrict_to_subtree(user)
                if user.org and user.org.depth > 1:
                    field.required = True  # only a national administrator may create a root

        return ScopedForm
