"""Providers (资源方): government departments, NGOs, charities, companies, individuals and volunteer teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class ProviderKind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    NGO = "ngo", _("Social organisation (NGO)")
    CHARITY = "charity", _("Charity")
    COMPANY = "company", _("Caring company")
    INDIVIDUAL = "individual", _("Caring individual")
    VOLUNTEERS = "volunteers", _("Volunteer team")


class ProviderState(models.TextChoices):
    PENDING = "pending", _("Waiting for verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class ProviderQuerySet(ScopedQuerySet):
    """Staff: providers registered with a union of their subtree. A provider's account: its own provider."""

    def restrict_for_provider(self, user, action):
        if action not in ("view", "change"):
            return self.none()
        return self.filter(accounts__user=user)

    def verified(self):
        return self.filter(state=ProviderState.VERIFIED)


class Provider(models.Model):
    """A body or person that offers help, registered with (and verified by) a union.

    Only a verified provider's offers can be published; a suspended provider's offers leave the feed and the
    next rounds. The union it registered with owns the record (scoping).
    """

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("registered with"), on_delete=models.PROTECT,
                            related_name="+")
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=ProviderKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True,
                                   help_text=_("18 characters; empty for individuals and informal teams."))
    contact_name = models.CharField(_("contact person"), max_length=64)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("what it offers"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=ProviderState.choices,
                             default=ProviderState.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        permissions = [("verify_provider", _("Can verify, reject and suspend providers"))]
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=~models.Q(credit_code=""),
                                    name="provider_credit_code_once"),
        ]

    def __str__(self) -> str:
        return self.name


class ProviderAccount(models.Model):
    """A provider's staff account: sees and manages only its provider's offers and the (masked) requests
    matched to them."""

    scope_org_path = "provider__org__path"

    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.CASCADE,
                                 related_name="accounts")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="provider_account")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("provider account")
        verbose_name_plural = _("provider accounts")

    def __str__(self) -> str:
        return f"{self.user} · {self.provider}"
