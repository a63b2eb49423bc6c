"""Providers: registration with a union, verification (verify / reject / suspend), accounts."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.services.models import Provider, ProviderAccount, ProviderKind, ProviderState

CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
FIELDS = ("name", "kind", "credit_code", "contact_name", "contact_phone", "address", "description")


def provider_problems(data: dict) -> dict:
    errors = {}
    if not (data.get("name") or "").strip():
        errors["name"] = _("Enter the provider's name.")
    for field, limit in (("name", 128), ("contact_name", 64), ("address", 200), ("description", 2000)):
        if len(data.get(field) or "") > limit:
            errors[field] = _("At most %(max)d characters.") % {"max": limit}
    if data.get("kind") not in ProviderKind.values:
        errors["kind"] = _("Choose what kind of provider this is.")
    code = (data.get("credit_code") or "").strip().upper()
    if code and not CREDIT_CODE.match(code):
        errors["credit_code"] = _("A unified social credit code has 18 digits and capital letters (no I, O, Z, S, V).")
    elif code and Provider.objects.filter(credit_code=code).exclude(pk=data.get("pk")).exists():
        errors["credit_code"] = _("A provider with this credit code is registered already.")
    if not code and data.get("kind") in (ProviderKind.GOVERNMENT, ProviderKind.NGO, ProviderKind.CHARITY,
                                         ProviderKind.COMPANY):
        errors["credit_code"] = _("Organisations give their unified social credit code.")
    if not (data.get("contact_name") or "").strip():
        errors["contact_name"] = _("Name a contact person.")
    if not PHONE.match((data.get("contact_phone") or "").strip()):
        errors["contact_phone"] = _("Enter a mobile number (11 digits) or a landline with its area code.")
    return errors


@transaction.atomic
def provider_register(actor, org, **data) -> Provider:
    """Register a provider with `org` (the actor's union or one below); it waits for verification."""
    if not org.path.startswith(actor.scope_path or "\0"):
        raise ValidationError({"org": _("Choose your union or a union below it.")})
    errors = provider_problems(data)
    if errors:
        raise ValidationError(errors)
    values = {k: (data.get(k) or "").strip() for k in FIELDS}
    values["credit_code"] = values["credit_code"].upper()
    return Provider.objects.create(org=org, **values)


@transaction.atomic
def provider_update(actor, provider: Provider, **data) -> Provider:
    """Change the provider's details (its own account or the union's staff). A verified provider that changes
    its name or credit code goes back to verification."""
    merged = {k: data.get(k, getattr(provider, k)) for k in FIELDS}
    errors = provider_problems({**merged, "pk": provider.pk})
    if errors:
        raise ValidationError(errors)
    identity_changed = (merged["name"].strip() != provider.name
                        or merged["credit_code"].strip().upper() != provider.credit_code)
    for k in FIELDS:
        setattr(provider, k, (merged[k] or "").strip())
    provider.credit_code = provider.credit_code.upper()
    if identity_changed and provider.state == ProviderState.VERIFIED and actor.kind == "provider":
        provider.state = ProviderState.PENDING
    provider.save()
    return provider


@transaction.atomic
def provider_decide(actor, provider: Provider, *, state: str, note: str = "") -> Provider:
    """Verify, reject or suspend a provider (reject and suspend need a reason)."""
    if state not in (ProviderState.VERIFIED, ProviderState.REJECTED, ProviderState.SUSPENDED):
        raise ValidationError({"state": _("Choose verify, reject or suspend.")})
    note = (note or "").strip()
    if state != ProviderState.VERIFIED and not note:
        raise ValidationError({"note": _("Say why.")})
    if state == ProviderState.SUSPENDED and provider.state != ProviderState.VERIFIED:
        raise ValidationError({"state": _("Only a verified provider can be suspended.")})
    provider.state, provider.decision_note = state, note[:500]
    provider.decided_by, provider.decided_at = actor, timezone.now()
    provider.save()
    return provider


@transaction.atomic
def provider_account_link(actor, provider: Provider, user) -> ProviderAccount:
    """Let a provider-kind user act for the provider (one provider per account)."""
    if user.kind != "provider":
        raise ValidationError({"user": _("Only a provider account can act for a provider.")})
    if ProviderAccount.objects.filter(user=user).exclude(provider=provider).exists():
        raise ValidationError({"user": _("This account acts for another provider already.")})
    account, _created = ProviderAccount.objects.get_or_create(user=user, defaults={"provider": provider})
    return account
