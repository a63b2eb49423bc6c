"""Django admin for users and their roles (system administrators only; see `admin_site`).

Everything is scoped to the administrator's subtree with `restrict`; roles are written through the
named functions in `services` (separation of duties, no self-grant, is_staff kept in step), and every
password set here goes through the password policy and history and must be changed at next sign-in.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from bangfu.accounts import services
from bangfu.accounts.models import User, UserRole, validate_kind_roles, validate_role_combination
from bangfu.accounts.validators import validate_new_password
from bangfu.orgs.models import Org


class RoleInlineFormSet(BaseInlineFormSet):
    """Validates the user's roles as one set (the order rows are saved in must not matter)."""

    actor = None

    def final_roles(self) -> set[str]:
        return {
            form.cleaned_data["role"] for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("role")
        }

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        if self.instance.pk and self.actor is not None and self.instance.pk == self.actor.pk:
            raise ValidationError(_("You cannot change your own roles."), code="self_grant")
        roles = self.final_roles()
        validate_role_combination(roles)
        validate_kind_roles(self.instance.kind, roles)


class UserRoleInline(admin.TabularInline):
    model = UserRole
    formset = RoleInlineFormSet
    extra = 1
    fields = ["role", "granted_at"]
    readonly_fields = ["granted_at"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor = request.user
        return formset

    def _own(self, request, obj) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def has_add_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class AdminPasswordForm(auth_forms.AdminPasswordChangeForm):
    """Set a password for someone else: the whole policy applies, and they must change it at next sign-in."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)  # no password-less accounts through the admin
        self.fields["password1"].required = True
        self.fields["password2"].required = True

    def save(self, commit=True):
        services.user_set_password(self.user, self.cleaned_data["password1"], must_change=True)
        return self.user


class AdminUserAddForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["username", "full_name", "org", "kind"]
        field_classes = {"username": auth_forms.UsernameField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = True
        self.fields["password2"].required = True
        self.fields["org"].required = True

    def validate_password_for_user(self, user, **kwargs):
        password = self.cleaned_data.get("password2")
        if password:
            try:
                validate_new_password(password, user)
            except ValidationError as error:
                self.add_error("password2", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.must_change_password = True
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    add_form = AdminUserAddForm
    change_password_form = AdminPasswordForm
    inlines = [UserRoleInline]
    list_display = ["username", "full_name", "org", "kind", "is_active", "must_change_password", "last_login"]
    list_filter = ["kind", "is_active", "roles__role"]
    list_select_related = ["org"]
    search_fields = ["username", "full_name"]
    ordering = ["username"]
    readonly_fields = ["is_staff", "last_login", "date_joined", "password_changed_at"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["full_name", "phone", "email"]}),
        (_("Organisation"), {"fields": ["org", "kind"]}),
        (_("Status"), {"fields": ["is_active", "must_change_password", "is_staff", "password_changed_at",
                                  "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "org", "kind", "password1", "password2"]}),
    ]

    def get_queryset(self, request):
        return User.objects.restrict(request.user, "view").select_related("org")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org":
            kwargs["queryset"] = Org.objects.restrict(request.user, "view").order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["is_active"]  # nobody deactivates themselves by accident
        return readonly

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        for formset in formsets:
            if isinstance(formset, RoleInlineFormSet):
                self._save_roles(request, form.instance, formset)
            else:
                self.save_formset(request, form, formset, change=change)

    def _save_roles(self, request, user, formset):
        # The admin's change message reads these attributes; roles are written by the service instead.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if user.pk == request.user.pk or not formset.has_changed():
            return
        services.user_set_roles(request.user, user, formset.final_roles())


class UserRoleAdminForm(forms.ModelForm):
    actor = None

    class Meta:
        model = UserRole
        fields = ["user", "role"]

    def clean(self):
        cleaned = super().clean()
        user, role = cleaned.get("user"), cleaned.get("role")
        if user is None or not role:
            return cleaned
        if self.actor is not None and user.pk == self.actor.pk:
            self.add_error("user", ValidationError(_("You cannot change your own roles."), code="self_grant"))
            return cleaned
        try:
            UserRole(user=user, role=role).validate_with_held_roles()
        except ValidationError as error:
            self.add_error("role", error)
        return cleaned


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):
    """Role assignments across users: grant (add) or revoke (delete); a grant is never edited in place."""

    form = UserRoleAdminForm
    list_display = ["user", "role", "granted_at"]
    list_filter = ["role"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__full_name"]

    def get_queryset(self, request):
        return UserRole.objects.filter(user__in=User.objects.restrict(request.user, "view")).select_related("user")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.restrict(request.user, "change").exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.pk = services.user_grant_role(request.user, obj.user, obj.role).pk

    def delete_model(self, request, obj):
        services.user_revoke_role(request.user, obj.user, obj.role)

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("user"):
            if grant.user_id != request.user.pk:
                services.user_revoke_role(request.user, grant.user, grant.role)
