"""Users, their org and their roles."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth import password_validation
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import ADMIN_ROLES, TWO_FACTOR_ROLES, Role, permissions_for
from bangfu.core.scoping import ScopedQuerySet


class UserQuerySet(ScopedQuerySet):
    pass


class BangfuUserManager(UserManager.from_queryset(UserQuerySet)):
    def create_user(self, username, email=None, password=None, **extra_fields):
        """Create a user whose password passes the password policy (never a weak or default one).

        The policy's validators see an unsaved user (so the password may not contain the username);
        the password history starts with this password when the user is saved.
        """
        from bangfu.accounts.validators import validate_new_password

        if password is not None:
            candidate = self.model(username=username, email=email or "", **extra_fields)
            validate_new_password(password, candidate)
            extra_fields.setdefault("password_changed_at", timezone.now())
        user = super().create_user(username, email, password, **extra_fields)
        if password is not None:
            # Django's manager hashes with make_password (no set_password), so the validators'
            # password_changed hook, which starts the history, is called here.
            password_validation.password_changed(password, user)
        return user


class User(AbstractUser):
    """A person who signs in: union staff, a provider's staff member or a worker.

    Staff belong to exactly one org and see its subtree. The kind decides which scoping rule
    applies (see `bangfu.core.scoping`).
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("Union staff")
        PROVIDER = "provider", _("Provider")
        WORKER = "worker", _("Worker")

    scope_org_path = "org__path"

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STAFF)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    must_change_password = models.BooleanField(_("must change password at next login"), default=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    objects = BangfuUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_set(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("roles")
        if prefetched is not None:  # lists of users prefetch their roles: no query per user
            return frozenset(grant.role for grant in prefetched)
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @cached_property
    def role_permissions(self) -> frozenset[str]:
        return permissions_for(self.role_set)

    def has_role_permission(self, permission: str) -> bool:
        return permission in self.role_permissions

    # Django's permission checks (the admin site) answer from the roles too: one vocabulary of
    # permissions, `<app_label>.<action>_<model>`, for pages, API and admin.
    def has_perm(self, perm, obj=None) -> bool:
        if self.is_active and perm in self.role_permissions:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and any(p.startswith(f"{app_label}.") for p in self.role_permissions):
            return True
        return super().has_module_perms(app_label)

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.role_set & TWO_FACTOR_ROLES)

    @property
    def scope_path(self) -> str | None:
        return self.org.path if self.org_id else None

    def refresh_roles(self) -> None:
        for attr in ("role_set", "role_permissions"):
            self.__dict__.pop(attr, None)


class UserRole(models.Model):
    """One role held by a user. Admin roles exclude each other (separation of duties)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def save(self, *args, **kwargs):
        # Last line of defence: whatever path grants a role (service, admin, shell, test factory),
        # separation of duties holds. Forms validate the whole set first so that users see field errors.
        self.validate_with_held_roles()
        super().save(*args, **kwargs)

    def validate_with_held_roles(self) -> None:
        """This role together with the user's other stored roles must be a valid combination."""
        held = set(UserRole.objects.filter(user_id=self.user_id).exclude(pk=self.pk).values_list("role", flat=True))
        roles = held | {self.role}
        validate_role_combination(roles)
        validate_kind_roles(self.user.kind, roles)


def validate_role_combination(roles: set[str]) -> None:
    """System, security and audit administration are held by three different people, and an
    administrator holds no business role (so none can do another's work)."""
    admin = roles & ADMIN_ROLES
    if len(admin) > 1:
        raise ValidationError(
            _("System, security and audit administrators must be different people."), code="admin_separation"
        )
    if admin and (roles - ADMIN_ROLES):
        raise ValidationError(
            _("An administrator cannot also hold a business role."), code="admin_business_separation"
        )
    if Role.WORKER in roles and len(roles) > 1:
        raise ValidationError(_("A worker account cannot hold staff roles."), code="worker_only")
    if Role.PROVIDER in roles and len(roles) > 1:
        raise ValidationError(_("A provider account cannot hold union roles."), code="provider_only")


def validate_kind_roles(kind: str, roles: set[str]) -> None:
    """Worker and provider accounts hold exactly their own role; staff never hold them."""
    if kind == User.Kind.WORKER and roles - {Role.WORKER}:
        raise ValidationError(_("A worker account can only hold the worker role."), code="kind_worker")
    if kind == User.Kind.PROVIDER and roles - {Role.PROVIDER}:
        raise ValidationError(_("A provider account can only hold the provider role."), code="kind_provider")
    if kind == User.Kind.STAFF and roles & {Role.WORKER, Role.PROVIDER}:
        raise ValidationError(
            _("Union staff cannot hold the worker or provider role; create a separate account."),
            code="kind_staff",
        )
