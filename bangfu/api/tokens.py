"""Issuing and revoking API tokens.

A token is issued through Django's `authenticate()` with the request, so django-axes counts
failures and locks the account exactly as on the sign-in page (5 failures, 30 minutes), and the
audit log records the sign-in. A user whose role needs two-factor gets a token only with a valid
code from one of their confirmed django-otp devices in the same request; an initial password must be
changed on the web first. Demo mode relaxes the two latter checks, as it does on the web.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from bangfu.accounts.forms import WORKER_PORTAL_MESSAGE
from bangfu.api.exceptions import LockedOut


def _verify_otp(user, otp_token: str):
    """The confirmed device that accepts this code, or None. Each device throttles wrong codes itself."""
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(otp_token):
            return device
    return None


def _has_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def check_second_factor(user, otp_token: str) -> None:
    """Raise a field error on `otp_token` unless the user's role needs no second factor or the code is valid."""
    if settings.DEMO_MODE or not user.requires_two_factor:
        return
    if not _has_device(user):
        raise ValidationError(
            {"otp_token": [_("Your role needs two-factor sign-in: set it up on the web (My account) first.")]},
            code="no_device",
        )
    if not otp_token:
        raise ValidationError(
            {"otp_token": [_("Your role needs two-factor sign-in: enter the code from your authenticator app.")]},
            code="required",
        )
    if _verify_otp(user, otp_token) is None:
        raise ValidationError({"otp_token": [_("The two-factor code is not valid.")]}, code="invalid")


def token_obtain(django_request, *, username: str, password: str, otp_token: str = "") -> Token:
    """Sign in for the API; returns the user's token (one per user, created on first use).

    Deliberately not atomic: the failure counted by axes and a device's throttling of wrong codes must
    stay recorded when the attempt is refused.
    """
    user = authenticate(django_request, username=username, password=password)
    if getattr(django_request, "axes_locked_out", False):
        # Answer in JSON here; AxesMiddleware would otherwise replace the answer with the HTML page.
        django_request.axes_locked_out = False
        raise LockedOut()
    if user is None:
        raise ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Unable to sign in with the given username and password.")]},
            code="authorization",
        )
    if user.kind == "worker" and not settings.DEMO_MODE:
        # The API has no text-message step: workers sign in on the portal (phone, password and an SMS code).
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(WORKER_PORTAL_MESSAGE)]}, code="worker_portal")
    check_second_factor(user, otp_token)
    if user.must_change_password and not settings.DEMO_MODE:
        raise ValidationError(
            {"password": [_("Change your initial password on the web before using the API.")]},
            code="must_change_password",
        )
    # A successful sign-in: axes clears the failures, the audit log records it, last_login is set.
    user_logged_in.send(sender=type(user), request=django_request, user=user)
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_revoke(user) -> int:
    """Delete the user's API token; returns how many were deleted (0 or 1)."""
    deleted, _details = Token.objects.filter(user=user).delete()
    return deleted
