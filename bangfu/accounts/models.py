"""Users, their org and their roles."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import ADMIN_ROLES, TWO_FACTOR_ROLES, Role, permissions_for
from bangfu.core.scoping import ScopedQuerySet


class UserQuerySet(ScopedQuerySet):
    pass


class BangfuUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


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
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @cached_property
    def role_permissions(self) -> frozenset[str]:
        return permissions_for(self.role_set)

    def has_role_permission(self, permission: str) -> bool:
        return permission in self.role_permissions

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

    def clean(self):
        held = set(UserRole.objects.filter(user_id=self.user_id).exclude(pk=self.pk).values_list("role", flat=True))
        validate_role_combination(held | {self.role})


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
